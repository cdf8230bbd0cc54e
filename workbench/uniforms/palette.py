"""Named garment colours: a fixed palette, measured in CIELAB with shading handled.

Pixels are converted to CIELAB (D65), skin-like pixels are dropped, the rest are
clustered with lightness down-weighted (shading on cloth changes lightness far more
than hue), and each cluster is named by the nearest palette prototype under CIE94 with
the *textiles* weights (``kL = 2``), which again forgives lightness more than hue or chroma.
Near-neutral clusters are named by lightness alone (black, grey, white), because their
hue angle is noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Names the search and the registry use, in a fixed order (the confusion matrix follows it).
COLOUR_NAMES: tuple[str, ...] = (
    "navy", "black", "grey", "white", "light blue", "royal blue", "green", "bottle green",
    "maroon", "red", "burgundy", "purple", "yellow", "gold", "brown", "beige",
)
NEUTRALS = ("black", "grey", "white")

# sRGB prototypes per name (several shades each, so a shaded garment still finds its name).
_PROTOTYPES: dict[str, tuple[str, ...]] = {
    "navy": ("#1a2238", "#1f2a4d", "#2a3a66"),
    "black": ("#0e0e10", "#1c1c1e"),
    "grey": ("#4d4d4f", "#77787a", "#a3a4a6"),
    "white": ("#e6e6e6", "#f7f7f7"),
    "light blue": ("#a9c6e8", "#8db4df", "#c3d8ef"),
    "royal blue": ("#2546a6", "#3158c8", "#1d3d99"),
    "green": ("#2f8a43", "#3ea852", "#267a38"),
    "bottle green": ("#0f3d26", "#164a30", "#0b3020"),
    "maroon": ("#5a1a1f", "#4a1518", "#6b2229"),
    "red": ("#c4161c", "#d62c2c", "#a81318"),
    "burgundy": ("#6d1030", "#80183a", "#5a0c27"),
    "purple": ("#5a2a83", "#6e3a9a", "#47206b"),
    "yellow": ("#f2d024", "#f5dc4a", "#e8c212"),
    "gold": ("#c79a2b", "#b08526", "#d4aa3f"),
    "brown": ("#5c3b22", "#6e4a2c", "#4a2e1a"),
    "beige": ("#d6c4a0", "#c8b48c", "#e2d4b6"),
}


def hex_to_rgb(code: str) -> tuple[float, float, float]:
    """``#rrggbb`` to floats in [0, 1]."""
    code = code.lstrip("#")
    return tuple(int(code[i:i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB (uint8 0-255 or float 0-1, shape ``(..., 3)``) to CIELAB D65 ``(..., 3)``."""
    rgb = np.asarray(rgb)
    x = rgb.astype(np.float64) / 255.0 if rgb.dtype == np.uint8 else rgb.astype(np.float64)
    x = np.clip(x, 0.0, 1.0)
    linear = np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)
    matrix = np.array([[0.4124564, 0.3575761, 0.1804375],
                       [0.2126729, 0.7151522, 0.0721750],
                       [0.0193339, 0.1191920, 0.9503041]])
    xyz = linear @ matrix.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    lab = np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                    200 * (f[..., 1] - f[..., 2])], axis=-1)
    return lab


def delta_e94(lab1: np.ndarray, lab2: np.ndarray, k_l: float = 2.0) -> np.ndarray:
    """CIE94 colour difference with textile weights (``kL=2, K1=0.048, K2=0.014``).

    Broadcasts over leading dimensions; ``lab1`` is the reference.
    """
    lab1 = np.asarray(lab1, dtype=np.float64)
    lab2 = np.asarray(lab2, dtype=np.float64)
    dl = lab1[..., 0] - lab2[..., 0]
    c1 = np.hypot(lab1[..., 1], lab1[..., 2])
    c2 = np.hypot(lab2[..., 1], lab2[..., 2])
    dc = c1 - c2
    da = lab1[..., 1] - lab2[..., 1]
    db = lab1[..., 2] - lab2[..., 2]
    dh2 = np.clip(da ** 2 + db ** 2 - dc ** 2, 0, None)
    sc = 1 + 0.048 * c1
    sh = 1 + 0.014 * c1
    return np.sqrt((dl / k_l) ** 2 + (dc / sc) ** 2 + dh2 / sh ** 2)


def _prototype_table() -> tuple[np.ndarray, np.ndarray]:
    labs, idx = [], []
    for i, name in enumerate(COLOUR_NAMES):
        for code in _PROTOTYPES[name]:
            labs.append(rgb_to_lab(np.array(hex_to_rgb(code))))
            idx.append(i)
    return np.array(labs), np.array(idx)


_PROTO_LAB, _PROTO_IDX = _prototype_table()

# Below this chroma a colour is treated as neutral and named by lightness only.
NEUTRAL_CHROMA = 9.0
# The same for light colours when naming real photos (``dominant_colours(lit=...)``).
LIGHT_NEUTRAL = 13.0


@dataclass(frozen=True)
class NamedColour:
    """One dominant colour of a region: its name, share of pixels, Lab centre, certainty."""

    name: str
    share: float
    lab: tuple[float, float, float]
    confidence: float

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "share": round(self.share, 3),
                "lab": [round(v, 1) for v in self.lab], "confidence": round(self.confidence, 3)}


def name_colour(lab: np.ndarray, light_neutral: float = NEUTRAL_CHROMA) -> tuple[str, float]:
    """Name one Lab colour; returns the name and a confidence in [0, 1].

    Confidence compares the best distance with the best distance to any *other* name:
    a colour half-way between navy and black gets about 0.5. ``light_neutral`` is the
    chroma under which a light colour (L > 70) counts as neutral: a white shirt in shade
    or under a cool sky keeps a faint tint that is light, not light blue.
    """
    lab = np.asarray(lab, dtype=np.float64).reshape(3)
    chroma = float(np.hypot(lab[1], lab[2]))
    if lab[0] > 70 and chroma < light_neutral:
        chroma = 0.0
    distances = delta_e94(_PROTO_LAB, lab[None, :])
    per_name = np.full(len(COLOUR_NAMES), np.inf)
    np.minimum.at(per_name, _PROTO_IDX, distances)
    if chroma < NEUTRAL_CHROMA:
        # Neutral: only black/grey/white and the darkest chromatic names compete,
        # because a dim navy or bottle green loses most of its chroma in shadow.
        allowed = {"black", "grey", "white", "navy", "bottle green", "beige"}
        per_name = np.array([d if n in allowed else np.inf for n, d in zip(COLOUR_NAMES, per_name,
                                                                           strict=True)])
    order = np.argsort(per_name)
    best, second = per_name[order[0]], per_name[order[1]]
    confidence = float(second / (best + second)) if np.isfinite(second) else 1.0
    return COLOUR_NAMES[int(order[0])], confidence


def skin_mask_lab(lab: np.ndarray, skin_lab: np.ndarray | None = None, tol: float = 9.0
                  ) -> np.ndarray:
    """True for pixels close to the person's skin colour (sampled from the face).

    Without a skin sample a broad generic skin range is used: moderate positive a* and b*
    with b* >= a* * 0.6 and lightness above 25, which covers light to dark skin tones.
    """
    if skin_lab is not None:
        return delta_e94(np.asarray(skin_lab)[None, :], lab.reshape(-1, 3)).reshape(
            lab.shape[:-1]) < tol
    L, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    return (L > 25) & (L < 90) & (a > 6) & (a < 30) & (b > 8) & (b < 35) & (b > 0.6 * a)


def _centre(member: np.ndarray, lit: float | None) -> np.ndarray:
    """A cluster's colour: its median, or with ``lit`` its lit part's lightness.

    Shadow darkens cloth far more often than light brightens it, so with ``lit`` the
    lightness is that quantile of the cluster's (specular glints, L > 98, left out when
    they are a minority) and hue and chroma are the median's.
    """
    centre = np.median(member, axis=0)
    if lit is None:
        return centre
    lightness = member[:, 0]
    matte = lightness[lightness <= 98.0] if (lightness > 98.0).mean() < 0.5 else lightness
    quantile = lit
    if centre[0] > 55 and np.hypot(centre[1], centre[2]) < LIGHT_NEUTRAL:
        quantile = max(lit, 0.9)   # light neutral cloth: its lit part is its colour
    centre[0] = float(np.quantile(matte, quantile))
    return centre


def dominant_colours(lab_pixels: np.ndarray, k: int = 3, min_share: float = 0.18,
                     seed: int = 0, lit: float | None = None) -> list[NamedColour]:
    """Cluster Lab pixels ``(n, 3)`` and name the clusters holding at least ``min_share``.

    Clustering uses ``(L/3, a, b)`` so the lit and shaded sides of one fabric fall in one
    cluster; clusters that get the same name are merged. Sorted by share, largest first.
    ``lit`` (e.g. 0.75) names each cluster by its lit part (see :func:`_centre`).
    """
    pixels = np.asarray(lab_pixels, dtype=np.float64).reshape(-1, 3)
    if len(pixels) < 12:
        return []
    if len(pixels) > 4000:
        rng = np.random.default_rng(seed)
        pixels = pixels[rng.choice(len(pixels), 4000, replace=False)]
    feats = pixels * np.array([1 / 3, 1.0, 1.0])
    labels = _kmeans(feats, min(k, len(pixels)), seed)
    merged: dict[str, list[np.ndarray]] = {}
    for j in np.unique(labels):
        member = pixels[labels == j]
        centre = _centre(member, lit)
        name, _ = name_colour(centre, LIGHT_NEUTRAL if lit is not None else NEUTRAL_CHROMA)
        merged.setdefault(name, []).append(member)
    out = []
    for name, members in merged.items():
        allpix = np.concatenate(members)
        share = len(allpix) / len(pixels)
        if share < min_share:
            continue
        centre = _centre(allpix, lit)
        _, conf = name_colour(centre, LIGHT_NEUTRAL if lit is not None else NEUTRAL_CHROMA)
        out.append(NamedColour(name=name, share=float(share),
                               lab=tuple(float(v) for v in centre), confidence=conf))
    out.sort(key=lambda c: -c.share)
    return out


def _kmeans(x: np.ndarray, k: int, seed: int, iters: int = 15) -> np.ndarray:
    """Small deterministic k-means (k-means++ seeding) - enough for a few thousand pixels."""
    rng = np.random.default_rng(seed)
    centres = [x[rng.integers(len(x))]]
    for _ in range(1, k):
        d2 = np.min(((x[:, None, :] - np.array(centres)[None]) ** 2).sum(-1), axis=1)
        if d2.sum() <= 1e-9:
            break
        centres.append(x[rng.choice(len(x), p=d2 / d2.sum())])
    c = np.array(centres)
    labels = np.zeros(len(x), dtype=int)
    for _ in range(iters):
        labels = np.argmin(((x[:, None, :] - c[None]) ** 2).sum(-1), axis=1)
        new = np.array([x[labels == j].mean(0) if np.any(labels == j) else c[j]
                        for j in range(len(c))])
        if np.allclose(new, c):
            break
        c = new
    return labels


def name_centres() -> np.ndarray:
    """Mean Lab of each name's prototypes, ``(16, 3)`` in :data:`COLOUR_NAMES` order."""
    return np.array([_PROTO_LAB[_PROTO_IDX == i].mean(0) for i in range(len(COLOUR_NAMES))])


# White balance: how far toward neutral the image's estimated light is corrected, and the
# largest per-channel gain (a strong colour cast in the scene itself, a red backdrop, must
# not be "corrected" into the clothes).
WB_STRENGTH = 0.7
WB_MAX_GAIN = 1.25


def illuminant(rgb: np.ndarray, weight: np.ndarray | None = None, p: float = 6.0) -> np.ndarray:
    """The scene light's colour in linear RGB, normalised to mean 1 (shades of grey, p=6).

    Clipped and near-black pixels are left out (they carry no colour of the light);
    ``weight`` (e.g. the person mask) picks the pixels that vote.
    """
    x = np.asarray(rgb, np.float64).reshape(-1, 3) / 255.0
    lin = np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)
    ok = (x.max(1) < 0.98) & (x.max(1) > 0.08)
    if weight is not None:
        ok &= np.asarray(weight).reshape(-1) > 0
    if ok.sum() < 50:
        return np.ones(3)
    light = np.power(np.mean(np.power(lin[ok], p), axis=0), 1 / p)
    return light / max(float(light.mean()), 1e-9)


def balanced_lab(rgb: np.ndarray, person: np.ndarray | None = None) -> np.ndarray:
    """CIELAB of ``rgb`` after a partial white balance estimated from the image.

    The light is estimated on the person (their clothes and skin see the same light as
    the garments) when a person mask is given, blended with the whole image; the gain is
    applied in linear RGB, ``WB_STRENGTH`` of the way, each channel's gain capped.
    """
    whole = illuminant(rgb)
    light = whole
    if person is not None:
        on_person = illuminant(rgb, np.asarray(person) >= 0.5)
        light = 0.5 * whole + 0.5 * on_person
    gain = np.clip((1 / np.maximum(light, 1e-6)) ** WB_STRENGTH, 1 / WB_MAX_GAIN, WB_MAX_GAIN)
    x = np.asarray(rgb, np.float64) / 255.0
    lin = np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4) * gain
    srgb = np.where(lin <= 0.0031308, lin * 12.92, 1.055 * np.clip(lin, 0, None) ** (1 / 2.4)
                    - 0.055)
    return rgb_to_lab(np.clip(srgb, 0, 1))


