"""The core value types: validation, indexing, merging, explanations."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.errors import ValidationError
from workbench.types import Condition, Evidence, Faces, Hit, Run


def mock_faces(n: int = 3, dim: int = 4, evidence: str = "e1", key: str = "k") -> Faces:
    rng = np.random.default_rng(n)
    emb = rng.normal(size=(n, dim)).astype(np.float32)
    return Faces(
        evidence_id=[evidence] * n,
        xyxy=np.tile([0, 0, 50, 60], (n, 1)) + np.arange(n)[:, None],
        confidence=np.linspace(0.1, 0.9, n),
        landmarks=np.zeros((n, 5, 2)),
        embedding=emb / np.linalg.norm(emb, axis=1, keepdims=True),
        embedding_key=key,
        data={"age": np.arange(n, dtype=float) + 10},
        run_id="r1",
    )


def test_boolean_mask_selects_parallel_rows() -> None:
    faces = mock_faces(5)
    picked = faces[faces.confidence > 0.5]
    assert len(picked) == 2
    assert np.allclose(picked.data["age"], [13, 14])
    assert picked.embedding.shape == (2, 4) and picked.landmarks.shape == (2, 5, 2)
    assert picked.embedding_key == "k" and picked.run_id == "r1"


def test_integer_index_keeps_a_faces_of_one() -> None:
    one = mock_faces(3)[1]
    assert len(one) == 1 and one.xyxy.shape == (1, 4)


def test_mismatched_arrays_are_refused_with_a_reason() -> None:
    with pytest.raises(ValidationError, match="disagree"):
        Faces(evidence_id=["a", "b"], xyxy=np.zeros((3, 4)), confidence=np.zeros(2))
    with pytest.raises(ValidationError, match="data\\['age'\\]"):
        Faces(evidence_id=["a"], xyxy=np.zeros((1, 4)), confidence=[1], data={"age": [1, 2]})
    with pytest.raises(ValidationError, match="embedding_key"):
        Faces(evidence_id=["a"], xyxy=np.zeros((1, 4)), confidence=[1], embedding=np.ones((1, 3)))


def test_merge_concatenates_and_refuses_mixed_embedding_spaces() -> None:
    merged = Faces.merge([mock_faces(2, evidence="a"), Faces.empty(), mock_faces(3, evidence="b")])
    assert len(merged) == 5 and list(merged.evidence_id[:2]) == ["a", "a"]
    with pytest.raises(ValidationError, match="different embedding keys"):
        Faces.merge([mock_faces(2, key="dlib"), mock_faces(2, key="arcface")])
    assert len(Faces.merge([])) == 0


def test_size_and_area_follow_the_boxes() -> None:
    faces = Faces(evidence_id=["a"], xyxy=[[10, 10, 50, 90]], confidence=[1])
    assert faces.size[0] == 40 and faces.area[0] == 40 * 80


def test_evidence_validates_id_kind_and_location() -> None:
    sha = "a" * 64
    assert Evidence(sha, "c", "image", ("x.jpg",), location=(28.5, -81.4)).location == (28.5, -81.4)
    with pytest.raises(ValidationError):
        Evidence("nothex", "c", "image", ())
    with pytest.raises(ValidationError):
        Evidence(sha, "c", "audio", ())  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Evidence(sha, "c", "image", (), location=(95.0, 0.0))


def test_hit_explains_what_fired_and_bounds_its_score() -> None:
    hit = Hit(
        evidence_id="e", kind="criterion", source="minor-distress", score=0.72,
        conditions=(Condition("p_minor", 0.81, True), Condition("fear", 0.1, False)),
    )
    assert hit.fired == (hit.conditions[0],)
    assert hit.explain() == "minor-distress scored 0.72 because p_minor = 0.81."
    with pytest.raises(ValidationError):
        Hit(evidence_id="e", kind="hash", source="x", score=1.5)
    with pytest.raises(ValidationError):
        Hit(evidence_id="e", kind="hash", source="x", score=0.5, status="maybe")


def test_run_records_code_version_and_unique_ids() -> None:
    a, b = Run.start("ingest", params={"fps": 1}), Run.start("ingest")
    assert a.id != b.id and a.code_version and a.params == {"fps": 1}
    assert a.started_at.tzinfo is not None


def test_faces_compare_by_value_without_raising() -> None:
    faces = mock_faces(3)
    assert faces == mock_faces(3)
    assert faces == faces[[0, 1, 2]]
    assert faces != faces[[0, 1]]
    assert faces != mock_faces(3, key="other")
    with_nan = Faces(evidence_id=["e", "e"], xyxy=np.zeros((2, 4)), confidence=[0.5, 0.5],
                     data={"age": np.array([np.nan, 3.0]), "gender": np.array(["f", None])})
    same = Faces(evidence_id=["e", "e"], xyxy=np.zeros((2, 4)), confidence=[0.5, 0.5],
                 data={"age": np.array([np.nan, 3.0]), "gender": np.array(["f", None])})
    assert with_nan == same
    changed = mock_faces(3)
    changed.data["age"][0] = 99
    assert faces != changed
    assert faces != "not faces"
    assert Faces.empty() == Faces.empty()
