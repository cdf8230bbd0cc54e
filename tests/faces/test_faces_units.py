"""Fast properties of the engine's pure parts and of the faces store (real SQLite)."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.faces.age_model import AGE_WEIGHTS, age_interval, age_summary
from workbench.faces.quality import quality, size_score, yaw_proxy
from workbench.faces.settings import EMOTIONS, FaceSettings
from workbench.store.faces import analysed_evidence, load_faces, save_faces
from workbench.types import Faces

SHA = "a" * 64


def _one_hot(age: float) -> np.ndarray:
    p = np.zeros((1, 81))
    p[0, int(np.argmin(np.abs(AGE_WEIGHTS - age)))] = 1.0
    return p


def test_age_summary_of_a_certain_age() -> None:
    mean, std, p_minor = age_summary(_one_hot(30))
    assert mean[0] == pytest.approx(30) and std[0] == pytest.approx(0, abs=1e-3)
    assert p_minor[0] == 0


def test_age_summary_spread_and_minor_mass() -> None:
    p = (_one_hot(10) + _one_hot(30)) / 2
    mean, std, p_minor = age_summary(p)
    assert mean[0] == pytest.approx(20) and std[0] == pytest.approx(10)
    assert p_minor[0] == pytest.approx(0.5)
    # 17 counts as a minor, 18 does not
    assert age_summary(_one_hot(17))[2][0] == 1 and age_summary(_one_hot(18))[2][0] == 0


def test_age_interval_brackets_the_mass() -> None:
    p = (_one_hot(10) + _one_hot(30)) / 2
    low, high = age_interval(p)
    assert (low[0], high[0]) == (10, 30)
    low, high = age_interval(_one_hot(40))
    assert low[0] == high[0] == 40


def test_size_score_monotonic() -> None:
    boxes = np.array([[0, 0, s, s] for s in (10, 40, 80, 200)], dtype=np.float32)
    scores = size_score(boxes)
    assert scores[0] == 0 and scores[-1] == 1 and np.all(np.diff(scores) >= 0)


def test_yaw_proxy_frontal_vs_turned() -> None:
    frontal = np.zeros((1, 68, 2), np.float32)
    frontal[0, 36:42] = (30, 40)
    frontal[0, 42:48] = (70, 40)
    frontal[0, 30] = (50, 60)
    turned = frontal.copy()
    turned[0, 30] = (66, 60)
    assert abs(yaw_proxy(frontal)[0]) < 0.01
    assert abs(yaw_proxy(turned)[0]) > 0.5


def test_quality_prefers_sharp_large_frontal() -> None:
    rng = np.random.default_rng(0)
    sharp = rng.integers(0, 255, (1, 150, 150, 3), dtype=np.uint8)
    flat = np.full((1, 150, 150, 3), 128, np.uint8)
    marks = np.zeros((1, 5, 2), np.float32)
    marks[0] = [(80, 50), (70, 50), (20, 50), (30, 50), (50, 80)]
    big = np.array([[0, 0, 200, 200]], np.float32)
    good = quality(big, sharp, marks)["quality"][0]
    blurred = quality(big, flat, marks)["quality"][0]
    assert 0 <= blurred < good <= 1


def _faces(n: int, evidence_id: str = SHA) -> Faces:
    rng = np.random.default_rng(n)
    emb = rng.normal(size=(n, 128)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    data = {"face_id": np.array([f"{evidence_id}:{i}" for i in range(n)], dtype=object),
            "age": rng.uniform(1, 80, n).astype(np.float32),
            "gender": np.array(["female", "male"] * n, dtype=object)[:n]}
    data.update({f"emotion_{e}": np.full(n, 1 / 7, np.float32) for e in EMOTIONS})
    return Faces(evidence_id=[evidence_id] * n, xyxy=rng.uniform(0, 100, (n, 4)),
                 confidence=np.ones(n), landmarks=rng.uniform(0, 100, (n, 68, 2)),
                 embedding=emb, embedding_key="k", data=data, run_id="")


def _evidence(case, sha: str) -> None:
    case.add_evidence({"id": sha, "kind": "image"}, path=f"/x/{sha[:4]}.jpg")


def test_store_round_trip_exact(new_case) -> None:
    _evidence(new_case, SHA)
    _evidence(new_case, "b" * 64)
    faces = _faces(3)
    assert save_faces(new_case, faces, [SHA, "b" * 64], signature="sig") == 3
    back = load_faces(new_case)
    assert len(back) == 3 and back.embedding_key == "k"
    np.testing.assert_array_equal(back.embedding, faces.embedding)
    np.testing.assert_array_equal(back.landmarks, faces.landmarks)
    np.testing.assert_allclose(back.data["age"], faces.data["age"])
    assert list(back.data["gender"]) == list(faces.data["gender"])
    assert list(back.data["face_id"]) == [f"{SHA}:{i}" for i in range(3)]
    # the face-less evidence counts as analysed too (that is what makes resume work)
    assert analysed_evidence(new_case, "sig") == {SHA, "b" * 64}
    assert analysed_evidence(new_case, "other") == set()


def test_store_replaces_previous_analysis(new_case) -> None:
    _evidence(new_case, SHA)
    save_faces(new_case, _faces(3), [SHA], signature="old")
    save_faces(new_case, _faces(1), [SHA], signature="new")
    assert len(load_faces(new_case)) == 1
    assert new_case.summary()["faces"] == 1


def test_settings_are_recorded_params() -> None:
    params = FaceSettings(flip=True, jitters=2).as_params()
    assert params["flip"] is True and params["jitters"] == 2 and params["detector"] == "hog"
