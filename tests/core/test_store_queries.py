"""Store queries used by the uniforms and school search (rows and order as those modules read)."""

from __future__ import annotations

import json

from workbench.store import Case
from workbench.store import evidence as evidence_rows
from workbench.store import faces as face_rows
from workbench.store import hits as hit_rows
from workbench.store import runs as run_rows
from workbench.store import uniforms as uniform_rows
from workbench.types import Condition, Hit, Run

SHA = "a" * 64


def _measured(face: str, item: str, present: int, run_id: str) -> tuple:
    return (face, SHA, item, present, 0.7, json.dumps(["navy"]), "plain", "{}", 0.8, run_id)


def test_corrections_are_read_after_measured_rows_and_survive_a_new_measurement(
        new_case: Case) -> None:
    with new_case.recording(Run.start("uniforms")) as rec:
        run_id = rec.run.id
        uniform_rows.replace_measured(new_case, ["f1"], [_measured("f1", "tie", 1, run_id),
                                                         _measured("f1", "blazer", 0, run_id)])
    uniform_rows.add_correction(new_case, ("f1", SHA, "tie", 0, 1.0, "[]", None, "{}", 0.8,
                                           "analyst", "2026-01-01T00:00:00", run_id))
    uniform_rows.replace_measured(new_case, ["f1"], [_measured("f1", "tie", 1, run_id)])
    rows = uniform_rows.attribute_rows(new_case, face_ids=["f1"])
    assert [(r["item"], r["present"], r["corrected_by"]) for r in rows] == [
        ("tie", 1, None), ("tie", 0, "analyst")]
    assert uniform_rows.attribute_rows(new_case, face_ids=[]) == []
    assert len(uniform_rows.attribute_rows(new_case, evidence_ids=[SHA])) == 2


def test_geotags_school_hits_run_params_and_embedding_keys(new_case: Case) -> None:
    new_case.add_evidence({"id": SHA, "kind": "image", "lat": 51.5, "lon": -0.1}, "/x/a.jpg")
    new_case.add_evidence({"id": "b" * 64, "kind": "image"}, "/x/b.jpg")
    assert evidence_rows.geotags(new_case).to_dict(orient="records") == [
        {"lat": 51.5, "lon": -0.1}]
    run = Run.start("school_search", params={"registry": "/r.csv"})
    with new_case.recording(run):
        new_case.add_hits([Hit(SHA, "school", f"s{i} name", score, (Condition("x", 1, True),),
                               run.id, face_id=f"{SHA}:0") for i, score in enumerate((0.2, 0.9))])
    assert hit_rows.school_hits(new_case)["score"].tolist() == [0.9, 0.2]
    assert [json.loads(p) for p in run_rows.run_params(new_case, "school_search")] == [
        {"registry": "/r.csv"}]
    assert face_rows.embedding_keys(new_case) == []
