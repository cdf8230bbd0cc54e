"""The body reader: uniform present or not, then items, from the person mask and pose.

Order, as in the seed pipeline (arXiv 2106.05215): first decide whether the person wears
a uniform's structure (a tie, or an outer layer over a shirt) with a confidence, then
read each item's presence, colours and pattern. Regions come from
:mod:`workbench.uniforms.person_regions` (shoulders and mask; face geometry clipped by the
mask when no pose fits), colours from the white-balanced image
(:func:`workbench.uniforms.palette.balanced_lab`) with neighbouring names kept as
alternatives.

Entry points: :func:`read_person` (one face, body models already run) and
:func:`read_image` (every face of an image, running the body models).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import cv2
import numpy as np

from workbench.types import Faces
from workbench.uniforms.attributes import (
    ItemAttribute,
    PersonAttributes,
    _distinct,
    _item,
    _Measure,
    _skin_sample,
)
from workbench.uniforms.body import BodyModels, Pose
from workbench.uniforms.front import read_front
from workbench.uniforms.palette import (
    alternatives,
    balanced_lab,
    delta_e94,
    dominant_colours,
    skin_mask_lab,
)
from workbench.uniforms.pattern import PatternSettings, classify_pattern, largest_rectangle
from workbench.uniforms.person_regions import PersonRegions, padding_mask, person_regions
from workbench.uniforms.presence import PresenceModel, load_models
from workbench.uniforms.regions import ITEMS, anchor_from_face

# mask + pose regions, white balance, uniform-first decision; v2: tie searched row by row
# with a fitted presence model, collar's lightest fabric under a jacket, torso-missing mask;
# v3: jacket-coloured cloth below the V reads "cannot tell, leaning no jumper";
# v4: the outer layer's presence from a fitted model (sides unlike and darker than the V),
# bare shoulders are no jacket
METHOD = "body-regions-v4"
# Prior odds of the uniform decision and the weight of each cue (log-odds), set on the
# fit split of tests/data/uniforms_real (never the check split).
UNIFORM_PRIOR = -1.6
UNIFORM_TIE = 2.6
UNIFORM_OUTER = 2.2
# Real fabric at photo resolution is mostly plain: seams, lapel edges and folds cross
# small regions, so texture must be stronger than on the drawn garments to be called.
REAL_PATTERN = PatternSettings(plain_energy=16.0)
MIN_PATTERN_SIDE = 14


# Two colours closer than this (CIE94, kL=2) are taken as the same fabric when layers are
# separated (a lapel inside the shirt's V, the shirt either side of a tie).
SAME_FABRIC_DE = 12.0
LIT = 0.7
SKIN_TOL = 14.0
# The band below the neckline read row by row for the tie (face widths).
FRONT_DEPTH = 0.8
# Whole torso in view: share of each face-layout region inside the photo, and the most
# of any region the mask may cover when it has missed the torso altogether.
WHOLE_INSIDE = 0.85
# More of the chest's sides skin-coloured than this: bare shoulders, no outer layer.
BARE_SIDES = 0.5
MASK_MISSED = 0.1


@dataclass
class Layers:
    """The layered reading of one person: measures per item and the cues between them."""

    measures: dict[str, _Measure | None]
    cues: dict[str, float]
    # polygons looked at beyond the fixed regions (the searched tie strip), by item
    searched: dict[str, list[np.ndarray]] = field(default_factory=dict)


def _cloth(lab: np.ndarray, mask: np.ndarray, skin_map: np.ndarray) -> np.ndarray:
    pixels = lab[mask & ~skin_map]
    return pixels if len(pixels) >= 12 else lab[mask]


def _measure_pixels(lab: np.ndarray, pixels: np.ndarray, mask: np.ndarray, visible: float,
                    skin_share: float) -> _Measure:
    colours = dominant_colours(pixels, lit=LIT)
    rect = largest_rectangle(mask)
    pattern, pconf = None, 0.0
    if rect is not None:
        patch = lab[rect]
        if min(patch.shape[:2]) < MIN_PATTERN_SIDE:
            # too few pixels across to see a weave: plain, said without conviction
            pattern, pconf = "plain", 0.3
        else:
            result = classify_pattern(patch, REAL_PATTERN)
            pattern, pconf = result.pattern, result.confidence
    centre = np.array(colours[0].lab) if colours else None
    return _Measure(colours, centre, pattern, pconf, skin_share, visible)


def _away_from(pixels: np.ndarray, colour: np.ndarray | None) -> np.ndarray:
    """The pixels that are not ``colour``'s fabric (boolean over ``pixels``)."""
    if colour is None or not len(pixels):
        return np.ones(len(pixels), bool)
    return delta_e94(colour[None, :], pixels) > SAME_FABRIC_DE


