"""Image-level signals (the explicit-content score today) in the ``image_signals`` table.

One value per image and signal name, so scoring never re-runs a model.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from workbench.store.case import Case
from workbench.types import utc_now


def write_signals(
    case: Case, rows: Iterable[tuple[str, str, float, Mapping[str, Any]]], run_id: str | None,
) -> int:
    """Store ``(evidence_id, name, value, detail)`` signals, replacing earlier values."""
    now = utc_now().isoformat(timespec="microseconds")
    params = [(eid, name, float(value), json.dumps(dict(detail), sort_keys=True, default=str),
               run_id, now) for eid, name, value, detail in rows]
    with case.transaction() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO image_signals (evidence_id, name, value, detail, run_id, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?)", params)
    return len(params)


def read_signals(case: Case) -> pd.DataFrame:
    """All image signals: ``evidence_id, name, value, detail, run_id``."""
    return case.query("SELECT evidence_id, name, value, detail, run_id FROM image_signals "
                      "ORDER BY evidence_id, name")


def evidence_with_signal(case: Case, name: str) -> set[str]:
    """The items that already have signal ``name``."""
    return {r[0] for r in case.db.execute(
        "SELECT evidence_id FROM image_signals WHERE name = ?", (name,))}

