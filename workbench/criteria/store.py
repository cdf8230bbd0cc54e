"""Reading and writing what the criteria need in a case: faces, image signals, hits, settings.

Image-level signals (the explicit-content score today) live in the ``image_signals`` table,
one value per image and signal name, so scoring never re-runs a model.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from workbench.store import Case
from workbench.types import Faces, utc_now

DEFAULT_THRESHOLD = 0.3


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


def read_input_hits(case: Case) -> pd.DataFrame:
    """Hits the rules can test (hash lists, registry...): every kind except ``criterion``."""
    return case.query("SELECT evidence_id, face_id, kind, source, score FROM hits "
                      "WHERE kind != 'criterion'")


def image_ids(case: Case) -> list[str]:
    """Every image and video frame of the case (image-level rules consider each)."""
    rows = case.db.execute(
        "SELECT id FROM evidence WHERE kind IN ('image', 'video_frame') ORDER BY id").fetchall()
    return [r[0] for r in rows]


def load_faces(case: Case) -> Faces:
    """The case's analysed faces as one :class:`Faces` (``face_id`` = the store's face id).

    Reads the ``faces`` table directly: ``attributes`` JSON becomes ``data`` columns. Only
    the scalar attributes the rules test are needed, so embeddings are not loaded.
    """
    rows = case.db.execute(
        "SELECT id, evidence_id, x1, y1, x2, y2, confidence, attributes, run_id FROM faces "
        "ORDER BY evidence_id, idx").fetchall()
    if not rows:
        return Faces.empty()
    attributes = pd.DataFrame.from_records([json.loads(r["attributes"]) for r in rows])
    data: dict[str, np.ndarray] = {}
    for name in attributes.columns:
        column = attributes[name]
        if column.map(lambda v: isinstance(v, (list, dict))).any():
            continue  # vectors (e.g. an emotion dict) are not rule inputs
        numeric = pd.to_numeric(column, errors="coerce")
        data[name] = numeric.to_numpy(float) if numeric.notna().sum() == column.notna().sum() \
            else column.to_numpy(object)
    data["face_id"] = np.array([r["id"] for r in rows], dtype=object)
    run_ids = {r["run_id"] for r in rows}
    return Faces(
        evidence_id=np.array([r["evidence_id"] for r in rows], dtype=object),
        xyxy=np.array([[r["x1"], r["y1"], r["x2"], r["y2"]] for r in rows], dtype=np.float32),
        confidence=np.array([r["confidence"] or 0.0 for r in rows], dtype=np.float32),
        data=data, run_id=run_ids.pop() if len(run_ids) == 1 else "",
    )


def get_threshold(case: Case) -> float:
    """The case's review threshold (default 0.3)."""
    row = case.db.execute("SELECT value FROM review_settings WHERE key='threshold'").fetchone()
    return float(row[0]) if row else DEFAULT_THRESHOLD


def set_threshold(case: Case, threshold: float, who: str | None = None) -> None:
    """Change the review threshold; the change is audited."""
    from workbench.criteria.rules import RulesError

    if not 0.0 <= threshold <= 1.0:
        raise RulesError(f"the review threshold must be between 0 and 1, got {threshold}")
    old = get_threshold(case)
    with case.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO review_settings VALUES ('threshold', ?)",
                     (str(float(threshold)),))
        case.audit("review.threshold", detail={"from": old, "to": float(threshold)}, who=who)
