"""Uniform attributes of each person: which items, their colours and patterns, a score.

For each face the clothing regions (:mod:`workbench.uniforms.regions`) are measured:
dominant named colours (:mod:`workbench.uniforms.palette`) and pattern
(:mod:`workbench.uniforms.pattern`). Whether an item is *present* is read from how the
layers differ, because without a segmentation model an item is only seen through its
colour against the layer beneath it: a tie differs from the collar either side of it, a
jumper shows below the collar's V, a blazer covers the sides of the chest in a colour
other than the centre. A blazer and a jumper of the same colour therefore read as one
jumper; that limit is measured, not hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.types import Faces
from workbench.uniforms.palette import (
    NamedColour,
    delta_e94,
    dominant_colours,
    rgb_to_lab,
    skin_mask_lab,
)
from workbench.uniforms.pattern import classify_pattern, largest_rectangle
from workbench.uniforms.regions import ITEMS, anchor_from_face, clothing_regions

# Two layers whose dominant colours differ by more than this (CIE94, kL=2) are distinct.
DISTINCT_DE = 9.0
# Weights of each item in the uniform-present score (noisy-OR); the consistency bonus is
# added when the tie shares a colour with the jumper or blazer, as school ties usually do.
SCORE_WEIGHTS = {"shirt": 0.25, "tie": 0.45, "jumper": 0.3, "blazer": 0.45, "lower": 0.1}
CONSISTENCY_BONUS = 0.15
# Presence belief for a blazer that cannot be told from a same-coloured jumper.
AMBIGUOUS_BLAZER = 0.5


@dataclass
class ItemAttribute:
    """What was seen of one item.

    Attributes:
        item: ``shirt``, ``tie``, ``jumper``, ``blazer`` or ``lower``.
        present: True/False, or None when the region is not visible in the image.
        confidence: confidence in ``present`` (0.5 = cannot tell).
        colours: dominant colour names, largest share first.
        pattern: ``plain``, ``striped``, ``checked`` or ``other`` (None when not present).
        pattern_confidence: confidence in ``pattern``.
        visible_fraction: share of the region inside the image.
        detail: per-colour shares, Lab centres and naming confidences.
    """

    item: str
    present: bool | None
    confidence: float
    colours: list[str] = field(default_factory=list)
    pattern: str | None = None
    pattern_confidence: float = 0.0
    visible_fraction: float = 0.0
    detail: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"present": self.present, "confidence": round(float(self.confidence), 3),
                "colours": list(self.colours), "pattern": self.pattern,
                "pattern_confidence": round(float(self.pattern_confidence), 3),
                "visible_fraction": round(float(self.visible_fraction), 3),
                "detail": self.detail}


@dataclass
class PersonAttributes:
    """All items of one person (one face) and the uniform-present score."""

    face_id: str
    evidence_id: str
    items: dict[str, ItemAttribute]
    uniform_score: float
    # The body reader's own "uniform present" decision (present, confidence, cues,
    # method, body outline); None for the face-geometry reader.
    uniform: dict[str, Any] | None = None

    def query(self) -> dict[str, dict[str, Any]]:
        """The observation the school search takes: visible items only.

        Besides presence, colours and pattern it carries how sure each reading is
        (``pattern_confidence``, ``colour_shares``), for the analyst to see; the search
        does not use them (wrong stripes came with the same confidence as right ones).
        """
        return {k: {"present": v.present, "confidence": v.confidence, "colours": v.colours,
                    "pattern": v.pattern, "pattern_confidence": v.pattern_confidence,
                    "colour_shares": [d.get("share") for d in v.detail if "share" in d]}
                for k, v in self.items.items() if v.present is not None}

    def as_dict(self) -> dict[str, Any]:
        out = {"face_id": self.face_id, "evidence_id": self.evidence_id,
               "uniform_score": round(float(self.uniform_score), 3),
               "items": {k: v.as_dict() for k, v in self.items.items()}}
        if self.uniform is not None:
            out["uniform"] = self.uniform
        return out


@dataclass
class _Measure:
    colours: list[NamedColour]
    lab: np.ndarray | None
    pattern: str | None
    pattern_conf: float
    skin_share: float
    visible: float


def _skin_sample(lab: np.ndarray, box: np.ndarray) -> np.ndarray | None:
    """Median Lab of the lower-middle of the face box (cheeks and nose, little hair)."""
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    h, w = lab.shape[:2]
    w_ = x2 - x1
    ys = slice(max(0, int(y1 + 0.45 * (y2 - y1))), min(h, int(y1 + 0.8 * (y2 - y1))))
    xs = slice(max(0, int(x1 + 0.25 * w_)), min(w, int(x2 - 0.25 * w_)))
    patch = lab[ys, xs].reshape(-1, 3)
    return np.median(patch, 0) if len(patch) >= 9 else None


def _measure(lab: np.ndarray, mask: np.ndarray, visible: float, skin: np.ndarray | None
             ) -> _Measure:
    pixels = lab[mask]
    skin_px = skin_mask_lab(pixels, skin) if len(pixels) else np.zeros(0, bool)
    skin_share = float(skin_px.mean()) if len(pixels) else 0.0
    cloth = pixels[~skin_px] if skin_share < 0.7 else pixels
    colours = dominant_colours(cloth)
    rect = largest_rectangle(mask)
    pattern, pconf = (None, 0.0)
    if rect is not None:
        result = classify_pattern(lab[rect])
        pattern, pconf = result.pattern, result.confidence
    centre = np.array(colours[0].lab) if colours else None
    return _Measure(colours, centre, pattern, pconf, skin_share, visible)


def _distinct(a: _Measure, b: _Measure) -> float:
    """Probability-like degree in [0, 1] that two layers are different fabrics."""
    if a.lab is None or b.lab is None:
        return 0.5
    de = float(delta_e94(a.lab, b.lab))
    names_differ = {c.name for c in a.colours[:1]} != {c.name for c in b.colours[:1]}
    score = 1 / (1 + np.exp(-(de - DISTINCT_DE) / 2.5))
    return float(np.clip(score + (0.15 if names_differ else -0.1), 0.0, 1.0))


def _item(name: str, m: _Measure, present_p: float | None) -> ItemAttribute:
    if present_p is None:
        return ItemAttribute(name, None, 0.0, visible_fraction=m.visible)
    present = present_p >= 0.5
    conf = present_p if present else 1 - present_p
    return ItemAttribute(
        item=name, present=present, confidence=float(np.clip(conf, 0, 1)),
        colours=[c.name for c in m.colours] if present else [],
        pattern=m.pattern if present else None,
        pattern_confidence=m.pattern_conf if present else 0.0,
        visible_fraction=m.visible, detail=[c.as_dict() for c in m.colours] if present else [],
    )


def person_attributes(rgb: np.ndarray, xyxy: np.ndarray, landmarks: np.ndarray | None = None,
                      face_id: str = "", evidence_id: str = "", lab: np.ndarray | None = None
                      ) -> PersonAttributes:
    """Attributes of the person whose face box is ``xyxy`` in the RGB image ``rgb``."""
    lab = rgb_to_lab(rgb) if lab is None else lab
    anchor = anchor_from_face(xyxy, landmarks)
    regions = clothing_regions(anchor, rgb.shape[:2])
    skin = _skin_sample(lab, np.asarray(xyxy).reshape(4))
    m = {k: _measure(lab, r.mask, r.visible_fraction, skin) if r.visible else None
         for k, r in regions.items()}
    out: dict[str, ItemAttribute] = {}
    shirt = m["shirt"]
    if shirt is None:
        for k in ITEMS:
            r = regions[k]
            out[k] = ItemAttribute(k, None, 0.0, visible_fraction=r.visible_fraction)
    else:
        coherent = shirt.colours[0].share if shirt.colours else 0.0
        p_shirt = float(np.clip((1 - shirt.skin_share) * (0.4 + 0.6 * coherent), 0, 1))
        out["shirt"] = _item("shirt", shirt, p_shirt)
        out["tie"] = _item("tie", m["tie"], _distinct(m["tie"], shirt)) if m["tie"] else \
            ItemAttribute("tie", None, 0.0, visible_fraction=regions["tie"].visible_fraction)
        jumper, blazer = m["jumper"], m["blazer"]
        p_jumper = _distinct(jumper, shirt) if jumper else None
        out["jumper"] = _item("jumper", jumper, p_jumper) if jumper else \
            ItemAttribute("jumper", None, 0.0, visible_fraction=regions["jumper"].visible_fraction)
        if blazer is not None:
            inner = jumper if jumper is not None else shirt
            p_blazer = _distinct(blazer, inner)
            out["blazer"] = _item("blazer", blazer, p_blazer)
            if p_jumper is not None and p_jumper >= 0.5 and p_blazer < 0.5:
                # Sides and centre show one fabric over the shirt: a jumper alone and a
                # blazer over a same-coloured jumper look alike here, so say "cannot tell"
                # (confidence 0.5 is neutral in the school search).
                out["blazer"] = ItemAttribute(
                    "blazer", False, AMBIGUOUS_BLAZER, visible_fraction=blazer.visible,
                    detail=[{"note": "cannot tell a blazer from a same-coloured jumper"}])
        else:
            out["blazer"] = ItemAttribute("blazer", None, 0.0,
                                          visible_fraction=regions["blazer"].visible_fraction)
        lower = m["lower"]
        if lower is not None and lower.colours:
            p_lower = float(np.clip(0.3 + 0.5 * lower.colours[0].share * (1 - lower.skin_share),
                                    0, 1))
            out["lower"] = _item("lower", lower, p_lower)
        else:
            out["lower"] = ItemAttribute("lower", None, 0.0,
                                         visible_fraction=regions["lower"].visible_fraction)
    return PersonAttributes(face_id=face_id, evidence_id=evidence_id, items=out,
                            uniform_score=uniform_score(out))


def uniform_score(items: dict[str, ItemAttribute]) -> float:
    """How strongly the items together suggest a uniform, in [0, 1] (a ranking, not a verdict).

    A noisy-OR of the present items weighted by their confidence, plus a bonus when the
    tie repeats a colour of the jumper or blazer (house colours), capped at 1.
    """
    miss = 1.0
    for name, weight in SCORE_WEIGHTS.items():
        a = items.get(name)
        if a is not None and a.present:
            miss *= 1 - weight * a.confidence
    score = 1 - miss
    tie = items.get("tie")
    if tie is not None and tie.present:
        outer = set()
        for name in ("jumper", "blazer"):
            a = items.get(name)
            if a is not None and a.present:
                outer |= set(a.colours)
        if outer & set(tie.colours):
            score += CONSISTENCY_BONUS
    return float(min(1.0, score))


def image_attributes(rgb: np.ndarray, faces: Faces) -> list[PersonAttributes]:
    """Attributes of every face in ``faces`` (all from the image ``rgb``)."""
    lab = rgb_to_lab(rgb)
    ids = faces.data.get("face_id")
    out = []
    for i in range(len(faces)):
        lm = None if faces.landmarks is None else faces.landmarks[i]
        face_id = str(ids[i]) if ids is not None else f"{faces.evidence_id[i]}:{i}"
        out.append(person_attributes(rgb, faces.xyxy[i], lm, face_id=face_id,
                                     evidence_id=str(faces.evidence_id[i]), lab=lab))
    return out
