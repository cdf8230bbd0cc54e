"""Cases as older workbenches wrote them, for the migration tests: a SQLite ``case.db`` at
an older schema version, and the hits and review decisions of schema 6 (decisions under a
second key) written into a database of that version on either backend."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from workbench.review import find_item, queue_items
from workbench.store import Case
from workbench.store.reviews import decisions, evidence_fingerprints
from workbench.store.schema import MIGRATIONS
from workbench.types import Hit, hit_id

A, B = "a" * 64, "b" * 64
AT = "2026-01-02T03:04:05+00:00"


def old_key(rule: str, evidence_id: str, face_id: str | None) -> str:
    # How schema 6 keyed a decision (criteria.apply.item_key), written out independently.
    return hashlib.sha256(f"{rule}\x1f{evidence_id}\x1f{face_id or ''}".encode()).hexdigest()[:20]


def sqlite_case_at(folder: Path, version: int, applied_at: str = AT) -> sqlite3.Connection:
    """A new folder whose ``case.db`` has only the first ``version`` migrations applied."""
    folder.mkdir()
    conn = sqlite3.connect(folder / "case.db", isolation_level=None)
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT)")
    for number, script in enumerate(MIGRATIONS[:version], start=1):
        conn.executescript(f"BEGIN;\n{script}\nINSERT INTO schema_migrations VALUES "
                           f"({number}, '{applied_at}');\nCOMMIT;")
    return conn


def write_evidence(conn: Any) -> None:
    """The case's name and two images, A and B."""
    conn.execute("INSERT INTO case_info VALUES ('name', 'old')")
    for sha in (A, B):
        conn.execute("INSERT INTO evidence (id, kind, added_at) VALUES (?, 'image', ?)",
                     (sha, AT))


def write_schema6_decisions(conn: Any) -> dict[str, str]:
    """Criterion hits, decisions under the old keys with their audit entries, one decision
    whose hit a later re-score removed, and one key that names no hit (synthetic demo rows).

    Returns:
        ``"<rule>:<first letter of the image>"`` -> the hit's id now.
    """
    hits = [(A, "minor_fear", f"{A}:0"), (A, "explicit_minor", None), (B, "minor_fear", None)]
    for sha, rule, face in hits:
        conn.execute(
            "INSERT INTO hits (id, evidence_id, face_id, kind, source, score, created_at) "
            "VALUES (?, ?, ?, 'criterion', ?, 0.8, ?)",
            (hit_id(sha, "criterion", rule, face), sha, face, rule, AT))
    prints = evidence_fingerprints(SimpleNamespace(db=conn), [A, B])
    decided = {(A, "minor_fear", f"{A}:0"): "confirm", (B, "minor_fear", None): "dismiss",
               # a decision whose hit a later re-score removed: known from its audit entry
               (B, "gone_rule", f"{B}:3"): "escalate"}
    for (sha, rule, face), decision in decided.items():
        key = old_key(rule, sha, face)
        conn.execute("INSERT INTO reviews VALUES (?, ?, ?, 'n', 'alice', ?, ?)",
                     (key, sha, decision, AT, prints[sha]))
        conn.execute("INSERT INTO audit (at, who, action, target, detail) VALUES (?, 'alice', "
                     "'review.decide', ?, ?)", (AT, key, json.dumps(
                         {"decision": decision, "evidence_id": sha, "face_id": face,
                          "rule": rule})))
    conn.execute("INSERT INTO reviews VALUES ('synthetic-key', ?, 'confirm', '', 'demo', ?, ?)",
                 (A, AT, prints[A]))
    return {f"{rule}:{sha[0]}": hit_id(sha, "criterion", rule, face)
            for sha, rule, face in [*hits, (B, "gone_rule", f"{B}:3")]}


def check_decisions_kept(case: Case, ids: dict[str, str]) -> None:
    """After migration: every decision on its hit, statuses right, the removed hit's
    decision attached again when a re-score brings the hit back."""
    assert set(decisions(case)) == {ids["minor_fear:a"], ids["minor_fear:b"],
                                    ids["gone_rule:b"], "synthetic-key"}
    status = {i.item: i.status for i in queue_items(case)}
    assert status == {ids["minor_fear:a"]: "confirmed", ids["explicit_minor:a"]: "pending",
                      ids["minor_fear:b"]: "dismissed"}
    assert find_item(case, ids["minor_fear:a"]).decided_by == "alice"
    case.add_hits([Hit(B, "criterion", "gone_rule", 0.9, face_id=f"{B}:3")])
    assert find_item(case, ids["gone_rule:b"]).status == "escalated"
