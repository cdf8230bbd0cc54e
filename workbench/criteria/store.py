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


def load_faces(case: Case, columns: Iterable[str] | None = None) -> Faces:
    """The case's analysed faces as one :class:`Faces` (``face_id`` = the store's face id).

    Args:
        case: an open case.
        columns: the attributes to read (what the rules test); None reads every scalar
            attribute. Naming them lets SQLite extract them from the JSON column itself,
            which is several times faster than parsing every row in Python.
    """
    if columns is None:
        return _load_all_attributes(case)
    names = sorted(set(columns))
    select = ", ".join(["id", "evidence_id", "x1", "y1", "x2", "y2", "confidence", "run_id"]
                       + ["json_extract(attributes, ?)"] * len(names))
    rows = case.db.execute(f"SELECT {select} FROM faces ORDER BY evidence_id, idx",
                           [f'$."{n}"' for n in names]).fetchall()
    if not rows:
        return Faces.empty()
    table = list(zip(*rows, strict=True))
    data = {name: _column(table[8 + i]) for i, name in enumerate(names)}
    data = {k: v for k, v in data.items() if v is not None}
    return _faces(table, data)


def _column(values: tuple[Any, ...]) -> np.ndarray | None:
    """Numbers as float (None -> NaN), words as objects; None if the attribute is absent."""
    if all(v is None for v in values):
        return None
    if any(isinstance(v, str) for v in values):
        return np.array(values, dtype=object)
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _faces(table: list[tuple[Any, ...]], data: dict[str, np.ndarray]) -> Faces:
    data["face_id"] = np.array(table[0], dtype=object)
    run_ids = set(table[7])
    return Faces(
        evidence_id=np.array(table[1], dtype=object),
        xyxy=np.column_stack([np.array(table[i], dtype=np.float32) for i in (2, 3, 4, 5)]),
        confidence=np.array([c or 0.0 for c in table[6]], dtype=np.float32),
        data=data, run_id=run_ids.pop() if len(run_ids) == 1 and None not in run_ids else "",
    )


def _load_all_attributes(case: Case) -> Faces:
    rows = case.db.execute(
        "SELECT id, evidence_id, x1, y1, x2, y2, confidence, run_id, attributes FROM faces "
        "ORDER BY evidence_id, idx").fetchall()
    if not rows:
        return Faces.empty()
    table = list(zip(*rows, strict=True))
    attributes = pd.DataFrame.from_records([json.loads(a) for a in table[8]])
    data: dict[str, np.ndarray] = {}
    for name in attributes.columns:
        values = tuple(attributes[name].where(attributes[name].notna(), None))
        if any(isinstance(v, (list, dict)) for v in values):
            continue  # vectors (e.g. an embedding) are not rule inputs
        column = _column(values)
        if column is not None:
            data[name] = column
    return _faces(table, data)


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
