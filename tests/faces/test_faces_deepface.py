"""DeepFace on the pack: offline ``Dlib`` + ``dlib`` gives the workbench's embeddings."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from workbench.faces import FaceEngine, FaceSettings
from workbench.ingest.images import load_rgb
from workbench.models import deepface_environment

pytestmark = pytest.mark.slow


def _unit(vector: list[float]) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float64)
    return v / np.linalg.norm(v)


def test_deepface_dlib_matches_workbench(shared_data: Path) -> None:
    rgb = load_rgb(shared_data / "faces/labelled/deepface/img1.jpg")
    engine = FaceEngine(FaceSettings(attributes=False))
    faces = engine.analyze_image(rgb, "img1")
    xyxy, _, _ = engine.detect(rgb)
    chips = engine.align(rgb, engine.landmarks(rgb, xyxy)[0])
    before = {k: os.environ.get(k) for k in ("DEEPFACE_HOME", "DEEPFACE_BACKEND_ENGINE")}
    with deepface_environment() as home:
        assert (home / ".deepface/weights/dlib_face_recognition_resnet_model_v1.dat").exists()
        from deepface import DeepFace

        full = DeepFace.represent(np.ascontiguousarray(rgb[:, :, ::-1]), model_name="Dlib",
                                  detector_backend="dlib")
        same_chip = DeepFace.represent(np.ascontiguousarray(chips[0][:, :, ::-1]),
                                       model_name="Dlib", detector_backend="skip")
    # the environment is restored afterwards
    assert {k: os.environ.get(k) for k in before} == before
    assert len(full) == 1
    # The same aligned chip through DeepFace's Dlib model: the same vector.
    np.testing.assert_allclose(_unit(same_chip[0]["embedding"]), faces.embedding[0], atol=1e-6)
    # DeepFace's own detect + eye-rotation alignment: the same face, well within the
    # same-person distance (dlib's 0.6 on raw descriptors, ~0.6 on unit vectors too).
    distance = np.linalg.norm(_unit(full[0]["embedding"]) - faces.embedding[0])
    assert distance < 0.25
    box = full[0]["facial_area"]
    x1, y1, x2, y2 = faces.xyxy[0]
    assert abs(box["x"] - x1) < 0.1 * (x2 - x1) and abs(box["y"] - y1) < 0.1 * (y2 - y1)


def test_deepface_models_by_name_need_imported_weights(tmp_path: Path, shared_data: Path
                                                       ) -> None:
    from workbench.errors import ModelMissing
    from workbench.models import install

    pack = tmp_path / "pack"
    install(pack, names=["dlib_landmarks_5", "dlib_embedding"])
    settings = FaceSettings(attributes=False, landmarks=5, embedder="deepface:ArcFace",
                            models_dir=str(pack))
    with pytest.raises(ModelMissing, match="workbench models import"):
        FaceEngine(settings).embedder  # noqa: B018 - building it is the point
    # The Dlib model through DeepFace needs only the pack, and is the workbench's vector.
    rgb = load_rgb(shared_data / "faces/labelled/deepface/img10.jpg")
    via = FaceEngine(FaceSettings(attributes=False, landmarks=5, embedder="deepface:Dlib",
                                  models_dir=str(pack)))
    ours = FaceEngine(FaceSettings(attributes=False, landmarks=5, models_dir=str(pack)))
    a, b = via.analyze_image(rgb, "x"), ours.analyze_image(rgb, "x")
    assert a.embedding_key.startswith("deepface_Dlib/") and a.embedding_key != b.embedding_key
    np.testing.assert_allclose(a.embedding, b.embedding, atol=1e-6)
