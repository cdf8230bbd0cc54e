"""The review queue: criterion hits at or above a threshold, for a person to decide.

* Items are ordered by score and grouped by image (an image's rank is its best item).
* An item's key is stable across re-scoring: the same rule, image and face give the same
  key (:func:`workbench.criteria.apply.item_key`), so a decision survives a re-score.
* A decision records the *evidence fingerprint* it was made on (everything measured on the
  image: faces and their attributes, image signals, hash and registry hits). When that
  changes, the item is pending again and shows the earlier decision as outdated.
* Scores only order the work. Nothing here acts on a score: only :func:`decide` changes an
  item, and it needs a person (recorded with the time in the audit log).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from workbench.auth.identity import check_action
from workbench.criteria.apply import item_key
from workbench.criteria.minor import minor_probability
from workbench.criteria.threshold import get_threshold
from workbench.errors import WorkbenchError
from workbench.store import Case
from workbench.store import faces as face_rows
from workbench.store import hits as hit_rows
from workbench.store import reviews as review_rows
from workbench.store.signals import signal_rows
from workbench.types import Condition, Hit, utc_now

DECISIONS: dict[str, str] = {"confirm": "confirmed", "dismiss": "dismissed",
                             "escalate": "escalated"}


class ReviewError(WorkbenchError):
    """A review action could not be done (unknown item, unknown decision...)."""


@dataclass(frozen=True)
class QueueItem:
    """One row of the queue: a criterion hit with its review status and age uncertainty."""

    item: str
    evidence_id: str
    face_id: str | None
    rule: str
    score: float
    explanation: str
    conditions: list[dict[str, Any]]
    status: str
    rules_version: str
    note: str = ""
    decided_by: str = ""
    decided_at: str = ""
    outdated_decision: str = ""
    age: float | None = None
    age_std: float | None = None
    p_minor: float | None = None
    evidence_sha: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def to_hit(self) -> Hit:
        """The criterion hit behind this item, with its review status filled in."""
        return Hit(evidence_id=self.evidence_id, kind="criterion", source=self.rule,
                   score=self.score, conditions=tuple(Condition(**c) for c in self.conditions),
                   status=self.status, face_id=self.face_id, version=self.rules_version)


@dataclass(frozen=True)
class ImageGroup:
    """The queue items of one image, best first."""

    evidence_id: str
    score: float
    items: list[QueueItem] = field(default_factory=list)


def evidence_fingerprints(case: Case, evidence_ids: Iterable[str]) -> dict[str, str]:
    """SHA-256 of everything measured on each image (faces, signals, non-criterion hits)."""
    ids = sorted(set(evidence_ids))
    parts: dict[str, list[Any]] = {eid: [] for eid in ids}
    for chunk in _chunks(ids, 500):
        for row in face_rows.face_rows(case, chunk):
            box = [None if v is None else round(v, 1) for v in (row[2], row[3], row[4], row[5])]
            parts[row[0]].append(["face", row[1], box, _rounded(json.loads(row[6]))])
        for row in signal_rows(case, chunk):
            parts[row[0]].append(["signal", row[1], round(row[2], 4)])
        for row in hit_rows.input_hit_rows(case, chunk):
            parts[row[0]].append(["hit", row[1], row[2], row[3], round(row[4], 4)])
    return {eid: hashlib.sha256(json.dumps([eid, p], sort_keys=True).encode()).hexdigest()
            for eid, p in parts.items()}


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


def _items(case: Case, hits: pd.DataFrame) -> list[QueueItem]:
    """Queue items for criterion hit rows, with review status and age uncertainty."""
    if hits.empty:
        return []
    prints = evidence_fingerprints(case, hits["evidence_id"])
    reviews = review_rows.decisions(case)
    ages = _face_ages(case, [f for f in hits["face_id"] if isinstance(f, str)])
    items = []
    for row in hits.to_dict(orient="records"):
        face_id = row["face_id"] if isinstance(row["face_id"], str) else None
        key = item_key(row["source"], row["evidence_id"], face_id)
        sha = prints[row["evidence_id"]]
        review = reviews.get(key)
        conditions = json.loads(row["conditions"])
        status, outdated, extra = "pending", "", {}
        if review is not None and review["evidence_sha"] == sha:
            status = DECISIONS[review["decision"]]
            extra = {"note": review["note"], "decided_by": review["who"],
                     "decided_at": review["at"]}
        elif review is not None:
            outdated = f"{review['decision']} by {review['who']} at {review['at']}"
        items.append(QueueItem(
            item=key, evidence_id=row["evidence_id"], face_id=face_id, rule=row["source"],
            score=float(row["score"]), explanation=_explain(row["source"], row["score"], conditions),
            conditions=conditions, status=status, rules_version=row["version"],
            outdated_decision=outdated, evidence_sha=sha, **ages.get(face_id, {}), **extra,
        ))
    return items


def reviewed_hits(case: Case, threshold: float | None = None) -> list[Hit]:
    """The queue's criterion hits as :class:`Hit` values whose ``status`` is the review
    status (``pending`` until a person decides, or when a decision is outdated)."""
    return [item.to_hit() for item in queue_items(case, threshold)]


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


def decide(case: Case, item: str, decision: str, note: str = "", who: str | None = None
           ) -> QueueItem:
    """Record a person's decision on a queue item (``confirm``, ``dismiss``, ``escalate``).

    The decision holds across re-scoring while the image's evidence fingerprint is unchanged;
    who decided, when, and the note go to the audit log. In a case with users, only a
    logged-in analyst may decide (``workbench.auth.PermissionDenied`` otherwise).
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
                                               note, who, at, found.evidence_sha)
        case.audit("review.decide", target=found.item, who=who, detail={
            "decision": decision, "note": note, "evidence_id": found.evidence_id,
            "face_id": found.face_id, "rule": found.rule, "score": found.score,
            "rules_version": found.rules_version, "evidence_sha": found.evidence_sha,
            "previous": previous,
        })
    return find_item(case, found.item)


def find_item(case: Case, item: str) -> QueueItem:
    """A current item by key (or a unique key prefix of at least 6 characters), any score."""
    keys = hit_rows.criterion_hit_keys(case)
    matches = [
        int(r["row"]) for r in keys.to_dict(orient="records")
        if (key := item_key(r["source"], r["evidence_id"],
                            r["face_id"] if isinstance(r["face_id"], str) else None)) == item
        or (len(item) >= 6 and key.startswith(item))
    ]
    if len(matches) != 1:
        what = "no" if not matches else f"{len(matches)}"
        raise ReviewError(f"{what} review items match {item!r}; list them with "
                          f"`workbench review {case.path} --json`")
    return _items(case, hit_rows.criterion_hit_at(case, matches[0]))[0]


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


def _explain(rule: str, score: float, conditions: list[dict[str, Any]]) -> str:
    hit = Hit(evidence_id="0" * 64, kind="criterion", source=rule, score=score,
              conditions=tuple(Condition(**c) for c in conditions))
    return hit.explain()


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def _float(value: Any) -> float | None:
    try:
        return None if value is None else round(float(value), 3)
    except (TypeError, ValueError):
        return None


def _chunks(values: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]
