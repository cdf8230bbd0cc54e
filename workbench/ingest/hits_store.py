"""Write and read :class:`~workbench.types.Hit` rows in a case's ``hits`` table.

Proposed to move to ``workbench/store/`` as ``Case.save_hits`` / ``Case.hits``; it lives
here until then. A hit's id is derived from what it is about, so re-running the same
check never duplicates a hit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from workbench.types import Condition, Hit, utc_now

if TYPE_CHECKING:
    import pandas as pd

    from workbench.store import Case


def hit_id(hit: Hit, key: str = "") -> str:
    """A stable id: the same evidence, kind, source, face and key give the same id."""
    text = "\x1f".join([hit.evidence_id, hit.kind, hit.source, hit.face_id or "", key])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def save_hits(case: Case, hits: Iterable[Hit], keys: Iterable[str] | None = None) -> int:
    """Store hits (inside the caller's transaction if one is open); returns how many new.

    Args:
        case: the open case.
        hits: the hits to store.
        keys: optional per-hit discriminators (e.g. the matched hash) so two different
            matches of one source on one evidence are kept apart.
    """
    hits = list(hits)
    key_list = list(keys) if keys is not None else [""] * len(hits)
    now = utc_now().isoformat(timespec="microseconds")
    added = 0
    for hit, key in zip(hits, key_list, strict=True):
        cursor = case.db.execute(
            "INSERT OR IGNORE INTO hits (id, evidence_id, face_id, kind, source, version, score, "
            "conditions, run_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (hit_id(hit, key), hit.evidence_id, hit.face_id, hit.kind, hit.source, hit.version,
             float(hit.score), json.dumps([c.as_dict() for c in hit.conditions], default=str),
             hit.run_id or None, now),
        )
        added += cursor.rowcount
    return added


def load_hits(case: Case, kind: str | None = None) -> list[Hit]:
    """Hits of a case (optionally of one kind) as :class:`Hit` objects."""
    sql = "SELECT * FROM hits" + (" WHERE kind = ?" if kind else "") + " ORDER BY created_at, id"
    rows = case.db.execute(sql, (kind,) if kind else ()).fetchall()
    return [
        Hit(evidence_id=r["evidence_id"], kind=r["kind"], source=r["source"], score=r["score"],
            conditions=tuple(Condition(**c) for c in json.loads(r["conditions"])),
            run_id=r["run_id"] or "", face_id=r["face_id"], version=r["version"])
        for r in rows
    ]


def hits_frame(case: Case, kind: str | None = None) -> pd.DataFrame:
    """Hits as a DataFrame (conditions decoded)."""
    frame = case.query("SELECT * FROM hits" + (" WHERE kind = ?" if kind else "")
                       + " ORDER BY created_at, id", (kind,) if kind else ())
    frame["conditions"] = frame["conditions"].map(json.loads)
    return frame
