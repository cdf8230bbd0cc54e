"""Clothing regions of one person, placed from the face geometry.

No person-segmentation model is used: regions are polygons in a *face frame* (origin at
the chin, x to the person's left in image terms, unit = face width, rotated with the eye
line) and rasterised into the image. That is a geometric prior, honest about what it is:
it assumes an upright person facing the camera, roughly at the face's scale. Parts of a
region that fall outside the image are cut off; a region with too little left is reported
as not visible rather than guessed.

Layout (face widths below the chin / from the centre line), matching how school
uniforms are layered: the shirt collar sits just under the chin either side of the tie;
the tie runs down the centre line; a jumper's V-neck closes about one face width down,
so the centre just below it shows the jumper; a blazer opens in a deeper V, so its fabric
is what covers the chest at the sides; the lower garment starts about 3.3 face widths down.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

ITEMS: tuple[str, ...] = ("shirt", "tie", "jumper", "blazer", "lower")

# Polygons per item in face-frame units (x right in the image, y down from the chin).
# Several polygons per item are unioned (left and right sides).
_LAYOUT: dict[str, tuple[tuple[tuple[float, float], ...], ...]] = {
    "shirt": (((-0.27, 0.26), (-0.11, 0.26), (-0.11, 0.48), (-0.19, 0.48)),
              ((0.11, 0.26), (0.27, 0.26), (0.19, 0.48), (0.11, 0.48))),
    "tie": (((-0.05, 0.45), (0.05, 0.45), (0.05, 0.95), (-0.05, 0.95)),),
    "jumper": (((-0.26, 1.20), (-0.10, 1.20), (-0.10, 1.55), (-0.22, 1.55)),
               ((0.10, 1.20), (0.26, 1.20), (0.22, 1.55), (0.10, 1.55))),
    "blazer": (((-1.10, 0.80), (-0.75, 0.80), (-0.75, 2.00), (-1.05, 2.00)),
               ((0.75, 0.80), (1.10, 0.80), (1.05, 2.00), (0.75, 2.00))),
    "lower": (((-0.80, 3.40), (0.80, 3.40), (0.80, 4.20), (-0.80, 4.20)),),
}

# A region is visible when at least this share of its area lies inside the image.
MIN_VISIBLE = 0.6


@dataclass(frozen=True)
class FaceAnchor:
    """Where a person's torso hangs from: chin point, face width and roll angle."""

    chin: tuple[float, float]
    width: float
    roll: float  # radians, positive = head tilted clockwise in the image

    def to_image(self, points: np.ndarray) -> np.ndarray:
        """Face-frame points ``(n, 2)`` to image pixels."""
        c, s = np.cos(self.roll), np.sin(self.roll)
        rot = np.array([[c, -s], [s, c]])
        return (np.asarray(points) * self.width) @ rot.T + np.array(self.chin)


def anchor_from_face(xyxy: np.ndarray, landmarks: np.ndarray | None = None) -> FaceAnchor:
    """The torso anchor of one face from its box and (68- or 5-point) landmarks.

    With 68 points the chin is point 8 and the width is the jaw span (0 to 16); with 5
    points (dlib order: eye corners 0-3, nose 4) the roll comes from the eyes and the chin
    is extrapolated; otherwise the box is used (dlib boxes end near the chin).
    """
    x1, y1, x2, y2 = (float(v) for v in np.asarray(xyxy).reshape(4))
    width = max(x2 - x1, 1.0)
    roll = 0.0
    chin = ((x1 + x2) / 2, y2 + 0.08 * (y2 - y1))
    if landmarks is not None:
        pts = np.asarray(landmarks, dtype=np.float64).reshape(-1, 2)
        if len(pts) >= 68:
            left_eye, right_eye = pts[36:42].mean(0), pts[42:48].mean(0)
            roll = float(np.arctan2(right_eye[1] - left_eye[1], right_eye[0] - left_eye[0]))
            chin = (float(pts[8, 0]), float(pts[8, 1]))
            width = float(np.linalg.norm(pts[16] - pts[0])) or width
        elif len(pts) == 5:
            eye_a, eye_b = pts[0:2].mean(0), pts[2:4].mean(0)
            left_eye, right_eye = sorted([eye_a, eye_b], key=lambda p: p[0])
            roll = float(np.arctan2(right_eye[1] - left_eye[1], right_eye[0] - left_eye[0]))
            eye_mid = (left_eye + right_eye) / 2
            eye_dist = float(np.linalg.norm(right_eye - left_eye)) or width / 2.2
            down = np.array([-np.sin(roll), np.cos(roll)])
            chin_pt = eye_mid + down * 1.65 * eye_dist
            chin = (float(chin_pt[0]), float(chin_pt[1]))
            width = 2.1 * eye_dist
    return FaceAnchor(chin=chin, width=width, roll=roll)


@dataclass(frozen=True)
class Region:
    """One item's pixels in an image: a boolean mask and how much of it is visible."""

    item: str
    mask: np.ndarray
    visible_fraction: float
    # Share of the region that must be in the image: the face layout needs most of it
    # (its place is a guess), a region hung from found shoulders only needs some pixels.
    min_visible: float = MIN_VISIBLE

    @property
    def visible(self) -> bool:
        return self.visible_fraction >= self.min_visible and int(self.mask.sum()) >= 12


def item_polygons(anchor: FaceAnchor, item: str) -> list[np.ndarray]:
    """Image-space polygons ``(k, 2)`` of one item (for drawing overlays too)."""
    return [anchor.to_image(np.array(poly)) for poly in _LAYOUT[item]]


def clothing_regions(anchor: FaceAnchor, shape: tuple[int, int]) -> dict[str, Region]:
    """Masks of every item for an image of ``shape`` ``(height, width)``."""
    h, w = shape[:2]
    out: dict[str, Region] = {}
    for item in ITEMS:
        polys = item_polygons(anchor, item)
        full_area = sum(_polygon_area(p) for p in polys)
        mask = np.zeros((h, w), dtype=np.uint8)
        for p in polys:
            cv2.fillPoly(mask, [np.round(p).astype(np.int32)], 1)
        inside = float(mask.sum())
        frac = min(1.0, inside / full_area) if full_area > 0 else 0.0
        out[item] = Region(item=item, mask=mask.astype(bool), visible_fraction=frac)
    return out


def _polygon_area(p: np.ndarray) -> float:
    x, y = p[:, 0], p[:, 1]
    return float(0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))
