"""The streams a case has watched, and which are live now (for the supervisor dashboard)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from workbench.store.case import Case

COLUMNS = ["source", "state", "started", "ended", "fps", "run"]


def live_sources(case: Case) -> pd.DataFrame:
    """One row per watch run, live ones first: source (password masked), state, times.

    ``state`` is ``live`` while the watch runs, else how it ended (``done``,
    ``interrupted``, ``failed``).
    """
    runs = case.runs()
    runs = runs[runs["kind"] == "watch"]
    rows = []
    for run in runs.itertuples(index=False):
        params = json.loads(run.params or "{}")
        rows.append({"source": params.get("source", ""),
                     "state": "live" if run.status == "running" else run.status,
                     "started": str(run.started_at)[:19].replace("T", " "),
                     "ended": str(run.finished_at or "")[:19].replace("T", " "),
                     "fps": (params.get("reader") or {}).get("fps"), "run": run.id[:8]})
    frame = pd.DataFrame(rows, columns=COLUMNS)
    order = frame.assign(later=frame["state"] != "live").sort_values(
        ["later", "started"], ascending=[True, False])
    return order.drop(columns="later").reset_index(drop=True)
