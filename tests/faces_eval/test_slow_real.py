"""Real weights on real data: LFW dev test end to end, video tracks, identities, compare.

Slow: they embed real images (the LFW embeddings are cached under
``$WORKBENCH_CACHE``/``~/.cache/workbench``, so only the first run pays for them).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

# Measured 0.988 on pairsDevTest.txt with the default embedder (flip averaging, central
# fallback); the test keeps a small margin for other CPUs and library builds.
LFW_DEVTEST_MIN_ACCURACY = 0.985


def _rgb(path: Path) -> np.ndarray:
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, path
    return np.ascontiguousarray(image[:, :, ::-1])


@pytest.fixture(scope="module")
def engine():
    from workbench.faces import FaceEngine, FaceSettings

    return FaceEngine(FaceSettings(attributes=False, landmarks=5, flip=True))


def test_lfw_devtest_end_to_end(shared_data: Path) -> None:
    from workbench.eval.lfw import run_lfw

    lfw = shared_data / "faces" / "lfw-dev"
    result = run_lfw(lfw / "pairsDevTest.txt", lfw / "images", workers=2, progress=False)
    assert result.pairs == 1000 and not result.folds_from_file
    assert result.accuracy >= LFW_DEVTEST_MIN_ACCURACY, result.summary()
    assert result.tar_at_far["0.001"] > 0.8
    assert result.auc > 0.99


def test_hamilton_clip_is_two_tracks(shared_data: Path, engine) -> None:
    from workbench.faces import FaceEngine
    from workbench.faces.tracks import track_video

    clip = shared_data / "video" / "face_recognition_short_hamilton_clip.mp4"
    # HOG alone sees the two people the clip's README names. The engine's default second
    # detector (YuNet, asked when HOG finds no face) also finds the ensemble's smaller faces
    # in 37 frames (2-7 a frame, confidence 0.60-0.92): more people, more tracks.
    hog_only = FaceEngine(replace(engine.settings, second_detector=None))
    faces, frame, labels = track_video(str(clip), hog_only.analyze_array, step=3)
    _, counts = np.unique(labels, return_counts=True)
    long_tracks = counts[counts >= 5]
    assert 1 <= len(long_tracks) <= 2, counts
    assert long_tracks.sum() >= 0.85 * len(faces), counts
    # The longest track is one of the two people the clip's README names.
    refs = shared_data / "faces" / "labelled" / "face_recognition" / "examples"
    ref = np.stack([engine.analyze_array(_rgb(refs / n)).embedding[0]
                    for n in ("lin-manuel-miranda.png", "alex-lacamoire.png")])
    longest = labels == np.argmax(np.bincount(labels))
    mean = faces.embedding[longest].mean(axis=0)
    assert (ref @ (mean / np.linalg.norm(mean))).max() > 0.9


def test_1080p_video_tracks_fewer_than_faces(shared_data: Path, engine) -> None:
    from workbench.faces.tracks import track_video

    clip = shared_data / "video" / "facenet_pytorch_video.mp4"
    faces, frame, labels = track_video(str(clip), engine.analyze_array, step=3, max_frames=8)
    per_frame = np.bincount(frame).max()
    n_tracks = len(set(labels.tolist()))
    assert len(faces) >= 3 * n_tracks          # tracks, not hundreds of separate faces
    assert n_tracks <= per_frame + 3
    for f in np.unique(frame):                  # one track never holds two faces of a frame
        assert len(set(labels[frame == f])) == int(np.sum(frame == f))


def test_compare_real_faces(shared_data: Path, engine) -> None:
    from workbench.faces.verify import compare

    base = shared_data / "faces" / "labelled" / "face_recognition"
    obama = engine.analyze_array(_rgb(base / "examples/knn_examples/train/obama/obama.jpg"))
    obama3 = engine.analyze_array(_rgb(base / "tests/test_images/obama3.jpg"))
    biden = engine.analyze_array(_rgb(base / "examples/biden.jpg"))
    assert compare(obama[0], obama3[0]).is_match
    assert not compare(obama3[0], biden[0]).is_match


@pytest.mark.parametrize("mode", ["nn", "cluster"])
def test_identities_on_labelled_set(shared_data: Path, mode: str) -> None:
    from workbench.eval.identities import evaluate_identities

    # Measured: nn macro F1 0.992 (one person seen once matched to another), cluster 1.000.
    result = evaluate_identities(shared_data / "faces" / "labelled" / "identities.csv",
                                 mode=mode, progress=False)
    assert result.images >= 100 and result.no_face == 0
    assert result.pairwise["precision"] >= 0.95, result.summary()
    assert result.macro_f1 >= 0.95, result.summary()