def read_layers(lab: np.ndarray, pr: PersonRegions, skin_map: np.ndarray,
                skin_wide: np.ndarray | None = None) -> Layers:
    """Measure outer layer, shirt and tie, each with the layer above it taken out.

    The outer layer is read at the sides of the chest; the shirt in the V under the chin
    without the outer layer's colour (lapels fall in the V); the tie in the centre strip
    without the shirt's and the outer layer's colours. What share of the V and the strip
    those exclusions leave is the evidence that the layers are there.

    ``skin_map`` (tight) decides how much of the collar is skin; ``skin_wide`` (a wider
    tolerance: necks are shaded unlike cheeks) keeps skin out of the colours named.
    """
    wide = skin_map if skin_wide is None else skin_wide
    regions = pr.regions
    measures: dict[str, _Measure | None] = {k: None for k in ITEMS}
    cues: dict[str, float] = {}
    searched: dict[str, list[np.ndarray]] = {}
    outer = None
    if regions["blazer"].visible:
        r = regions["blazer"]
        px = _cloth(lab, r.mask, wide)
        outer = _measure_pixels(lab, px, r.mask, r.visible_fraction, 0.0)
        measures["blazer"] = outer
        # bare shoulders are no jacket: how much of the chest's sides is skin
        cues["outer_skin"] = float(wide[r.mask].mean())
    shirt = None
    if regions["shirt"].visible:
        r = regions["shirt"]
        allpx = lab[r.mask]
        skin_px = skin_map[r.mask]
        skin_share = float(skin_px.mean()) if len(skin_px) else 0.0
        not_skin = ~wide[r.mask]
        cloth = allpx[not_skin] if not_skin.sum() >= 12 else allpx[~skin_px] \
            if skin_share < 0.7 else allpx
        keep = _away_from(cloth, outer.lab if outer is not None else None)
        cues["v_not_outer"] = float(keep.mean()) if len(keep) else 0.0
        px = cloth[keep] if keep.sum() >= 12 and keep.mean() >= 0.25 else cloth
        shirt = _measure_pixels(lab, px, r.mask, r.visible_fraction, skin_share)
        measures["shirt"] = shirt
    if regions["tie"].visible and shirt is not None:
        r = regions["tie"]
        px = _cloth(lab, r.mask, wide)
        # Under the collar the centre is the knot: a tie as dark as the jacket is still a
        # tie there, so only the shirt's colour is taken out.
        keep = _away_from(px, shirt.lab)
        # over the whole strip: an open collar's skin is no tie
        cues["strip_other"] = float(keep.sum()) / max(int(r.mask.sum()), 1)
        core = pr.tie_core
        if core is not None and core.sum() >= 6:
            # a tie fills the centre line under the knot, whatever its width
            core_px = lab[core]
            core_keep = _away_from(core_px, shirt.lab) & ~wide[core]
            cues["core_other"] = float(core_keep.mean())
            cues["strip_other"] = max(cues["strip_other"], cues["core_other"])
        tie_px = px[keep] if keep.sum() >= 8 else px
        measures["tie"] = _measure_pixels(lab, tie_px, r.mask, r.visible_fraction, 0.0)
    if regions["jumper"].visible:
        r = regions["jumper"]
        px = _cloth(lab, r.mask, wide)
        measures["jumper"] = _measure_pixels(lab, px, r.mask, r.visible_fraction, 0.0)
    if regions["lower"].visible:
        r = regions["lower"]
        skin_px = skin_map[r.mask]
        measures["lower"] = _measure_pixels(lab, _cloth(lab, r.mask, wide), r.mask,
                                            r.visible_fraction, float(skin_px.mean()))
    if shirt is not None and outer is not None:
        # a jacket over a shirt is darker than the lightest fabric in the V
        cues["outer_darker"] = _darker(outer, _collar_first(shirt))
        cues["outer"] = _distinct(outer, shirt) * float(np.clip(
            (cues["v_not_outer"] - 0.15) / 0.35, 0, 1))
    cues["tie"] = float(np.clip((cues.get("strip_other", 0.0) - 0.3) / 0.3, 0, 1))
    if shirt is not None and pr.front is not None:
        origin, u, v, fw, top = pr.front
        front = read_front(lab, pr.body & ~wide, origin, u, v, fw, (top, top + FRONT_DEPTH))
        cues["front_tie"] = front.tie_score
        cues["lapels"] = front.lapels
        if front.tie_polygon is not None:
            searched["tie"] = [front.tie_polygon]
    if shirt is not None:
        cues["collar_cloth"] = 1.0 - shirt.skin_share
        # the tie's presence from the fixed strip and the searched one (fitted model)
        cues["p_tie"] = _presence("tie", cues)
    return Layers(measures, cues, searched)


