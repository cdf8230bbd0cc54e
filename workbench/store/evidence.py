"""Evidence into the case (:func:`add`, an :class:`~workbench.types.Evidence` in) and the
queries of the ``evidence`` table beyond :class:`Case`'s own.

Each function is one query a domain needs, kept here so the case database is queried only
inside ``workbench.store``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from workbench.store.case import METADATA_COLUMNS, Case
from workbench.types import Evidence

# The capture time exactly as the source wrote it, when ``captured_at.isoformat()`` would
# write it differently (".12" seconds, a date no datetime holds): kept in the metadata of an
# Evidence on its way in, written to the ``captured_at`` column, never to the JSON.
CAPTURED_AT_TEXT = "captured_at_text"


def add(case: Case, evidence: Evidence, path: str, size: int | None = None,
        mtime_ns: int | None = None, run_id: str | None = None) -> bool:
    """Store one item (once per SHA-256) and the path it was found at.

    Call inside ``case.transaction()`` when adding several items atomically.
    Returns True if the content was new to the case.
    """
    return case.add_evidence(evidence_row(evidence), path, size=size, mtime_ns=mtime_ns,
                             run_id=run_id)


def evidence_row(evidence: Evidence) -> dict[str, Any]:
    """The ``evidence`` table's columns for ``evidence`` (the inverse of reading one back):
    hashes and location to their columns, the table's own columns out of the metadata."""
    metadata = dict(evidence.metadata)
    text = metadata.pop(CAPTURED_AT_TEXT, None)
    captured = evidence.captured_at.isoformat() if evidence.captured_at else None
    lat, lon = evidence.location if evidence.location is not None else (None, None)
    row: dict[str, Any] = {
        "id": evidence.id, "kind": evidence.kind,
        **{k: evidence.hashes.get(k) for k in ("md5", "sha1", "pdq", "pdq_quality")},
        "captured_at": text or captured, "lat": lat, "lon": lon,
        **{k: metadata.pop(k, None) for k in METADATA_COLUMNS},
        "problems": list(metadata.pop("problems", None) or []),
    }
    row["metadata"] = metadata
    # absent, not NULL: the table's defaults (status 'ok') apply as they do for any row
    return {k: v for k, v in row.items() if v is not None}


def image_ids(case: Case) -> list[str]:
    """Every image and video frame of the case, by id."""
    rows = case.db.execute(
        "SELECT id FROM evidence WHERE kind IN ('image', 'video_frame') ORDER BY id").fetchall()
    return [r[0] for r in rows]


def video_frames(case: Case) -> pd.DataFrame:
    """``id, parent_id, frame_time_s`` of every video frame."""
    return case.query("SELECT id, parent_id, frame_time_s FROM evidence "
                      "WHERE kind='video_frame'")


def hash_rows(case: Case) -> Any:
    """``id, md5, sha1, pdq, pdq_quality`` of every item (a cursor), for hash matching."""
    return case.db.execute("SELECT id, md5, sha1, pdq, pdq_quality FROM evidence")


def seized_media(case: Case) -> list[Any]:
    """Images and videos (not derived frames) with hashes, size, when added and their
    source paths as a JSON array (``paths``), by id: what a VICS export lists."""
    return case.db.execute(
        "SELECT e.id, e.md5, e.sha1, e.pdq, e.bytes, e.kind, e.added_at, "
        "(SELECT json_group_array(path) FROM evidence_paths p WHERE p.evidence_id = e.id) "
        "AS paths FROM evidence e WHERE e.kind IN ('image', 'video') ORDER BY e.id"
    ).fetchall()


def items_per_day(case: Case) -> pd.DataFrame:
    """``day`` (text), ``items`` and ``flagged`` (items with a hit) per capture day."""
    return case.query(
        """SELECT substr(e.captured_at, 1, 10) AS day, COUNT(*) AS items,
                  SUM(CASE WHEN EXISTS (SELECT 1 FROM hits h WHERE h.evidence_id = e.id)
                      THEN 1 ELSE 0 END) AS flagged
           FROM evidence e WHERE e.captured_at IS NOT NULL
           GROUP BY day ORDER BY day"""
    )


# Hits and latest review decisions are aggregated once each and joined, rather than
# looked up per item: the per-item form took most of a second on 10,000 items.
_MAP_POINTS_SQL = """
WITH h AS (
    SELECT evidence_id, COUNT(*) AS hits, MAX(score) AS score,
           group_concat(DISTINCT kind || ': ' || source) AS sources
    FROM hits GROUP BY evidence_id),
r AS (
    SELECT evidence_id, decision FROM (
        SELECT evidence_id, decision,
               ROW_NUMBER() OVER (PARTITION BY evidence_id ORDER BY at DESC) AS n
        FROM reviews)
    WHERE n = 1)
SELECT e.id, e.lat, e.lon, e.captured_at, e.kind, COALESCE(h.hits, 0) AS hits, h.score,
       h.sources, r.decision AS review
FROM evidence e
LEFT JOIN h ON h.evidence_id = e.id
LEFT JOIN r ON r.evidence_id = e.id
WHERE e.lat IS NOT NULL AND e.lon IS NOT NULL
ORDER BY h.score IS NULL, h.score DESC, e.id
"""


def map_points(case: Case) -> pd.DataFrame:
    """One row per geotagged item with its hit count, best score, hit sources and latest
    review decision, best score first (one aggregating query: fast on large cases)."""
    return case.query(_MAP_POINTS_SQL)


def geotags(case: Case) -> pd.DataFrame:
    """``lat, lon`` of every geotagged item."""
    return case.query("SELECT lat, lon FROM evidence WHERE lat IS NOT NULL AND lon IS NOT NULL")
