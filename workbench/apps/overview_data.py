"""The numbers of the supervisor's case overview, aggregated in SQL (no widgets here).

Each function takes an open :class:`workbench.store.Case` and returns a small DataFrame
or dict, so the dashboard never pulls a whole case into Python: a case of 10,000 items
aggregates in milliseconds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.faces.age_model import age_range_text
from workbench.store import evidence, faces, hits, reviews

REVIEW_ORDER = ("pending", "confirmed", "escalated", "dismissed")


def case_counts(case: Any) -> dict[str, Any]:
    """Headline counts: items, geotagged, faces, hits, flagged items, quarantined, runs."""
    summary = case.summary()
    flagged = hits.flagged_count(case)
    return {
        "case": summary["case"],
        "items": summary["evidence"],
        "images": summary["by_kind"].get("image", 0),
        "videos": summary["by_kind"].get("video", 0),
        "video frames": summary["by_kind"].get("video_frame", 0),
        "geotagged": summary["geotagged"],
        "faces": summary["faces"],
        "hits": sum(summary["hits"].values()),
        "flagged items": flagged,
        "quarantined files": summary["quarantined"],
        "runs": summary["runs"],
    }


def hits_by_criterion(case: Any) -> pd.DataFrame:
    """One row per (kind, source): hits, distinct items, best and mean score.

    School hits are one row (``candidate schools``): each is a ranked school for one face,
    and a row per school would bury the criteria under hundreds of school names; the map
    and the school search show them one by one.
    """
    return hits.by_criterion(case)


def review_status(case: Any) -> pd.DataFrame:
    """Flagged items by their latest review decision; ``pending`` when nobody decided yet."""
    frame = reviews.latest_status_counts(case)
    order = {s: i for i, s in enumerate(REVIEW_ORDER)}
    frame["_order"] = frame["status"].map(lambda s: order.get(s, len(order)))
    return frame.sort_values(["_order", "status"]).drop(columns="_order").reset_index(drop=True)


def likely_minors(case: Any, threshold: float, limit: int = 10
                  ) -> tuple[dict[str, int], pd.DataFrame]:
    """Faces flagged as likely under 18 at ``threshold``, with their age ranges.

    Returns:
        Counts (faces with an age, flagged, flagged whose whole 95 % range is under 18,
        flagged whose range reaches 18 or more) and the ``limit`` flagged faces with the
        highest ``p_minor``: item (SHA-256 prefix), face, age range, ``p_minor``.
    """
    rows = faces.age_estimates(case)
    flagged = rows[rows["p_minor"] >= threshold]
    counts = {"faces with an age estimate": len(rows), "flagged likely under 18": len(flagged),
              "flagged, whole range under 18": int((flagged["high"] < 18).sum()),
              "flagged, range reaches 18+": int((flagged["high"] >= 18).sum())}
    top = flagged.sort_values("p_minor", ascending=False).head(limit)
    table = pd.DataFrame({
        "item": top["evidence_id"].str[:12], "face": top["face"].str.rsplit(":", n=1).str[-1],
        "age range (95%)": [age_range_text(lo, hi) or "?"
                            for lo, hi in zip(top["low"], top["high"], strict=True)],
        "p_minor": top["p_minor"].round(2)})
    return counts, table


def timeline(case: Any) -> pd.DataFrame:
    """Items and flagged items per capture day (items without a capture time are left out)."""
    frame = evidence.items_per_day(case)
    frame["day"] = pd.to_datetime(frame["day"], errors="coerce")
    return frame.dropna(subset=["day"])


REGISTRY_SOURCE_PREFIX = "registry:"


def hit_places(case: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Places the case's hits point to, for the map: (candidate schools, last-seen places).

    Schools come from ``school`` hits through
    :func:`workbench.schools.case_search.school_places` (placed from the school registry,
    explained by the items that matched and their tie group). Last-seen places come from
    *verified* ``registry`` hits, placed from the missing-person registry named in the
    hit's source.
    A registry that is not reachable from here is skipped: the hits still show in the
    tables, only their place is missing from the map.
    """
    from workbench.errors import WorkbenchError
    from workbench.schools.case_search import school_places

    registry_hits = hits.registry_hits(case)
    try:
        schools = school_places(case)
    except WorkbenchError:
        schools = []  # no readable school registry here: the hits still show in the tables
    last_seen: list[dict[str, Any]] = []
    matches: dict[tuple[str, str], float] = {}
    for row in registry_hits.itertuples():
        conditions = {c["name"]: c for c in json.loads(row.conditions)}
        if not conditions.get("verified", {}).get("value"):
            continue
        location = str(row.source).removeprefix(REGISTRY_SOURCE_PREFIX)
        record = str(conditions.get("candidate", {}).get("value", ""))
        key = (location, record)
        matches[key] = max(matches.get(key, 0.0), float(row.score))
    by_registry: dict[str, dict[str, float]] = {}
    for (location, record), score in matches.items():
        by_registry.setdefault(location, {})[record] = score
    for location, scores in by_registry.items():
        from workbench.missing.backends import open_registry

        if "://" not in location and not Path(location).exists():
            continue  # never create a registry just to draw a map
        try:
            registry = open_registry(location)
        except WorkbenchError:
            continue
        try:
            for person in registry.records(sorted(scores)):
                if person.lat is not None and person.lon is not None:
                    last_seen.append({
                        "lat": person.lat, "lon": person.lon, "name": person.name or person.id,
                        "score": scores[person.id],
                        "explanation": f"verified face match; last seen {person.place}".strip()})
        finally:
            registry.close()
    return schools, last_seen