@lru_cache(maxsize=1)
def _presence_models() -> dict[str, PresenceModel]:
    return load_models()


def _presence(item: str, cues: dict[str, float]) -> float:
    """The fitted presence probability of ``item``; 0.5 ("cannot tell") while no model is
    fitted for it (only while refitting: the shipped file holds every item, tested)."""
    model = _presence_models().get(item)
    return 0.5 if model is None else model.probability(cues)


def _darker(outer: _Measure, inner: _Measure) -> float:
    """How much darker ``outer``'s main colour is than ``inner``'s, in [-1, 1] (50 L*)."""
    if not outer.colours or not inner.colours:
        return 0.0
    return float(np.clip((inner.colours[0].lab[0] - outer.colours[0].lab[0]) / 50.0, -1, 1))


def _collar_first(m: _Measure) -> _Measure:
    """Under an outer layer, the shirt is the lightest fabric of the collar's V.

    The V also shows the lapels, the tie and the shadow under the chin; school shirts
    (and the shirts of suits) are lighter than the jacket, jumper and tie over them, so
    of the colours holding a fair share (>= 0.2) the lightest is named first.
    """
    if len(m.colours) < 2:
        return m
    cands = [c for c in m.colours if c.share >= 0.2]
    light = max(cands, key=lambda c: c.lab[0])
    if light is m.colours[0]:
        return m
    rest = [c for c in m.colours if c is not light]
    return _Measure([light, *rest], np.array(light.lab), m.pattern, m.pattern_conf,
                    m.skin_share, m.visible)


def uniform_decision(layers: Layers) -> tuple[bool | None, float]:
    """Is a uniform's structure present? ``(present, confidence)``; None: neck not in view.

    Decided first, from the layer cues alone (a tie; an outer layer over a shirt), before
    any item is named.
    """
    cues = layers.cues
    if "collar_cloth" not in cues:
        return None, 0.0
    logit = UNIFORM_PRIOR + UNIFORM_TIE * cues.get("tie", 0.0) \
        + UNIFORM_OUTER * cues.get("outer", 0.0)
    logit -= 3.0 * max(0.0, 0.5 - cues["collar_cloth"])     # a bare neck is no uniform
    p = float(1 / (1 + np.exp(-logit)))
    return p >= 0.5, (p if p >= 0.5 else 1 - p)


