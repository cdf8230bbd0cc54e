"""Clothing attributes per face (``uniform_attributes``): measured rows and corrections.

Corrections are rows of their own (``corrected_by`` set) that win over measured values
when read in order; the reading and its rules live in :mod:`workbench.uniforms.store`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from workbench.store.case import Case


def replace_measured(case: Case, face_ids: Sequence[str], rows: Sequence[tuple[Any, ...]]
                     ) -> None:
    """Drop the measured (not corrected) rows of ``face_ids`` and insert ``rows``:
    ``(face_id, evidence_id, item, present, confidence, colours, pattern, detail,
    uniform_score, run_id)``."""
    with case.transaction() as conn:
        conn.executemany("DELETE FROM uniform_attributes WHERE face_id = ? AND corrected_by IS NULL",
                         [(f,) for f in face_ids])
        conn.executemany(
            "INSERT INTO uniform_attributes (face_id, evidence_id, item, present, confidence, "
            "colours, pattern, detail, uniform_score, run_id) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)


def add_correction(case: Case, row: tuple[Any, ...]) -> None:
    """Insert a correction ``(face_id, evidence_id, item, present, confidence, colours,
    pattern, detail, uniform_score, corrected_by, corrected_at, run_id)``; inside the
    caller's transaction when it audits it."""
    with case.transaction() as conn:
        conn.execute(
            "INSERT INTO uniform_attributes (face_id, evidence_id, item, present, confidence, "
            "colours, pattern, detail, uniform_score, corrected_by, corrected_at, run_id) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", row)


def attribute_rows(case: Case, face_ids: Sequence[str] | None = None,
                   evidence_ids: Sequence[str] | None = None) -> list[Any]:
    """Every row (of these faces / items): measured first, then corrections in time order,
    so that reading them in order lets the last one win. Empty when a filter is empty."""
    where, params = [], []
    for column, values in (("face_id", face_ids), ("evidence_id", evidence_ids)):
        if values is not None:
            values = list(values)
            if not values:
                return []
            where.append(f"{column} IN ({', '.join('?' * len(values))})")
            params += values
    sql = "SELECT * FROM uniform_attributes" + (f" WHERE {' AND '.join(where)}" if where else "")
    sql += " ORDER BY corrected_at IS NOT NULL, corrected_at, seq"
    return case.db.execute(sql, params).fetchall()
