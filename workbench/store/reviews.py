"""Review decisions (``reviews``) and review settings (``review_settings``).

The queue's logic (what an item is, when a decision still holds) lives in
:mod:`workbench.review.queue`; this module only reads and writes the rows.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from workbench.store.case import Case


def decisions(case: Case) -> dict[str, Any]:
    """Every recorded decision by item key (``sqlite3.Row`` with all columns)."""
    return {r["item_key"]: r for r in case.db.execute("SELECT * FROM reviews").fetchall()}


def record_decision(case: Case, item_key: str, evidence_id: str, decision: str, note: str,
                    who: str, at: str, evidence_sha: str) -> dict[str, Any] | None:
    """Write a decision (replacing the item's earlier one); returns the earlier one.

    Call inside ``case.transaction()`` together with the decision's audit entry.
    """
    with case.transaction() as conn:
        previous = conn.execute("SELECT decision, who, at FROM reviews WHERE item_key=?",
                                (item_key,)).fetchone()
        conn.execute(
            "INSERT OR REPLACE INTO reviews (item_key, evidence_id, decision, note, who, at, "
            "evidence_sha) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (item_key, evidence_id, decision, note, who, at, evidence_sha))
    return dict(previous) if previous else None


def add_decisions(case: Case, rows: list[tuple[Any, ...]]) -> None:
    """Insert ``(item_key, evidence_id, decision, note, who, at, evidence_sha)`` rows as
    they are (synthetic cases); inside the caller's transaction."""
    with case.transaction() as conn:
        conn.executemany(
            "INSERT INTO reviews (item_key, evidence_id, decision, note, who, at, evidence_sha) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


def latest_status_counts(case: Case) -> pd.DataFrame:
    """Flagged items (any hit) by their latest decision: ``status, items`` (unordered)."""
    return case.query(
        """WITH flagged AS (SELECT DISTINCT evidence_id FROM hits),
                latest AS (
                    SELECT evidence_id, decision FROM (
                        SELECT evidence_id, decision, ROW_NUMBER() OVER (
                            PARTITION BY evidence_id ORDER BY at DESC) AS n FROM reviews)
                    WHERE n = 1)
           SELECT COALESCE(l.decision, 'pending') AS status, COUNT(*) AS items
           FROM flagged f LEFT JOIN latest l ON l.evidence_id = f.evidence_id
           GROUP BY status"""
    )


def read_setting(case: Case, key: str) -> str | None:
    """A review setting's stored text (``threshold``), or None when never set."""
    row = case.db.execute("SELECT value FROM review_settings WHERE key=?", (key,)).fetchone()
    return row[0] if row else None


def write_setting(case: Case, key: str, value: str) -> None:
    """Store a review setting; inside the caller's transaction when it audits the change."""
    with case.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO review_settings VALUES (?, ?)", (key, value))
