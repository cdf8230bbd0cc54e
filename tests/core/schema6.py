"""A case as schema 6 kept its hits and review decisions (decisions under a second key),
written into a database at that version on either backend, for the migration tests."""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace
from typing import Any

from workbench.store.reviews import evidence_fingerprints
from workbench.types import hit_id

A, B = "a" * 64, "b" * 64
AT = "2026-01-02T03:04:05+00:00"


def old_key(rule: str, evidence_id: str, face_id: str | None) -> str:
    # How schema 6 keyed a decision (criteria.apply.item_key), written out independently.
    return hashlib.sha256(f"{rule}\x1f{evidence_id}\x1f{face_id or ''}".encode()).hexdigest()[:20]


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
