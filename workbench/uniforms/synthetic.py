"""Constructed uniform photos whose truth is known: real faces, garments drawn below.

A real face photo (LFW or the labelled set) is placed on a taller canvas; a torso is drawn
below its chin in layers - shirt with collar, tie, jumper with a V-neck, blazer with a deeper
V, and a lower garment - each in a known colour and pattern (plain, striped, checked/tartan).
Shading gradients, folds, sensor noise and JPEG re-encoding are applied on top. Every random
choice comes from a seeded generator, so the same seed gives the same images.

Garment colours are drawn from *fabric* swatches defined here, which are deliberately not
the naming prototypes of :mod:`workbench.uniforms.palette`, plus a random jitter, so the
measured naming accuracy is not the prototypes being found again.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from workbench.uniforms.palette import hex_to_rgb
from workbench.uniforms.regions import FaceAnchor

# Fabric swatches per colour name (sRGB), independent of the naming prototypes.
FABRICS: dict[str, tuple[str, ...]] = {
    "navy": ("#1d2440", "#232b4e", "#161d36"),
    "black": ("#141416", "#19181a"),
    "grey": ("#5e6063", "#8a8b8e", "#6f7073"),
    "white": ("#eeeeec", "#f4f4f6"),
    "light blue": ("#a3c2e6", "#9abbe0"),
    "royal blue": ("#2a4db0", "#2e53bd"),
    "green": ("#33914a", "#2d8442"),
    "bottle green": ("#123f29", "#0f3724"),
    "maroon": ("#541a1e", "#5f1d23"),
    "red": ("#c11b22", "#cc2027"),
    "burgundy": ("#6a1230", "#761636"),
    "purple": ("#5d2d86", "#532777"),
    "yellow": ("#f0cf2e", "#f2d43a"),
    "gold": ("#c0972f", "#b98f2a"),
    "brown": ("#603d24", "#57371f"),
    "beige": ("#d3c29f", "#cdb994"),
}

ItemSpec = Mapping[str, Any]  # {"colours": [name, ...], "pattern": "plain"|...}


@dataclass
class Composite:
    """One constructed photo and its truth per item (absent items are not in ``truth``)."""

    image: np.ndarray                      # RGB uint8
    truth: dict[str, dict[str, Any]]
    anchor: FaceAnchor
    source: str
    meta: dict[str, Any] = field(default_factory=dict)


def _srgb_to_linear(x: np.ndarray) -> np.ndarray:
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def _linear_to_srgb(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0, 1)
    return np.where(x <= 0.0031308, x * 12.92, 1.055 * x ** (1 / 2.4) - 0.055)


def fabric_rgb(name: str, rng: np.random.Generator) -> np.ndarray:
    """A fabric colour for ``name`` in linear RGB, with a small random jitter."""
    options = FABRICS[name]
    base = np.array(hex_to_rgb(options[int(rng.integers(len(options)))]))
    lin = _srgb_to_linear(base) * rng.uniform(0.9, 1.1)
    return np.clip(lin * (1 + rng.normal(0, 0.03, 3)), 0, 1)


def texture(spec: ItemSpec, shape: tuple[int, int], scale: float, rng: np.random.Generator
            ) -> np.ndarray:
    """A linear-RGB fabric image ``(h, w, 3)`` for one item spec; ``scale`` = pixels per unit."""
    h, w = shape
    colours = [fabric_rgb(c, rng) for c in spec["colours"]] or [fabric_rgb("grey", rng)]
    base = np.broadcast_to(colours[0], (h, w, 3)).copy()
    pattern = spec.get("pattern", "plain")
    if pattern == "plain" or len(colours) == 1 and pattern != "other":
        if pattern in ("striped", "checked"):
            # one-colour stripes: a darker and lighter weave of the same colour
            colours = [colours[0], colours[0] * 0.55]
        else:
            return base
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    period = scale * rng.uniform(0.14, 0.26)
    duty = rng.uniform(0.3, 0.5)
    if pattern == "striped":
        angle = float(rng.choice([0.0, np.pi / 2, np.pi / 4, -np.pi / 4]))
        u = xx * np.cos(angle) + yy * np.sin(angle)
        on = (u / period) % 1.0 < duty
        base[on] = colours[1]
        if len(colours) > 2:
            on3 = ((u / period) + 0.5) % 1.0 < duty * 0.4
            base[on3] = colours[2]
        return base
    if pattern == "checked":
        a = ((xx / period) % 1.0 < duty).astype(np.float32)[..., None]
        b = ((yy / period) % 1.0 < duty).astype(np.float32)[..., None]
        second = colours[1]
        third = colours[2] if len(colours) > 2 else (colours[0] + colours[1]) / 2
        # tartan: overlapping bands mix, where both cross the second colour is solid
        out = base * (1 - a) * (1 - b) + third * (a + b - 2 * a * b) + second * a * b
        return out
    # other: blotches (a logo-like, non-repeating texture)
    noise = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), scale * 0.05)
    noise = (noise - noise.min()) / (np.ptp(noise) + 1e-6)
    other = colours[1] if len(colours) > 1 else colours[0] * 0.5
    return np.where((noise > 0.55)[..., None], other, base)


def _poly_mask(anchor: FaceAnchor, poly: list[tuple[float, float]], shape: tuple[int, int]
               ) -> np.ndarray:
    mask = np.zeros(shape, dtype=np.uint8)
    pts = np.round(anchor.to_image(np.array(poly))).astype(np.int32)
    cv2.fillPoly(mask, [pts], 1)
    return mask.astype(bool)


# Garment outlines in face-frame units (see regions.py for the frame).
_TORSO = [(-0.24, -0.05), (0.24, -0.05), (0.55, 0.25), (1.28, 0.45), (1.30, 3.35),
          (-1.30, 3.35), (-1.28, 0.45), (-0.55, 0.25)]
_NECK = [(-0.24, -0.35), (0.24, -0.35), (0.26, 0.30), (-0.26, 0.30)]
_COLLAR_V = [(-0.16, 0.08), (0.16, 0.08), (0.0, 0.42)]
_JUMPER_V = [(-0.40, 0.05), (0.40, 0.05), (0.0, 1.08)]
_BLAZER_V = [(-0.64, 0.05), (0.64, 0.05), (0.0, 2.35)]
_TIE = [(-0.08, 0.12), (0.08, 0.12), (0.06, 0.36), (0.115, 2.5), (0.0, 2.7), (-0.115, 2.5),
        (-0.06, 0.36)]
_LOWER = [(-1.25, 3.30), (1.25, 3.30), (1.30, 4.70), (-1.30, 4.70)]


def render(face_rgb: np.ndarray, anchor: FaceAnchor, uniform: Mapping[str, ItemSpec],
           rng: np.random.Generator, show_lower: bool = True) -> tuple[np.ndarray, FaceAnchor]:
    """Draw ``uniform`` below the face; returns the RGB image and the anchor on the canvas."""
    fh, fw = face_rgb.shape[:2]
    W = max(fw, int(anchor.width * 3.0))
    bottom = 4.8 if show_lower else 2.7
    H = int(anchor.chin[1] + anchor.width * bottom)
    off_x = (W - fw) // 2
    bg = _linear_to_srgb(np.broadcast_to(fabric_rgb(str(rng.choice(
        ["grey", "beige", "light blue", "white", "brown"])), rng) * rng.uniform(0.5, 1.0),
        (H, W, 3)))
    canvas = (bg * 255).astype(np.float32)
    canvas[:fh, off_x:off_x + fw] = face_rgb
    a = FaceAnchor(chin=(anchor.chin[0] + off_x, anchor.chin[1]), width=anchor.width,
                   roll=anchor.roll)
    shape = (H, W)
    lin = _srgb_to_linear(canvas / 255.0)
    # neck in the face's own skin colour (median of the cheeks)
    cx, cy = int(a.chin[0]), int(a.chin[1] - 0.45 * a.width)
    r = max(2, int(0.08 * a.width))
    skin = np.median(lin[max(cy - r, 0):cy + r, max(cx - 3 * r, 0):cx + 3 * r].reshape(-1, 3), 0)
    neck = _poly_mask(a, _NECK, shape) & ~_poly_mask(a, [(-2, -2), (2, -2), (2, -0.02),
                                                          (-2, -0.02)], shape)
    lin[neck] = skin * 0.8
    layers: list[tuple[str, np.ndarray]] = []
    torso = _poly_mask(a, _TORSO, shape)
    layers.append(("shirt", torso | _poly_mask(a, [(-0.3, 0.0), (0.3, 0.0), (0.0, 0.5)], shape)))
    if "tie" in uniform:
        layers.append(("tie", _poly_mask(a, _TIE, shape)))
    if "jumper" in uniform:
        layers.append(("jumper", torso & ~_poly_mask(a, _JUMPER_V, shape)))
    if "blazer" in uniform:
        layers.append(("blazer", torso & ~_poly_mask(a, _BLAZER_V, shape)))
    if show_lower and "lower" in uniform:
        layers.append(("lower", _poly_mask(a, _LOWER, shape)))
    for item, mask in layers:
        spec = uniform.get(item, {"colours": ["white"], "pattern": "plain"})
        tex = texture(spec, shape, a.width, rng)
        lin[mask] = tex[mask]
        if item in ("jumper", "blazer"):   # a darker edge along openings, like real seams
            edge = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_GRADIENT,
                                    np.ones((3, 3), np.uint8)).astype(bool) & mask
            lin[edge] *= 0.6
    lin = _shade(lin, torso | layers[-1][1], a, rng)
    out = _linear_to_srgb(lin) * 255 + rng.normal(0, rng.uniform(1.5, 5.0), lin.shape)
    return np.clip(out, 0, 255).astype(np.uint8), a


def _shade(lin: np.ndarray, mask: np.ndarray, a: FaceAnchor, rng: np.random.Generator
           ) -> np.ndarray:
    """Lighting on the clothes: a linear gradient, a few soft folds and a colour cast."""
    h, w = mask.shape
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    u = (xx * np.cos(angle) + yy * np.sin(angle)) / max(h, w)
    gain = rng.uniform(0.65, 1.0) + rng.uniform(0.1, 0.35) * (u - u.min()) / (np.ptp(u) + 1e-6)
    for _ in range(int(rng.integers(1, 4))):
        fx = rng.uniform(a.chin[0] - a.width, a.chin[0] + a.width)
        fa = rng.uniform(-0.4, 0.4)
        d = (xx - fx - (yy - a.chin[1]) * np.tan(fa)) / (0.06 * a.width)
        gain = gain * (1 - rng.uniform(0.1, 0.3) * np.exp(-d ** 2))
    cast = 1 + rng.normal(0, 0.03, 3)
    out = lin.copy()
    out[mask] = lin[mask] * gain[mask][:, None] * cast
    return out


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """Re-encode as JPEG in memory (what a phone or chat app does to a photo)."""
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=int(quality))
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


class FaceSource:
    """Real face photos with their torso anchors (dlib HOG + 68 landmarks, found once)."""

    def __init__(self, paths: list[Path], predictor_path: str | None = None,
                 landmarks: bool = True) -> None:
        """``landmarks=False`` anchors on the HOG box alone (no model file needed)."""
        self.paths = sorted(paths)
        self._predictor_path = predictor_path
        self._landmarks = landmarks
        self._detector: Any = None
        self._predictor: Any = None

    def anchor(self, rgb: np.ndarray) -> tuple[FaceAnchor, np.ndarray, np.ndarray | None] | None:
        """Largest face: its anchor, box and 68 landmarks (or None), or None if no face."""
        from workbench.uniforms.regions import anchor_from_face

        if self._detector is None:
            import dlib

            self._detector = dlib.get_frontal_face_detector()
            if self._landmarks:
                self._predictor = dlib.shape_predictor(self._predictor_path or _predictor_68())
        rects = self._detector(rgb, 0)
        if not rects:
            return None
        rect = max(rects, key=lambda r: r.width() * r.height())
        box = np.array([rect.left(), rect.top(), rect.right(), rect.bottom()], np.float32)
        if self._predictor is None:
            return anchor_from_face(box), box, None
        shape = self._predictor(rgb, rect)
        pts = np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float32)
        return anchor_from_face(box, pts), box, pts


def _predictor_68() -> str:
    """Path of dlib's 68-point model from the verified model pack (``workbench models install``).

    Only the test-set construction and the evaluation use it; the extraction itself takes
    the faces the face engine stored.
    """
    from workbench.models.pack import model_file

    return str(model_file("dlib_landmarks_68"))


def make_composite(source: FaceSource, uniform: Mapping[str, ItemSpec], seed: int,
                   show_lower: bool = True, quality: int | None = None) -> Composite | None:
    """One constructed photo for ``uniform`` from a face chosen by ``seed`` (None if no face)."""
    rng = np.random.default_rng(seed)
    for _ in range(5):
        path = source.paths[int(rng.integers(len(source.paths)))]
        rgb = np.asarray(Image.open(path).convert("RGB"))
        found = source.anchor(rgb)
        if found is None:
            continue
        anchor, _, _ = found
        img, a = render(rgb.astype(np.float32), anchor, uniform, rng, show_lower)
        q = quality if quality is not None else int(rng.integers(55, 92))
        truth = {k: {"colours": list(v["colours"]), "pattern": v.get("pattern", "plain")}
                 for k, v in uniform.items() if k != "lower" or show_lower}
        return Composite(image=jpeg(img, q), truth=truth, anchor=a, source=str(path),
                         meta={"jpeg_quality": q, "show_lower": show_lower})
    return None
