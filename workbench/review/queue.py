"""The review queue: criterion hits at or above a threshold, for a person to decide.

* An item is a :class:`~workbench.types.Hit` (its id is the item's id) seen with its review:
  status, the decision and the age uncertainty of its face (:class:`QueueItem`).
* Items are ordered by score and grouped by image (an image's rank is its best item).
* A hit's id is stable across re-scoring: the same rule, image and face give the same id
  (:func:`workbench.types.hit_id`), so a decision survives a re-score.
* A decision records the *evidence fingerprint* it was made on (everything measured on the
  image: faces and their attributes, image signals, hash and registry hits). When that
  changes, the item is pending again and shows the earlier decision as outdated
  (:mod:`workbench.store.reviews`).
* Scores only order the work. Nothing here acts on a score: only :func:`decide` changes an
  item, and it needs a person (recorded with the time in the audit log).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from workbench.auth.identity import check_action
from workbench.criteria.minor import minor_probability
from workbench.criteria.threshold import get_threshold
from workbench.errors import WorkbenchError
from workbench.store import Case
from workbench.store import faces as face_rows
from workbench.store import hits as hit_rows
from workbench.store import reviews as review_rows
from workbench.store.reviews import Review, evidence_fingerprints
from workbench.types import DECISIONS, Condition, Hit, utc_now

__all__ = ["DECISIONS", "ImageGroup", "QueueItem", "ReviewError", "decide",
           "evidence_fingerprints", "find_item", "queue_frame", "queue_groups", "queue_items",
           "queue_with_boxes", "reviewed_hits"]


class ReviewError(WorkbenchError):
    """A review action could not be done (unknown item, unknown decision...)."""


@dataclass(frozen=True)
class QueueItem:
    """A criterion :class:`Hit` as the queue shows it: the hit (with its review status),
    the review behind that status, and the age uncertainty of its face.

    The hit is the currency; the properties below only name its fields as the queue's
    table and JSON lines always have (``item`` is the hit's id, ``rule`` its source).
    """

    hit: Hit
    review: Review = field(default_factory=Review)
    age: float | None = None
    age_std: float | None = None
    p_minor: float | None = None

    @property
    def item(self) -> str:
        return self.hit.id

    @property
    def evidence_id(self) -> str:
        return self.hit.evidence_id

    @property
    def face_id(self) -> str | None:
        return self.hit.face_id

    @property
    def rule(self) -> str:
        return self.hit.source

    @property
    def score(self) -> float:
        return self.hit.score

    @property
    def status(self) -> str:
        return self.hit.status

    @property
    def rules_version(self) -> str:
        return self.hit.version

    @property
    def explanation(self) -> str:
        return self.hit.explain()

    @property
    def conditions(self) -> list[dict[str, Any]]:
        return [c.as_dict() for c in self.hit.conditions]

    @property
    def note(self) -> str:
        return self.review.note

    @property
    def decided_by(self) -> str:
        return self.review.decided_by

    @property
    def decided_at(self) -> str:
        return self.review.decided_at

    @property
    def outdated_decision(self) -> str:
        return self.review.outdated_decision

    @property
    def evidence_sha(self) -> str:
        return self.review.evidence_sha

    def as_dict(self) -> dict[str, Any]:
        """One row of the queue's table and JSON lines (the same columns as always)."""
        return {name: getattr(self, name) for name in _ROW}

    def to_hit(self) -> Hit:
        """The criterion hit behind this item, with its review status filled in."""
        return self.hit


_ROW = ("item", "evidence_id", "face_id", "rule", "score", "explanation", "conditions",
        "status", "rules_version", "note", "decided_by", "decided_at", "outdated_decision",
        "age", "age_std", "p_minor", "evidence_sha")


@dataclass(frozen=True)
class ImageGroup:
    """The queue items of one image, best first."""

    evidence_id: str
    score: float
    items: list[QueueItem] = field(default_factory=list)


def queue_items(case: Case, threshold: float | None = None, include_decided: bool = True
                ) -> list[QueueItem]:
    """Items at or above ``threshold`` (the case's, 0.3 by default), grouped order.

    Args:
        case: an open case.
        threshold: minimum score; None uses the case's review threshold.
        include_decided: False lists only items still waiting for a decision.
    """
    threshold = get_threshold(case) if threshold is None else float(threshold)
    items = _items(case, hit_rows.criterion_hits(case, threshold))
    if not include_decided:
        items = [i for i in items if i.status == "pending"]
    return _group_order(items)


def _items(case: Case, rows: pd.DataFrame) -> list[QueueItem]:
    """Queue items for criterion hit rows, with review status and age uncertainty."""
    if rows.empty:
        return []
    records = rows.to_dict(orient="records")
    reviews = review_rows.reviews_of(case, [(r["id"], r["evidence_id"]) for r in records],
                                     every_print=True)
    ages = _face_ages(case, [f for f in rows["face_id"] if isinstance(f, str)])
    items = []
    for row in records:
        face_id = row["face_id"] if isinstance(row["face_id"], str) else None
        review = reviews[row["id"]]
        hit = Hit(evidence_id=row["evidence_id"], kind="criterion", source=row["source"],
                  score=float(row["score"]),
                  conditions=tuple(Condition(**c) for c in json.loads(row["conditions"])),
                  run_id=row["run_id"] or "", status=review.status, face_id=face_id,
                  version=row["version"], id=row["id"])
        items.append(QueueItem(hit=hit, review=review, **ages.get(face_id, {})))
    return items


def reviewed_hits(case: Case, threshold: float | None = None) -> list[Hit]:
    """The queue's criterion hits as :class:`Hit` values whose ``status`` is the review
    status (``pending`` until a person decides, or when a decision is outdated)."""
    return [item.hit for item in queue_items(case, threshold)]


def queue_groups(case: Case, threshold: float | None = None, include_decided: bool = True
                 ) -> list[ImageGroup]:
    """The queue grouped by image: images by their best score, items by score."""
    groups: dict[str, ImageGroup] = {}
    for item in queue_items(case, threshold, include_decided):
        group = groups.setdefault(item.evidence_id, ImageGroup(item.evidence_id, item.score))
        group.items.append(item)
    return list(groups.values())


def queue_frame(case: Case, threshold: float | None = None) -> pd.DataFrame:
    """The queue as a DataFrame (one row per item), for widgets and dashboards."""
    return pd.DataFrame([i.as_dict() for i in queue_items(case, threshold)])


def queue_with_boxes(case: Case) -> pd.DataFrame:
    """The queue frame with each face item's box (``x1..y2``), so a widget can crop to it."""
    frame = queue_frame(case)
    if not len(frame) or "face_id" not in frame.columns:
        return frame
    return frame.merge(face_rows.boxes(case), on="face_id", how="left")


def decide(case: Case, item: str, decision: str, note: str = "", who: str | None = None,
           shown: Review | None = None) -> QueueItem:
    """Record a person's decision on a queue item (``confirm``, ``dismiss``, ``escalate``).

    The decision holds across re-scoring while the image's evidence fingerprint is unchanged;
    who decided, when, and the note go to the audit log. In a case with users, only a
    logged-in analyst may decide (``workbench.auth.PermissionDenied`` otherwise). Given the
    item's review as it was ``shown`` (``QueueItem.review``), a decision on an item that
    changed since is refused (``workbench.store.reviews.StaleDecision``).
    """
    if decision not in DECISIONS:
        raise ReviewError(f"decision must be one of {sorted(DECISIONS)}, got {decision!r}")
    if decision == "escalate" and not note.strip():
        raise ReviewError("an escalation needs a note saying why and to whom")
    found = find_item(case, item)
    # The acting user (a login in a case with users), checked for the analyst role before
    # anything is written; the decision row and the audit entry carry the same name.
    who = check_action(case, "review.decide", found.item, who)
    at = utc_now().isoformat(timespec="microseconds")
    with case.transaction():
        previous = review_rows.record_decision(case, found.item, found.evidence_id, decision,
                                               note, who, at, found.evidence_sha, shown)
        case.audit("review.decide", target=found.item, who=who, detail={
            "decision": decision, "note": note, "evidence_id": found.evidence_id,
            "face_id": found.face_id, "rule": found.rule, "score": found.score,
            "rules_version": found.rules_version, "evidence_sha": found.evidence_sha,
            "previous": previous,
        })
    return find_item(case, found.item)


def find_item(case: Case, item: str) -> QueueItem:
    """A current item by hit id (or a unique id prefix of at least 6 characters), any score."""
    matches = [hid for hid in hit_rows.criterion_hit_ids(case)
               if hid == item or (len(item) >= 6 and hid.startswith(item))]
    if len(matches) != 1:
        what = "no" if not matches else f"{len(matches)}"
        raise ReviewError(f"{what} review items match {item!r}; list them with "
                          f"`workbench review {case.path} --json`")
    return _items(case, hit_rows.criterion_hit(case, matches[0]))[0]


def _group_order(items: list[QueueItem]) -> list[QueueItem]:
    best: dict[str, float] = {}
    for item in items:
        best[item.evidence_id] = max(best.get(item.evidence_id, 0.0), item.score)
    return sorted(items, key=lambda i: (-best[i.evidence_id], i.evidence_id, -i.score,
                                        i.rule, i.face_id or ""))


def _face_ages(case: Case, face_ids: list[str]) -> dict[str, dict[str, float | None]]:
    out: dict[str, dict[str, float | None]] = {}
    for chunk in _chunks(sorted(set(face_ids)), 500):
        for row in face_rows.attribute_rows(case, chunk):
            attrs = json.loads(row[1])
            ages = {k: _float(attrs.get(k)) for k in ("age", "age_std", "p_minor")}
            if ages["p_minor"] is None and ages["age"] is not None:
                ages["p_minor"] = _float(minor_probability(ages["age"], ages["age_std"])[0])
            out[row[0]] = ages
    return out


def _float(value: Any) -> float | None:
    try:
        return None if value is None else round(float(value), 3)
    except (TypeError, ValueError):
        return None


def _chunks(values: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]
