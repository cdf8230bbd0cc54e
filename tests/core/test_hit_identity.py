"""One id per hit: the store keeps a hit and its review decisions under ``Hit.id``, and a
case written before that (schema 6, decisions under a second key) keeps its decisions
attached to the right hits when opened."""

from __future__ import annotations

from pathlib import Path

from workbench.review import decide, queue_items, reviewed_hits
from workbench.store import Case
from workbench.store.reviews import decisions
from workbench.types import Condition, Hit, hit_id

from .old_cases import (
    A,
    check_decisions_kept,
    sqlite_case_at,
    write_evidence,
    write_schema6_decisions,
)


def test_a_hit_has_one_id_from_what_it_is_about() -> None:
    hit = Hit(A, "criterion", "minor_fear", 0.5, face_id=f"{A}:0")
    assert hit.id == hit_id(A, "criterion", "minor_fear", f"{A}:0") and len(hit.id) == 32
    # run, score, version and conditions do not change what the hit is about
    again = Hit(A, "criterion", "minor_fear", 0.9, (Condition("x", 1, True),), run_id="r2",
                face_id=f"{A}:0", version="v2")
    assert again.id == hit.id
    assert Hit(A, "criterion", "minor_fear", 0.5).id != hit.id
    assert Hit(A, "hash", "list", 1.0, id="given").id == "given"


def test_the_store_keeps_a_hit_under_its_id_and_reads_it_back(new_case: Case) -> None:
    new_case.add_evidence({"id": A, "kind": "image"}, "/x/a.jpg")
    hit = Hit(A, "criterion", "minor_fear", 0.5, face_id=f"{A}:0")
    new_case.add_hits([hit])
    assert new_case.hits()["id"].tolist() == [hit.id]
    (back,) = new_case.hit_objects()
    assert back == hit and back.status == "pending"


def test_a_decision_gives_the_stored_hit_its_status(new_case: Case) -> None:
    new_case.add_evidence({"id": A, "kind": "image"}, "/x/a.jpg")
    new_case.add_hits([Hit(A, "criterion", "minor_fear", 0.5), Hit(A, "hash", "list", 1.0)])
    (item,) = queue_items(new_case)
    assert item.item == item.hit.id == Hit(A, "criterion", "minor_fear", 0.5).id
    # the queue item is a view of the hit: its table/JSON row keeps the columns it had
    assert list(item.as_dict()) == [
        "item", "evidence_id", "face_id", "rule", "score", "explanation", "conditions",
        "status", "rules_version", "note", "decided_by", "decided_at", "outdated_decision",
        "age", "age_std", "p_minor", "evidence_sha"]
    assert item.to_hit() is item.hit and item.explanation == item.hit.explain()
    decide(new_case, item.item[:8], "confirm", who="analyst")
    by_kind = {h.kind: h.status for h in new_case.hit_objects()}
    assert by_kind == {"criterion": "confirmed", "hash": "pending"}
    assert [h.status for h in reviewed_hits(new_case)] == ["confirmed"]
    assert list(decisions(new_case)) == [item.item]


def _schema6_case(folder: Path) -> dict[str, str]:
    """A case database as schema 6 wrote it, with decisions under the old keys."""
    conn = sqlite_case_at(folder, 6)
    write_evidence(conn)
    ids = write_schema6_decisions(conn)
    conn.close()
    return ids


def test_opening_a_schema_6_case_keeps_decisions_on_their_hits(tmp_path: Path) -> None:
    ids = _schema6_case(tmp_path / "old")
    with Case.open(tmp_path / "old") as case:
        assert case.db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0] == 7
        check_decisions_kept(case, ids)
        assert {h.id: h.status for h in case.hit_objects()}[ids["gone_rule:b"]] == "escalated"
        assert case.audit_verify().ok
