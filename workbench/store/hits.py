"""Reads and writes of the ``hits`` table beyond :meth:`Case.add_hits` and :meth:`Case.hits`.

Each function is one query a domain needs (the review queue, the rules, the dashboard),
kept here so that the case database is queried only inside ``workbench.store``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd

from workbench.store.case import Case, _now
from workbench.types import Hit


def criterion_hits(case: Case, min_score: float) -> pd.DataFrame:
    """Criterion hits scoring at least ``min_score``: the review queue's rows."""
    return case.query(
        "SELECT id, evidence_id, face_id, source, version, score, conditions, run_id FROM hits "
        "WHERE kind = 'criterion' AND score >= ?", (min_score,))


def criterion_hit_ids(case: Case) -> list[str]:
    """The id of every criterion hit (to find a review item by id or id prefix)."""
    return [r[0] for r in case.db.execute("SELECT id FROM hits WHERE kind = 'criterion'")]


def criterion_hit(case: Case, hit_id: str) -> pd.DataFrame:
    """The criterion hit stored under ``hit_id``, as one row (the queue's columns)."""
    return case.query("SELECT id, evidence_id, face_id, source, version, score, conditions, "
                      "run_id FROM hits WHERE kind = 'criterion' AND id = ?", (hit_id,))


def input_hits(case: Case) -> pd.DataFrame:
    """Hits the rules can test (hash lists, registry...): every kind except ``criterion``."""
    return case.query("SELECT evidence_id, face_id, kind, source, score FROM hits "
                      "WHERE kind != 'criterion'")


def registry_hits(case: Case) -> pd.DataFrame:
    """``source, score, conditions`` of every missing-person registry hit."""
    return case.query("SELECT source, score, conditions FROM hits WHERE kind = 'registry'")


def flagged_count(case: Case) -> int:
    """How many items have at least one hit."""
    return case.db.execute("SELECT COUNT(DISTINCT evidence_id) FROM hits").fetchone()[0]


def by_criterion(case: Case) -> pd.DataFrame:
    """One row per (kind, source), school hits folded into ``candidate schools``."""
    return case.query(
        """SELECT kind, CASE WHEN kind = 'school' THEN 'candidate schools' ELSE source END
                      AS source,
                  COUNT(*) AS hits, COUNT(DISTINCT evidence_id) AS items,
                  ROUND(MAX(score), 2) AS best_score, ROUND(AVG(score), 2) AS mean_score
           FROM hits GROUP BY 1, 2 ORDER BY hits DESC, kind, source"""
    )


def put_hits(case: Case, hits: Sequence[Hit], ids: Sequence[str] | None = None) -> None:
    """Write ``hits`` under their ids (or the ``ids`` given), replacing hits stored under
    the same id.

    For domains whose hit identity is their own (a registry match is one face and one
    candidate); :meth:`Case.add_hits` keeps the first hit instead.
    """
    ids = [h.id for h in hits] if ids is None else ids
    now = _now()
    with case.transaction() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO hits (id, evidence_id, face_id, kind, source, version, "
            "score, conditions, run_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(i, h.evidence_id, h.face_id, h.kind, h.source, h.version, h.score,
              json.dumps([c.as_dict() for c in h.conditions], default=str), h.run_id, now)
             for h, i in zip(hits, ids, strict=True)])


def add_rows(case: Case, rows: list[tuple[Any, ...]]) -> None:
    """Insert ``(id, evidence_id, kind, source, score, conditions, run_id, created_at)`` rows
    as they are (synthetic cases); inside the caller's transaction."""
    with case.transaction() as conn:
        conn.executemany(
            "INSERT INTO hits (id, evidence_id, kind, source, score, conditions, run_id, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def school_hits(case: Case) -> pd.DataFrame:
    """``source, score, conditions, face_id`` of every school hit, best score first."""
    return case.query("SELECT source, score, conditions, face_id FROM hits WHERE kind = 'school' "
                      "ORDER BY score DESC")
