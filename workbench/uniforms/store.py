"""The ``uniform_attributes`` table: measured attributes per face and analyst corrections.

Measured values are written by a run; a correction is a *new* row with ``corrected_by``
and ``corrected_at`` set (the measured row is kept), and every correction is also in the
case's append-only audit log. Reading returns, per face and item, the latest correction
if there is one, else the latest measured value - which is what the school search uses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from workbench.errors import ValidationError
from workbench.store import uniforms as uniform_rows
from workbench.store.case import Case, _now, current_user
from workbench.uniforms.attributes import ItemAttribute, PersonAttributes
from workbench.uniforms.palette import COLOUR_NAMES
from workbench.uniforms.pattern import PATTERNS
from workbench.uniforms.regions import ITEMS


def save_attributes(case: Case, people: Iterable[PersonAttributes], run_id: str) -> int:
    """Store measured attributes (replacing earlier *measured* rows of the same faces)."""
    rows, faces = [], set()
    for person in people:
        faces.add(person.face_id)
        for item, a in person.items.items():
            detail: dict[str, Any] = {
                "pattern_confidence": a.pattern_confidence,
                "visible_fraction": a.visible_fraction,
                "colours": [d for d in a.detail if "region" not in d]}
            for extra in (d for d in a.detail if "region" in d):
                # where the item was read (image pixels) and how the regions were placed
                detail.update(region=extra["region"], method=extra.get("method"))
            if person.uniform is not None:
                # the person-level reading (uniform decision, mask outline) rides on every
                # item row: the table has no row per person
                detail["person"] = person.uniform
            rows.append((person.face_id, person.evidence_id, item,
                         None if a.present is None else int(a.present), float(a.confidence),
                         json.dumps(a.colours), a.pattern, json.dumps(detail),
                         float(person.uniform_score), run_id))
    uniform_rows.replace_measured(case, list(faces), rows)
    return len(rows)


def correct_attribute(case: Case, face_id: str, item: str, *, present: bool | None = None,
                      colours: Sequence[str] | None = None, pattern: str | None = None,
                      who: str | None = None, note: str = "") -> dict[str, Any]:
    """Record an analyst's correction of one item of one face; returns the new values.

    Unspecified fields keep their current (measured or earlier corrected) values. The
    correction has confidence 1.0 and is audited as ``uniforms.correct``.

    Raises:
        ValidationError: unknown item, colour or pattern, or a face with no attributes.
    """
    if item not in ITEMS:
        raise ValidationError(f"unknown item {item!r}; use one of {', '.join(ITEMS)}")
    bad = [c for c in (colours or []) if c not in COLOUR_NAMES]
    if bad:
        raise ValidationError(f"unknown colours {bad}; use names from {', '.join(COLOUR_NAMES)}")
    if pattern is not None and pattern not in PATTERNS:
        raise ValidationError(f"unknown pattern {pattern!r}; use one of {', '.join(PATTERNS)}")
    current = load_attributes(case, face_ids=[face_id]).get(face_id)
    if current is None:
        raise ValidationError(f"face {face_id!r} has no uniform attributes; run "
                              f"`workbench uniforms CASE_DIR` first")
    before = current["items"].get(item, {})
    new_present = before.get("present") if present is None else bool(present)
    new_colours = list(before.get("colours") or []) if colours is None else list(colours)
    new_pattern = before.get("pattern") if pattern is None else pattern
    who = who or current_user()
    at = _now()
    with case.transaction():
        uniform_rows.add_correction(case, (
            face_id, current["evidence_id"], item,
             None if new_present is None else int(new_present), 1.0, json.dumps(new_colours),
             new_pattern, json.dumps({"note": note}), current["uniform_score"], who, at,
             before.get("run_id")))
        case.audit("uniforms.correct", target=f"{face_id}/{item}", who=who,
                   detail={"before": {k: before.get(k) for k in ("present", "colours", "pattern")},
                           "after": {"present": new_present, "colours": new_colours,
                                     "pattern": new_pattern}, "note": note})
    return {"present": new_present, "colours": new_colours, "pattern": new_pattern}


def load_attributes(case: Case, face_ids: Sequence[str] | None = None,
                    evidence_ids: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
    """Current attributes per face: ``{face_id: {evidence_id, uniform_score, items}}``.

    ``items[item]`` has present, confidence, colours, pattern, corrected (bool),
    corrected_by, corrected_at, run_id. Corrections win over measured values.
    """
    out: dict[str, dict[str, Any]] = {}
    for r in uniform_rows.attribute_rows(case, face_ids, evidence_ids):
        face = out.setdefault(r["face_id"], {"evidence_id": r["evidence_id"],
                                             "uniform_score": r["uniform_score"], "items": {}})
        face["items"][r["item"]] = {
            "present": None if r["present"] is None else bool(r["present"]),
            "confidence": r["confidence"], "colours": json.loads(r["colours"]),
            "pattern": r["pattern"], "corrected": r["corrected_by"] is not None,
            "corrected_by": r["corrected_by"], "corrected_at": r["corrected_at"],
            "run_id": r["run_id"], "detail": json.loads(r["detail"])}
    return out


def observation(face: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The search observation of one loaded face (corrections applied, visible items only)."""
    out = {}
    for item, v in face["items"].items():
        if v["present"] is None:
            continue
        obs = {k: v[k] for k in ("present", "confidence", "colours", "pattern")}
        detail = v.get("detail") or {}
        if v.get("corrected"):
            obs["corrected"] = True     # a person's reading: the search trusts it more
        elif isinstance(detail, dict):
            # A measured reading carries its certainty (shown, not used by the search).
            obs["pattern_confidence"] = detail.get("pattern_confidence")
            obs["colour_shares"] = [c.get("share") for c in detail.get("colours") or []
                                    if isinstance(c, dict) and "share" in c]
        out[item] = obs
    return out


def to_person(face_id: str, face: dict[str, Any]) -> PersonAttributes:
    """A loaded face back as :class:`PersonAttributes` (for widgets that render them)."""
    items = {k: ItemAttribute(k, v["present"], v["confidence"], v["colours"], v["pattern"])
             for k, v in face["items"].items()}
    return PersonAttributes(face_id, face["evidence_id"], items, face["uniform_score"] or 0.0)
