"""Garment regions of one person from the person mask and the body keypoints.

The frame hangs from the shoulders: origin at the shoulder midpoint, ``u`` along the
shoulder line (unit = shoulder width), ``v`` down the body, perpendicular to it and away
from the face. In that frame, matching how uniforms are layered:

* ``shirt``: the collar either side of the centre, from just under the chin to a little
  below the shoulder line (a jacket's V shows the shirt there);
* ``tie``: the centre strip from under the knot down the chest;
* ``jumper``: the centre below a blazer's V, where a jumper closes;
* ``blazer``: the sides of the chest and the upper sleeves (shoulder to elbow), the
  outermost layer;
* ``lower``: below the hips, only when the hips are in view.

Every region is cut by the person mask (so background between arm and body is not
read), the head (face box grown to take in the hair) is removed, and anything outside
the image is dropped. When no pose fits the face (a tight portrait cut above the
shoulders, a back view), the face-geometry layout of :mod:`workbench.uniforms.regions`
is used, clipped by the mask: the fallback is named in :attr:`PersonRegions.method`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from workbench.uniforms.body import (
    L_ELBOW,
    L_HIP,
    L_SHOULDER,
    R_ELBOW,
    R_HIP,
    R_SHOULDER,
    Pose,
)
from workbench.uniforms.regions import ITEMS, FaceAnchor, Region, clothing_regions

MASK_THRESHOLD = 0.5
MIN_PIXELS = 12
# A keypoint is used when the model believes it is visible at least this much.
VISIBLE = 0.5
# Head removal: face box grown sideways and upward (hair), a little down (beard, chin).
HEAD_GROW = (0.2, 0.6, 0.08)  # sides, top, bottom (shares of the face size)
# Without a pose, the collar is taken to begin this many face widths below the chin.
FACE_NECK = 0.2
# The jacket beside the collar (face-frame units, as regions.py), for tight portraits.
NEAR_BLAZER = (((-0.95, 0.35), (-0.5, 0.35), (-0.5, 0.75), (-0.95, 0.75)),
               ((0.5, 0.35), (0.95, 0.35), (0.95, 0.75), (0.5, 0.75)))
NEAR_VISIBLE = 0.6     # most of it in the photo: a sliver at the frame's edge is no jacket


@dataclass(frozen=True)
class PersonRegions:
    """One person's item regions and how they were placed.

    Attributes:
        regions: item -> :class:`~workbench.uniforms.regions.Region`.
        method: ``pose`` (shoulders found), ``face`` (face geometry clipped by the mask) or
            ``face-unmasked`` (the mask model missed the person: face geometry alone).
        polygons: item -> image-space polygons before masking (for overlays).
        body: the person's mask (bool, ``(h, w)``) restricted to this person's side of
            the image; what the regions were cut by.
    """

    regions: dict[str, Region]
    method: str
    polygons: dict[str, list[np.ndarray]]
    body: np.ndarray
    # the tie's centre line (narrower than the tie region): where a tie, if worn, must be
    tie_core: np.ndarray | None = None
    # the body front for the row-by-row reading (workbench.uniforms.front): origin on the
    # chin's line, u across, v down, the face width in pixels, the neckline (face widths)
    front: tuple[np.ndarray, np.ndarray, np.ndarray, float, float] | None = None


def _frame(pose: Pose, face_centre: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                         float]:
    """(origin, u axis, v axis, shoulder width) of the shoulder frame."""
    left, right = pose.points[L_SHOULDER], pose.points[R_SHOULDER]
    origin = (left + right) / 2
    across = left - right
    width = float(np.hypot(*across))
    u = across / max(width, 1e-6)
    if u[0] < 0:            # u points to the image right whichever way the person faces
        u = -u
    v = np.array([-u[1], u[0]])
    if np.dot(v, origin - face_centre) < 0:
        v = -v
    return origin, u, v, width


def _rect(origin: np.ndarray, u: np.ndarray, v: np.ndarray, width: float,
          u0: float, u1: float, v0: float, v1: float) -> np.ndarray:
    corners = [(u0, v0), (u1, v0), (u1, v1), (u0, v1)]
    return np.array([origin + width * (a * u + b * v) for a, b in corners])


def _segment(a: np.ndarray, b: np.ndarray, half: float) -> np.ndarray:
    """A rectangle of half-width ``half`` around the segment a-b (a sleeve)."""
    d = b - a
    n = np.array([-d[1], d[0]]) / max(float(np.hypot(*d)), 1e-6) * half
    return np.array([a + n, b + n, b - n, a - n])


def neckline(origin: np.ndarray, u: np.ndarray, v: np.ndarray, width: float, start: float,
             skin: np.ndarray, body: np.ndarray, stop: float = 0.9) -> float | None:
    """Where cloth begins below the chin, in shoulder widths along ``v`` (None: bare).

    Walks down the centre line from ``start`` and returns the first step where the strip
    ``|u| < 0.15`` is at least half cloth (on the person and not skin-coloured): an open
    collar shows skin in the middle and cloth either side.
    """
    h, w = skin.shape[:2]
    step = max(1.0 / max(width, 1.0), 0.01)
    pos = start
    while pos <= stop:
        pts = np.array([origin + width * (a * u + pos * v) for a in np.linspace(-0.15, 0.15, 13)])
        xs, ys = np.round(pts[:, 0]).astype(int), np.round(pts[:, 1]).astype(int)
        ok = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
        if ok.sum() >= 5:
            cloth = body[ys[ok], xs[ok]] & ~skin[ys[ok], xs[ok]]
            if cloth.mean() >= 0.5:
                return pos
        elif pos > start:
            return None      # the centre line left the image
        pos += step
    return None


def front_axes(pose: Pose, face_box: np.ndarray, chin: tuple[float, float],
               skin: np.ndarray | None = None, body: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """(origin, u, v, shoulder width, top) of the body front: the origin on the chin's
    line across the shoulders, ``top`` the neckline in shoulder widths along ``v``."""
    x1, y1, x2, y2 = (float(t) for t in face_box)
    origin, u, v, sw = _frame(pose, np.array([(x1 + x2) / 2, (y1 + y2) / 2]))
    # The centre line runs under the chin: a turned torso moves the shoulder midpoint,
    # not where the shirt front and tie hang.
    origin = origin + u * float(np.dot(np.asarray(chin) - origin, u))
    vc = float(np.dot(np.asarray(chin) - origin, v)) / max(sw, 1e-6)   # chin, usually < 0
    top = vc + 0.04
    if skin is not None and body is not None:
        found = neckline(origin, u, v, sw, top, skin, body)
        top = found if found is not None else top
    return origin, u, v, sw, top


def pose_polygons(pose: Pose, face_box: np.ndarray, chin: tuple[float, float],
                  skin: np.ndarray | None = None, body: np.ndarray | None = None
                  ) -> dict[str, list[np.ndarray]]:
    """Image-space polygons of every item for one pose (before masking).

    With ``skin`` and ``body`` maps the layout starts at the neckline found below the
    chin (necks differ in length, beards and collars hide them); without, just under it.
    """
    origin, u, v, sw, top = front_axes(pose, face_box, chin, skin, body)
    r = lambda u0, u1, v0, v1: _rect(origin, u, v, sw, u0, u1, v0, v1)  # noqa: E731
    vee = lambda side: np.array([origin + sw * (a * u + b * v) for a, b in  # noqa: E731
                                 ((side * 0.05, top), (side * 0.16, top),
                                  (side * 0.15, top + 0.28), (side * 0.05, top + 0.28))])
    polys: dict[str, list[np.ndarray]] = {
        # the shirt in a jacket's V, either side of the tie
        "shirt": [vee(-1), vee(1)],
        "tie": [r(-0.045, 0.045, top + 0.04, top + 0.3)],
        "tie_core": [r(-0.018, 0.018, top + 0.04, top + 0.3)],
        # either side of the tie, below where a jacket's V closes over a jumper
        "jumper": [r(-0.15, -0.05, top + 0.55, top + 0.8), r(0.05, 0.15, top + 0.55, top + 0.8)],
        # the jacket's fronts beside the lapels (chest, well inside the arms)
        "blazer": [r(-0.32, -0.17, top + 0.05, top + 0.4), r(0.17, 0.32, top + 0.05, top + 0.4)],
        # the fronts further out, beside a jumper's V: used instead when in view
        "blazer_outer": [r(-0.48, -0.34, top + 0.3, top + 0.8),
                         r(0.34, 0.48, top + 0.3, top + 0.8)],
    }
    pts, vis = pose.points, pose.visibility
    for shoulder, elbow in ((L_SHOULDER, L_ELBOW), (R_SHOULDER, R_ELBOW)):
        if vis[elbow] >= VISIBLE:
            a = pts[shoulder] + 0.25 * (pts[elbow] - pts[shoulder])
            polys["blazer"].append(_segment(a, pts[elbow] - 0.1 * (pts[elbow] - pts[shoulder]),
                                            0.08 * sw))
    if vis[L_HIP] >= VISIBLE and vis[R_HIP] >= VISIBLE:
        hips = (pts[L_HIP] + pts[R_HIP]) / 2
        hv = float(np.dot(hips - origin, v)) / max(sw, 1e-6)
        polys["lower"] = [r(-0.3, 0.3, hv + 0.15, hv + 0.6)]
    else:
        polys["lower"] = []
    return polys


def padding_mask(rgb: np.ndarray, level: int = 6) -> np.ndarray:
    """Black fill touching the border (rotated or aligned crops, letterboxes), as bool.

    Aligned face datasets (LFW deep-funneled) and re-framed photos carry black corners;
    read as cloth they would name every collar at the frame's edge black.
    """
    dark = (np.asarray(rgb).max(axis=-1) <= level).astype(np.uint8)
    count, labels = cv2.connectedComponents(dark, connectivity=4)
    if count <= 1:
        return np.zeros(dark.shape, bool)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    border = border[border > 0]
    return np.isin(labels, border)


def head_mask(face_box: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The head (face box grown to take in hair and chin) as a boolean mask."""
    x1, y1, x2, y2 = (float(t) for t in face_box)
    fw, fh = x2 - x1, y2 - y1
    side, up, down = HEAD_GROW
    out = np.zeros(shape[:2], np.uint8)
    centre = (int(round((x1 + x2) / 2)), int(round((y1 - up * fh + y2 + down * fh) / 2)))
    axes = (int(round(fw * (0.5 + side))), int(round(fh * (1 + up + down) / 2)))
    cv2.ellipse(out, centre, axes, 0, 0, 360, 1, -1)
    return out.astype(bool)