def read_person(rgb: np.ndarray, lab: np.ndarray, box: np.ndarray, landmarks: np.ndarray | None,
                mask: np.ndarray, pose: Pose | None, others: list[np.ndarray] | None = None,
                face_id: str = "", evidence_id: str = "") -> tuple[PersonAttributes,
                                                                    PersonRegions]:
    """Attributes of one person, and the regions they were read from.

    Args:
        rgb: the image (RGB uint8); ``lab``: its white-balanced CIELAB.
        box, landmarks: the person's face (68 or 5 points, or None).
        mask: the image's person probability; ``pose``: this face's pose (or None).
        others: the other faces' boxes (their heads are cut out of this person's regions).
    """
    box = np.asarray(box, np.float64).reshape(4)
    anchor = anchor_from_face(box, landmarks)
    skin = _skin_sample(lab, box)
    # The neck and chest are shaded differently from the cheeks: a wider tolerance
    # than the face-geometry reader's keeps them out of the collar.
    skin_map = skin_mask_lab(lab, skin) if skin is not None else skin_mask_lab(lab)
    skin_wide = skin_mask_lab(lab, skin, SKIN_TOL) if skin is not None else skin_map
    mask = np.where(padding_mask(rgb), 0.0, mask)
    if whole_torso_in_view(anchor, mask, box):
        return _read_whole_torso(rgb, box, landmarks, mask, anchor, face_id, evidence_id)
    pr = person_regions(mask, pose, box, anchor, others, skin_map)
    layers = read_layers(lab, pr, skin_map, skin_wide)
    present, conf = uniform_decision(layers)
    p_uniform = 0.0 if present is None else (conf if present else 1 - conf)
    m, cues = layers.measures, layers.cues
    out: dict[str, ItemAttribute] = {}
    shirt = m["shirt"]
    for item in ITEMS:
        region = pr.regions[item]
        measure = m[item]
        if measure is None or (shirt is None and item != "blazer"):
            out[item] = ItemAttribute(item, None, 0.0, visible_fraction=region.visible_fraction)
            continue
        if item == "shirt":
            coherent = measure.colours[0].share if measure.colours else 0.0
            p = float(np.clip((1 - measure.skin_share) * (0.4 + 0.6 * coherent), 0, 1))
        elif item == "tie":
            p = cues["p_tie"]
        elif item == "blazer":
            p = _presence("blazer", cues) if "outer" in cues else 0.5
            if cues.get("outer_skin", 0.0) > BARE_SIDES:
                p = min(p, 0.2)     # the chest's sides are skin: bare shoulders, no jacket
        elif item == "jumper":
            # Below where a jacket's V closes: a layer that is not the shirt. When it is
            # the outer layer's colour it is a buttoned jacket or a jumper of the same
            # colour: "cannot tell", leaning to the jacket alone (a jumper under a jacket
            # shows in the V, which was read as the jacket's), near-neutral for the search.
            outer = m["blazer"]
            p = _distinct(measure, shirt)
            if outer is not None and _distinct(measure, outer) < 0.5:
                p = 0.5 - 0.1 * abs(p - 0.5)
        else:   # lower garment: cloth rather than skin, one dominant colour
            top = measure.colours[0].share if measure.colours else 0.0
            p = float(np.clip(0.3 + 0.5 * top * (1 - measure.skin_share), 0, 1))
        if item == "shirt" and cues.get("outer", 0.0) >= 0.5:
            measure = _collar_first(measure)
        out[item] = _item(item, measure, p)
    for item, a in out.items():
        if a.present and a.colours and a.detail:
            a.detail[0]["alternatives"] = alternatives(lab[pr.regions[item].mask], a.colours[0])
        polys = [*pr.polygons.get(item, []), *layers.searched.get(item, [])]
        a.detail = [*a.detail, {"region": [np.round(p, 1).tolist() for p in polys],
                                "method": pr.method}]
    person = PersonAttributes(face_id=face_id, evidence_id=evidence_id, items=out,
                              uniform_score=p_uniform)
    person.uniform = {"present": present, "confidence": round(float(conf), 3),
                      "cues": {k: round(float(v), 3) for k, v in cues.items()},
                      "method": pr.method, "body_outline": mask_outline(pr.body)}
    return person, pr


