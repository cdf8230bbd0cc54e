"""Review decisions (``reviews``), review settings (``review_settings``), and the review
status of stored hits.

A decision is kept under its hit's id (:attr:`workbench.types.Hit.id`, ``hits.id``) with the
*evidence fingerprint* it was made on: everything measured on the image (faces and their
attributes, image signals, non-criterion hits). The decision gives the hit its status while
that fingerprint is unchanged; after a change the hit is pending again and the decision is
shown as outdated. The queue (:mod:`workbench.review.queue`) orders and explains hits; this
module reads and writes the rows and says what status a hit has.

Nothing here imports :class:`workbench.store.case.Case` at run time, so ``Case`` can fill
``Hit.status`` through it without an import circle.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from workbench.errors import WorkbenchError
from workbench.types import DECISIONS

if TYPE_CHECKING:
    from workbench.store.case import Case


class StaleDecision(WorkbenchError):
    """A decision on a review item that changed after it was shown (someone else decided
    it, or its evidence was analysed again); nothing was recorded."""


@dataclass(frozen=True)
class Review:
    """What a person decided on one hit, as it stands for the image's current evidence.

    Attributes:
        status: ``pending`` (no decision, or an outdated one), else the decision's status.
        note, decided_by, decided_at: of the decision that holds ("" when none holds).
        outdated_decision: "<decision> by <who> at <when>" of a decision made on evidence
            that has changed since ("" when none).
        evidence_sha: the image's current evidence fingerprint.
    """

    status: str = "pending"
    note: str = ""
    decided_by: str = ""
    decided_at: str = ""
    outdated_decision: str = ""
    evidence_sha: str = ""

    @classmethod
    def from_row(cls, row: Any) -> Review:
        """The review a queue row (``queue_frame``, the widget's table, JSON lines) shows,
        to pass as ``shown`` when deciding on it."""
        # every field is text; a table's empty cell may be None or NaN
        return cls(**{name: row[name] if isinstance(row[name], str) else ""
                      for name in cls.__dataclass_fields__})


def decisions(case: Case) -> dict[str, Any]:
    """Every recorded decision by hit id (``sqlite3.Row`` with all columns)."""
    return {r["hit_id"]: r for r in case.db.execute("SELECT * FROM reviews").fetchall()}


def reviews_of(case: Case, hits: Iterable[tuple[str, str]], every_print: bool = False
               ) -> dict[str, Review]:
    """The review of each ``(hit_id, evidence_id)``: status, decision, fingerprint.

    Args:
        case: an open case.
        hits: hit ids with the evidence each is on.
        every_print: compute the fingerprint of every image (the queue records it with a
            decision); otherwise only of images with a decision, which is all a status needs.
    """
    pairs = list(hits)
    recorded = decisions(case)
    wanted = {e for h, e in pairs if every_print or h in recorded}
    prints = evidence_fingerprints(case, wanted)
    out: dict[str, Review] = {}
    for hid, evidence_id in pairs:
        sha = prints.get(evidence_id, "")
        review = recorded.get(hid)
        if review is not None and review["evidence_sha"] == sha:
            out[hid] = Review(status=DECISIONS[review["decision"]], note=review["note"],
                              decided_by=review["who"], decided_at=review["at"],
                              evidence_sha=sha)
        elif review is not None:
            out[hid] = Review(evidence_sha=sha, outdated_decision=(
                f"{review['decision']} by {review['who']} at {review['at']}"))
        else:
            out[hid] = Review(evidence_sha=sha)
    return out


def evidence_fingerprints(case: Case, evidence_ids: Iterable[str]) -> dict[str, str]:
    """SHA-256 of everything measured on each image (faces, signals, non-criterion hits)."""
    ids = sorted(set(evidence_ids))
    parts: dict[str, list[Any]] = {eid: [] for eid in ids}
    for chunk in _chunks(ids, 500):
        marks = ", ".join("?" * len(chunk))
        for row in case.db.execute(
                f"SELECT evidence_id, id, x1, y1, x2, y2, attributes FROM faces "
                f"WHERE evidence_id IN ({marks}) ORDER BY evidence_id, id", chunk):
            box = [None if v is None else round(v, 1) for v in (row[2], row[3], row[4], row[5])]
            parts[row[0]].append(["face", row[1], box, _rounded(json.loads(row[6]))])
        for row in case.db.execute(
                f"SELECT evidence_id, name, value FROM image_signals WHERE evidence_id IN "
                f"({marks}) ORDER BY evidence_id, name", chunk):
            parts[row[0]].append(["signal", row[1], round(row[2], 4)])
        for row in case.db.execute(
                f"SELECT evidence_id, kind, source, face_id, score FROM hits WHERE kind != "
                f"'criterion' AND evidence_id IN ({marks}) ORDER BY evidence_id, kind, source, "
                f"face_id, score", chunk):
            parts[row[0]].append(["hit", row[1], row[2], row[3], round(row[4], 4)])
    return {eid: hashlib.sha256(json.dumps([eid, p], sort_keys=True).encode()).hexdigest()
            for eid, p in parts.items()}


def record_decision(case: Case, hit_id: str, evidence_id: str, decision: str, note: str,
                    who: str, at: str, evidence_sha: str, shown: Review | None = None
                    ) -> dict[str, Any] | None:
    """Write a decision (replacing the hit's earlier one); returns the earlier one.

    Call inside ``case.transaction()`` together with the decision's audit entry.

    Args:
        shown: the item's review as the person saw it when deciding. When given, the
            decision is refused (:class:`StaleDecision`) if the item's review is not that
            any more: another person decided it meanwhile, or its evidence changed. The
            check and the write share one write transaction, so two people deciding at
            once cannot both pass it on the same state.
    """
    with case.transaction() as conn:
        if shown is not None:
            now = reviews_of(case, [(hit_id, evidence_id)], every_print=True)[hit_id]
            if now != shown:
                raise StaleDecision(_changed(hit_id, shown, now))
        previous = conn.execute("SELECT decision, who, at FROM reviews WHERE hit_id=?",
                                (hit_id,)).fetchone()
        conn.execute(
            "INSERT OR REPLACE INTO reviews (hit_id, evidence_id, decision, note, who, at, "
            "evidence_sha) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (hit_id, evidence_id, decision, note, who, at, evidence_sha))
    return dict(previous) if previous else None


def add_decisions(case: Case, rows: list[tuple[Any, ...]]) -> None:
    """Insert ``(hit_id, evidence_id, decision, note, who, at, evidence_sha)`` rows as
    they are (synthetic cases); inside the caller's transaction."""
    with case.transaction() as conn:
        conn.executemany(
            "INSERT INTO reviews (hit_id, evidence_id, decision, note, who, at, evidence_sha) "
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


def _changed(hit_id: str, shown: Review, now: Review) -> str:
    """What changed on an item since it was shown, and what to do."""
    if now.evidence_sha != shown.evidence_sha:
        what = "its evidence was analysed again (faces, signals or hits changed)"
    elif now.decided_at:
        what = (f"it was marked {now.status} by {now.decided_by} at {now.decided_at}"
                + (f" ({now.note})" if now.note else ""))
    else:
        what = "its decision was withdrawn or became outdated"
    return (f"review item {hit_id[:12]} changed since it was shown: {what}; your decision "
            "was not recorded. Reload the queue to see the item as it is now, then decide "
            "again.")


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def _chunks(values: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]
