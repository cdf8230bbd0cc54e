"""Read-only views of a case for the widgets, notebooks and reports.

These are the queries behind the case browser, the face gallery and the timeline, kept out
of the widgets so that a widget only calls one function and renders what it returns.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from workbench.errors import WorkbenchError
from workbench.store.faces import faces_table

if TYPE_CHECKING:
    from workbench.store import Case

EVIDENCE_COLUMNS = ("sha256", "kind", "captured_at", "lat", "lon", "paths", "width", "height",
                    "best_score", "hash_hit", "hits")


class FilterError(WorkbenchError, ValueError):
    """A browser filter cannot be understood; the message shows the expected form."""


@dataclass(frozen=True)
class EvidenceFilter:
    """What the case browser filters on. Every field is optional (None: no filter).

    Attributes:
        kind: ``image``, ``video`` or ``video_frame``.
        date_from: first capture day included.
        date_to: last capture day included.
        near: ``(lat, lon, radius_km)``: items captured within that distance.
        hash_hit_only: only items matching a known-hash list.
        min_score: only items with a hit scoring at least this.
    """

    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    near: tuple[float, float, float] | None = None
    hash_hit_only: bool = False
    min_score: float | None = None


def parse_place(text: str) -> tuple[float, float, float] | None:
    """``"lat, lon, km"`` (or ``"lat, lon"`` for 10 km) as a ``near`` filter; blank is none."""
    text = text.strip()
    if not text:
        return None
    try:
        parts = [float(p) for p in text.replace(";", ",").split(",")]
    except ValueError as error:
        raise FilterError(f"place {text!r} should be 'lat, lon, radius_km', e.g. "
                          "'51.50, -0.12, 5'") from error
    if len(parts) == 2:
        parts.append(10.0)
    if len(parts) != 3 or not (-90 <= parts[0] <= 90 and -180 <= parts[1] <= 180) or parts[2] <= 0:
        raise FilterError(f"place {text!r} should be 'lat, lon, radius_km' with a valid "
                          "latitude, longitude and a positive radius")
    return parts[0], parts[1], parts[2]


def _km(lat1: pd.Series, lon1: pd.Series, lat2: float, lon2: float) -> pd.Series:
    """Great-circle distance in km (haversine), vectorised over a frame's rows."""
    p1, p2 = lat1.map(math.radians), math.radians(lat2)
    dphi = p2 - p1
    dlmb = (lon1 - lon2).map(math.radians)
    a = (dphi / 2).map(math.sin) ** 2 + p1.map(math.cos) * math.cos(p2) * (dlmb / 2).map(
        math.sin) ** 2
    return 2 * 6371.0088 * a.map(lambda v: math.asin(math.sqrt(min(1.0, v))))


def evidence_view(case: Case, filters: EvidenceFilter | None = None) -> pd.DataFrame:
    """The case's evidence with its best hit score and hash-list matches, filtered.

    Returns:
        One row per item with the columns of :data:`EVIDENCE_COLUMNS`, best score first
        then capture time.
    """
    filters = filters or EvidenceFilter()
    frame = case.evidence(filters.kind)
    hits = case.hits()
    if len(hits):
        best = hits.groupby("evidence_id")["score"].max()
        hashed = hits[hits["kind"] == "hash"].groupby("evidence_id").size()
        counts = hits.groupby("evidence_id").size()
    else:
        best = hashed = counts = pd.Series(dtype=float)
    frame["best_score"] = frame["sha256"].map(best)
    frame["hash_hit"] = frame["sha256"].map(hashed).fillna(0).astype(int) > 0
    frame["hits"] = frame["sha256"].map(counts).fillna(0).astype(int)
    captured = pd.to_datetime(frame["captured_at"], errors="coerce", utc=True, format="ISO8601")
    if filters.date_from is not None:
        frame = frame[captured.dt.date >= filters.date_from]
        captured = captured[frame.index]
    if filters.date_to is not None:
        frame = frame[captured.dt.date <= filters.date_to]
    if filters.near is not None:
        lat, lon, km = filters.near
        located = frame.dropna(subset=["lat", "lon"])
        frame = located[_km(located["lat"], located["lon"], lat, lon) <= km]
    if filters.hash_hit_only:
        frame = frame[frame["hash_hit"]]
    if filters.min_score is not None and filters.min_score > 0:
        frame = frame[frame["best_score"].fillna(-1) >= filters.min_score]
    frame = frame.sort_values(["best_score", "captured_at"], ascending=[False, True],
                              na_position="last")
    return frame[list(EVIDENCE_COLUMNS)].reset_index(drop=True)


def faces_view(case: Case) -> pd.DataFrame:
    """Every stored face, one row each, its ``attributes`` JSON spread into columns.

    Columns: ``face_id, evidence_id, x1, y1, x2, y2, confidence, cluster_id, track_id,
    run_id`` and one per attribute (``age``, ``age_std``, ``gender``, ``emotion_*``...).
    """
    frame = faces_table(case)
    attributes = pd.json_normalize([json.loads(a or "{}") for a in frame.pop("attributes")])
    attributes.index = frame.index
    extra = [c for c in attributes.columns if c not in frame.columns]
    return pd.concat([frame, attributes[extra]], axis=1)


def timeline_events(case: Case) -> pd.DataFrame:
    """Dated evidence for the timeline: ``time`` (UTC), kind, best score, place, sha256."""
    frame = evidence_view(case)
    time = pd.to_datetime(frame["captured_at"], errors="coerce", utc=True, format="ISO8601")
    events = pd.DataFrame({
        "time": time, "kind": frame["kind"], "best_score": frame["best_score"],
        "lat": frame["lat"], "lon": frame["lon"], "sha256": frame["sha256"],
        "label": frame["paths"].map(lambda p: Path(p[0]).name if p else ""),
    })
    return events.dropna(subset=["time"]).sort_values("time").reset_index(drop=True)


def as_date(value: date | datetime | str | None) -> date | None:
    """A date from a picker value or ISO text; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as error:
        raise FilterError(f"date {value!r} should look like 2024-05-31") from error