# Names close enough that real light moves a garment between them: when both win pixels,
# the weaker is reported as an alternative with its share, not dropped.
NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "navy": ("black", "royal blue"), "black": ("navy", "grey"), "grey": ("black", "white"),
    "white": ("grey", "light blue"), "maroon": ("burgundy", "brown", "red"),
    "burgundy": ("maroon", "red", "purple"), "red": ("maroon", "burgundy"),
    "royal blue": ("navy", "light blue"), "light blue": ("white", "royal blue"),
    "green": ("bottle green",), "bottle green": ("green", "black"),
    "gold": ("yellow", "brown", "beige"), "yellow": ("gold",), "brown": ("maroon", "gold"),
    "beige": ("white", "gold", "grey"), "purple": ("burgundy", "navy"),
}


def alternatives(lab_pixels: np.ndarray, main: str, min_share: float = 0.2
                 ) -> list[dict[str, float | str]]:
    """Neighbouring names of ``main`` that a fair share of the pixels also take.

    Each pixel is named on its own (lit and shaded parts of one fabric vote separately);
    a neighbour of ``main`` winning at least ``min_share`` of them is an alternative.
    """
    pixels = np.asarray(lab_pixels, np.float64).reshape(-1, 3)
    if len(pixels) < 12:
        return []
    if len(pixels) > 1500:
        pixels = pixels[np.random.default_rng(0).choice(len(pixels), 1500, replace=False)]
    d = delta_e94(_PROTO_LAB[None, :, :], pixels[:, None, :])
    per_name = np.full((len(pixels), len(COLOUR_NAMES)), np.inf)
    for i in range(len(COLOUR_NAMES)):
        per_name[:, i] = d[:, _PROTO_IDX == i].min(1)
    chroma = np.hypot(pixels[:, 1], pixels[:, 2])
    chromatic = [i for i, n in enumerate(COLOUR_NAMES)
                 if n not in {"black", "grey", "white", "navy", "bottle green", "beige"}]
    per_name[np.ix_(chroma < NEUTRAL_CHROMA, chromatic)] = np.inf
    votes = np.bincount(per_name.argmin(1), minlength=len(COLOUR_NAMES)) / len(pixels)
    out: list[dict[str, float | str]] = [
        {"name": n, "share": round(float(votes[COLOUR_NAMES.index(n)]), 3)}
        for n in NEIGHBOURS.get(main, ()) if votes[COLOUR_NAMES.index(n)] >= min_share]
    return sorted(out, key=lambda a: -float(a["share"]))
