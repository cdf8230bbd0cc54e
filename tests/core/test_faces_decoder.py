"""One decoder of stored faces: ``load_faces`` and the rules' ``load_rule_faces`` give the
same columns the same types (numbers float64, everything else objects)."""

from __future__ import annotations

import numpy as np

from workbench.store import Case
from workbench.store.faces import load_faces, load_rule_faces, save_faces
from workbench.types import Faces

A, B = "a" * 64, "b" * 64


def _stored(case: Case) -> Faces:
    for sha in (A, B):
        case.add_evidence({"id": sha, "kind": "image"}, f"/x/{sha[:4]}.jpg")
    faces = Faces(
        evidence_id=[A, A, B], xyxy=[[0, 0, 10, 10], [5, 5, 25, 30], [1, 2, 3, 4]],
        confidence=[0.9, 0.8, 0.7], embedding=np.eye(3, 4, dtype=np.float32),
        embedding_key="k", landmarks=np.ones((3, 5, 2), dtype=np.float32), run_id="",
        data={"age": np.array([0.7, np.nan, 17.3]), "gender": np.array(["f", None, "m"],
                                                                       dtype=object),
              "frontal": np.array([True, False, None], dtype=object),
              "never": np.array([np.nan] * 3), "count": np.array([1, 2, 3])})
    save_faces(case, faces, [A, B])
    return faces


def test_both_readers_decode_alike(new_case: Case) -> None:
    _stored(new_case)
    full, rules = load_faces(new_case), load_rule_faces(new_case)
    by_name = load_rule_faces(new_case, ["age", "gender", "frontal", "never", "count"])
    for name in ("age", "count"):
        for faces in (full, rules, by_name):
            assert faces.data[name].dtype == np.float64
    # float64 keeps the stored number exactly (0.7 is not 0.7 in float32)
    assert full.data["age"][0] == 0.7 and np.isnan(full.data["age"][1])
    np.testing.assert_array_equal(full.data["age"], rules.data["age"])
    assert list(full.data["gender"]) == list(rules.data["gender"]) == ["f", None, "m"]
    assert full.data["frontal"].dtype == object and list(full.data["frontal"]) == [True, False,
                                                                                    None]
    # an attribute no face has is absent, in every reader
    assert "never" not in full.data and "never" not in rules.data and "never" not in by_name.data
    assert list(full.data["face_id"]) == [f"{A}:0", f"{A}:1", f"{B}:0"]
    assert list(full.data["cluster_id"]) == [None, None, None]  # kept while still empty
    np.testing.assert_array_equal(full.xyxy, rules.xyxy)


def test_vectors_come_back_exact_and_writable(new_case: Case) -> None:
    saved = _stored(new_case)
    back = load_faces(new_case)
    np.testing.assert_array_equal(back.embedding, saved.embedding)
    np.testing.assert_array_equal(back.landmarks, saved.landmarks)
    assert back.embedding.dtype == np.float32 and back.embedding.flags.writeable
    assert load_rule_faces(new_case).embedding is None


def test_list_attributes_stay_one_column_of_lists(new_case: Case) -> None:
    new_case.add_evidence({"id": A, "kind": "image"}, "/x/a.jpg")
    dist = np.empty(2, dtype=object)
    dist[0], dist[1] = [0.1, 0.9], [0.5, 0.5]
    faces = Faces(evidence_id=[A, A], xyxy=np.zeros((2, 4)), confidence=[1, 1],
                  data={"dist": dist})
    save_faces(new_case, faces, [A])
    column = load_faces(new_case).data["dist"]
    assert column.shape == (2,) and column[1] == [0.5, 0.5]