def _rasterise(polys: list[np.ndarray], shape: tuple[int, int]) -> tuple[np.ndarray, float]:
    """Mask of the polygons and the share of their area inside the image."""
    h, w = shape[:2]
    if not polys:
        return np.zeros((h, w), bool), 0.0
    full = np.zeros((h, w), np.uint8)
    area = 0.0
    for p in polys:
        q = np.round(p).astype(np.int32)
        cv2.fillPoly(full, [q], 1)
        area += abs(cv2.contourArea(p.astype(np.float32)))
    inside = float(full.sum())
    return full.astype(bool), (min(1.0, inside / area) if area > 0 else 0.0)


def pose_usable(pose: Pose | None, shape: tuple[int, int]) -> bool:
    """Both shoulders seen and their midpoint in the image (a portrait cut above the
    shoulders is read by face geometry instead)."""
    if pose is None:
        return False
    h, w = shape[:2]
    if min(pose.visibility[L_SHOULDER], pose.visibility[R_SHOULDER]) < VISIBLE:
        return False
    x, y = (pose.points[L_SHOULDER] + pose.points[R_SHOULDER]) / 2
    return bool(0 <= x < w and 0 <= y < h)


def person_regions(mask: np.ndarray, pose: Pose | None, face_box: np.ndarray,
                   anchor: FaceAnchor, others: list[np.ndarray] | None = None,
                   skin: np.ndarray | None = None) -> PersonRegions:
    """Item regions of one person.

    Args:
        mask: the image's person probability ``(h, w)``.
        pose: this person's pose (None: face-geometry fallback).
        face_box: the person's face ``(x1, y1, x2, y2)``.
        anchor: the face anchor (chin, width, roll) of :mod:`workbench.uniforms.regions`.
        others: face boxes of the other people in the image, whose heads are removed too.
        skin: skin-coloured pixels of the image (bool), to find the neckline.
    """
    shape = mask.shape[:2]
    body = mask >= MASK_THRESHOLD
    x1, y1, x2, y2 = (int(round(float(t))) for t in face_box)
    on_face = body[max(y1, 0):max(y2, 0), max(x1, 0):max(x2, 0)]
    unmasked = on_face.size > 0 and float(on_face.mean()) < 0.3
    if unmasked:
        # The mask model did not see this person (a drawing, a mannequin, a face at the
        # edge): cutting by it would drop everything, so the regions are not cut.
        body = np.ones(shape, bool)
    for box in [face_box, *(others or [])]:
        body &= ~head_mask(box, shape)
    fw = float(anchor.width)
    near = False
    if pose_usable(pose, shape) and not unmasked:
        assert pose is not None
        polygons = pose_polygons(pose, face_box, anchor.chin, skin, body)
        method = "pose"
        origin, u, v, sw, top = front_axes(pose, face_box, anchor.chin, skin, body)
        front = (origin, u, v, fw, top * sw / max(fw, 1e-6))
    else:
        from workbench.uniforms.regions import item_polygons

        polygons = {item: item_polygons(anchor, item) for item in ITEMS}
        method = "face-unmasked" if unmasked else "face"
        c, s_ = np.cos(anchor.roll), np.sin(anchor.roll)
        front = (np.asarray(anchor.chin, np.float64), np.array([c, s_]), np.array([-s_, c]),
                 fw, FACE_NECK)
        if _rasterise(polygons["blazer"], shape)[1] < 0.3:
            # A tight portrait cuts the chest's sides off: the jacket is read where it
            # meets the collar, beside the shirt's V, instead.
            polygons["blazer"] = [anchor.to_image(np.array(p)) for p in NEAR_BLAZER]
            near = True
    if method == "pose":
        # The lower garment is placed by face geometry clipped by the mask: hips found on
        # a seated or cut-off body wander, and no real photo here is labelled for it.
        from workbench.uniforms.regions import item_polygons as face_polygons

        polygons["lower"] = face_polygons(anchor, "lower")
    if "blazer_outer" in polygons:
        outer = polygons.pop("blazer_outer")
        raw, frac = _rasterise(outer, shape)
        if frac >= 0.8 and (raw & body).sum() >= 0.8 * raw.sum() >= MIN_PIXELS:
            # Both outer fronts in view and on the person: a jumper or waistcoat may fill
            # the inner fronts, so the outermost layer is read out there.
            polygons["blazer"] = outer + polygons["blazer"][2:]
    core = polygons.pop("tie_core", None)
    tie_core = (_rasterise(core, shape)[0] & body) if core else None
    regions: dict[str, Region] = {}
    for item in ITEMS:
        raw, frac = _rasterise(polygons.get(item, []), shape)
        cut = raw & body
        # A region mostly off the person (background through an open arm, another person)
        # is not this person's garment: report what is left only if enough remains.
        kept = float(cut.sum()) / max(float(raw.sum()), 1.0)
        visible = frac if cut.sum() >= MIN_PIXELS and kept >= 0.3 else 0.0
        regions[item] = Region(item=item, mask=cut, visible_fraction=visible,
                               min_visible=0.05 if method == "pose" else
                               NEAR_VISIBLE if near and item == "blazer" else 0.3)
    return PersonRegions(regions=regions, method=method, polygons=polygons, body=body,
                         tie_core=tie_core, front=front)


def face_layout(anchor: FaceAnchor, shape: tuple[int, int]) -> dict[str, Region]:
    """The face-geometry regions (the earlier reader), for comparison."""
    return clothing_regions(anchor, shape)