def whole_torso_in_view(anchor: Any, mask: np.ndarray, box: np.ndarray,
                        inside: float = WHOLE_INSIDE, on_person: float = 0.5) -> bool:
    """True when every upper-body region of the face layout is in the photo and on the
    person: the whole torso is shown, so the layered layout hung from the face applies.

    A mask that misses the whole torso below a face it does cover (under ``MASK_MISSED``
    on every region: a drawn or unusual garment the person model does not take for a
    body) says nothing about where the clothes are; the torso is then taken as shown.
    Not every region need be on the person (see below).
    """
    from workbench.uniforms.regions import clothing_regions

    body = mask >= 0.5
    shares = {}
    for item, region in clothing_regions(anchor, mask.shape[:2]).items():
        if item == "lower":
            continue
        if region.visible_fraction < inside or not region.mask.any():
            return False
        shares[item] = float(body[region.mask].mean())
    # The torso's centre below the V (the jumper region) must be on the person, and
    # either the chest's sides or the collar too: sides off the mask are a narrow
    # garment without a jacket, a collar or tie off the mask is a hole the person model
    # left in it; both are read in the face layout, as the face reader reads them.
    centre = shares["jumper"] >= on_person
    sides = shares["blazer"] >= on_person
    collar = min(shares["shirt"], shares["tie"]) >= on_person
    return (centre and (sides or collar)) or max(shares.values()) < MASK_MISSED


def _read_whole_torso(rgb: np.ndarray, box: np.ndarray, landmarks: np.ndarray | None,
                      mask: np.ndarray, anchor: Any, face_id: str, evidence_id: str
                      ) -> tuple[PersonAttributes, PersonRegions]:
    """A photo showing the whole torso: the face-geometry layout and its layer rules
    (jumper under a deep blazer V, house-colour tie), the reading that the constructed
    uniforms were measured with; its uniform score is the decision."""
    from workbench.uniforms.attributes import person_attributes
    from workbench.uniforms.regions import clothing_regions, item_polygons

    person = person_attributes(rgb, box, landmarks, face_id=face_id, evidence_id=evidence_id)
    regions = clothing_regions(anchor, rgb.shape[:2])
    polygons = {item: item_polygons(anchor, item) for item in ITEMS}
    body = mask >= 0.5
    for item, a in person.items.items():
        a.detail = [*a.detail, {"region": [np.round(p, 1).tolist() for p in polygons[item]],
                                "method": "face-layout"}]
    present = person.uniform_score >= 0.5
    person.uniform = {"present": present,
                      "confidence": round(float(person.uniform_score if present
                                                else 1 - person.uniform_score), 3),
                      "cues": {}, "method": "face-layout", "body_outline": mask_outline(body)}
    return person, PersonRegions(regions=regions, method="face-layout", polygons=polygons,
                                 body=body)


def mask_outline(mask: np.ndarray, max_points: int = 60) -> list[list[list[float]]]:
    """The person mask's outer contours as small polygons (for the inspector's overlay)."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    out = []
    for c in sorted(contours, key=cv2.contourArea, reverse=True)[:3]:
        if cv2.contourArea(c) < 50:
            continue
        eps = 0.002 * cv2.arcLength(c, True)
        approx = cv2.approxPolyDP(c, eps, True)
        while len(approx) > max_points:
            eps *= 1.5
            approx = cv2.approxPolyDP(c, eps, True)
        out.append(approx.reshape(-1, 2).astype(float).tolist())
    return out


def read_image(rgb: np.ndarray, faces: Faces, models: BodyModels) -> list[PersonAttributes]:
    """Attributes of every face of one image (runs the body models once for the image)."""
    boxes = np.asarray(faces.xyxy, np.float64).reshape(-1, 4)
    reading = models.read(rgb, boxes)
    lab = balanced_lab(rgb, reading.mask)
    ids = faces.data.get("face_id")
    out = []
    for i in range(len(faces)):
        lm = None if faces.landmarks is None else faces.landmarks[i]
        others = [b for j, b in enumerate(boxes) if j != i]
        face_id = str(ids[i]) if ids is not None else f"{faces.evidence_id[i]}:{i}"
        person, _ = read_person(rgb, lab, boxes[i], lm, reading.mask, reading.poses[i],
                                others, face_id, str(faces.evidence_id[i]))
        out.append(person)
    return out


def summary(person: PersonAttributes) -> dict[str, Any]:
    """The uniform decision and the items, as shown to the analyst."""
    return {"uniform": getattr(person, "uniform", None), **person.as_dict()}
