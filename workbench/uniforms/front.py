"""The shirt front under the chin, read row by row: the tie as a narrow strip, the shirt
beside it, the jacket's lapels beyond.

Fixed regions hung from the shoulders miss where real clothes are: a turned head moves
the tie off the chin's line, a bow tie fills the collar, a jacket's V is narrow or wide.
Here the front is straightened into a band (columns across the body, rows down it, in
face widths) and each row is read as a profile:

* the **tie** is a strip 0.1-0.5 face widths wide whose colour differs from the cloth on
  *both* its sides, the two sides being one fabric (the shirt); its place across the
  body is searched, not assumed;
* the **shirt** is the cloth beside the tie (or, with no tie, at the centre of the
  collar), grown outwards along each row while the colour stays the shirt's: it stops at
  the lapels, so a jacket's fabric seen in the V is not read as the shirt;
* a strip whose colour is the collar's own (a shirt seen in a jacket's narrowing V) is
  no tie.

Everything is measured in CIELAB of the white-balanced image; skin (a tight and a wide
tolerance around the face's skin) and pixels off the person do not count as cloth.

The body reader takes the tie's evidence from here (``tie_score``, into the fitted
presence model of :mod:`workbench.uniforms.presence`) and shows the strip it found. The
shirt found here is reported as a cue (``lapels``) but does not name the shirt's colour:
on the fit split of the real photos that read worse (shirt colour 0.50 against 0.61),
because a strip's sides are often a lapel's shadow rather than the collar.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from workbench.uniforms.palette import delta_e94

# Band across the body (face widths either side of the centre line) and search limits.
HALF_SPAN = 0.6
TIE_CENTRE = 0.3            # the tie's centre may lie this far off the chin's line
TIE_HALF = (0.05, 0.08, 0.12, 0.17, 0.23)   # tie half-widths tried (face widths)
FLANK = 0.08                # width of the cloth compared either side of a strip
# A row shows a tie when the strip differs from both sides by this much (CIE94, kL=2)
# more than the sides differ from each other.
TIE_CONTRAST = 10.0
SPREAD_WEIGHT = 0.5         # how much a strip's own colour spread counts against it
SHIRT_GROW_DE = 12.0        # the shirt ends where a row's colour leaves it by this much
MIN_ROWS = 4
EDGE = 2                    # columns of tie-and-shirt blend either side of a strip


@dataclass
class Front:
    """What the row-by-row reading found.

    Attributes:
        tie: image mask of the tie strip (empty when none was found).
        shirt: image mask of the shirt cloth beside the tie or at the collar's centre.
        tie_score: share of the band's rows where a tie strip stands out, in [0, 1].
        tie_lab: the tie's median colour (None when no strip was found).
        shirt_lab: the shirt's median colour (None when no cloth was found).
        offset: the tie's centre across the body (face widths from the chin's line).
        lapels: share of the rows with shirt whose shirt is closed on both sides by cloth
            of another colour (a jacket's or jumper's V), in [0, 1].
        tie_polygon: the searched strip's corners in image pixels ``(4, 2)`` (None when
            no strip was found), for showing where the tie was looked for.
    """

    tie: np.ndarray
    shirt: np.ndarray
    tie_score: float
    tie_lab: np.ndarray | None
    shirt_lab: np.ndarray | None
    offset: float
    lapels: float = 0.0
    tie_polygon: np.ndarray | None = None


def _band_maps(origin: np.ndarray, u: np.ndarray, v: np.ndarray, unit: float,
               v0: float, v1: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Image coordinates of the straightened band (one pixel per face-width/unit step)."""
    step = 1.0 / max(unit, 1.0)
    xs = np.arange(-HALF_SPAN, HALF_SPAN + step / 2, step)
    ys = np.arange(v0, v1 + step / 2, step)
    gx, gy = np.meshgrid(xs, ys)
    px = origin[0] + unit * (gx * u[0] + gy * v[0])
    py = origin[1] + unit * (gx * u[1] + gy * v[1])
    return px.astype(np.float32), py.astype(np.float32), xs


def _means(values: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column prefix sums of weighted values ``(R, C+1, 3)`` and weights ``(R, C+1)``."""
    w = weight.astype(np.float64)
    cs = np.concatenate([np.zeros((*w.shape[:1], 1, 3)), np.cumsum(values * w[..., None], 1)], 1)
    cw = np.concatenate([np.zeros((w.shape[0], 1)), np.cumsum(w, 1)], 1)
    return cs, cw


def _span(cs: np.ndarray, cw: np.ndarray, a: np.ndarray, b: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray]:
    """Mean colour and weight of columns ``[a, b)`` per row, for arrays of spans."""
    total = cs[:, b] - cs[:, a]
    n = cw[:, b] - cw[:, a]
    return total / np.maximum(n, 1e-6)[..., None], n


def read_front(lab: np.ndarray, cloth: np.ndarray, origin: np.ndarray, u: np.ndarray,
               v: np.ndarray, unit: float, rows: tuple[float, float]) -> Front:
    """Find the tie strip and the shirt beside it in the band ``rows`` below the chin.

    Args:
        lab: the image in CIELAB ``(h, w, 3)``.
        cloth: pixels that may be clothing (on the person, not the head, not skin).
        origin: the chin's point on the body's centre line (image pixels).
        u, v: unit vectors across the body (image right) and down it.
        unit: the face width in pixels.
        rows: the band's first and last row, in face widths below ``origin``.
    """
    h, w = cloth.shape[:2]
    empty = np.zeros((h, w), bool)
    px, py, xs = _band_maps(origin, u, v, unit, *rows)
    if px.shape[0] < MIN_ROWS or px.shape[1] < 8:
        return Front(empty, empty.copy(), 0.0, None, None, 0.0)
    band = cv2.remap(lab.astype(np.float32), px, py, cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_CONSTANT, borderValue=0).astype(np.float64)
    ok = cv2.remap(cloth.astype(np.uint8), px, py, cv2.INTER_NEAREST,
                   borderMode=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)
    weighted = band * np.array([0.5, 1.0, 1.0])      # lightness counts half, as in CIE94 kL=2
    cs, cw = _means(band, ok)
    cq, _ = _means(weighted ** 2, ok)
    ncol = px.shape[1]
    centre = ncol // 2
    step = xs[1] - xs[0]
    flank = max(2, int(round(FLANK / step)))
    cands = []
    for half in TIE_HALF:
        hw = max(1, int(round(half / step)))
        for c in range(centre - int(TIE_CENTRE / step), centre + int(TIE_CENTRE / step) + 1):
            a, b = c - hw, c + hw + 1
            if a - flank < 0 or b + flank > ncol:
                continue
            cands.append((a, b, flank))
    if not cands:
        return Front(empty, empty.copy(), 0.0, None, None, 0.0)
    a = np.array([c[0] for c in cands])
    b = np.array([c[1] for c in cands])
    s_col, s_n = _span(cs, cw, a, b)
    l_col, l_n = _span(cs, cw, a - flank, a)
    r_col, r_n = _span(cs, cw, b, b + flank)
    d_sl = delta_e94(l_col, s_col)
    d_sr = delta_e94(r_col, s_col)
    d_lr = delta_e94(l_col, r_col)
    # a tie is one fabric across its width: the strip's own spread counts against it
    sq, _ = _span(cq, cw, a, b)
    spread = np.sqrt(np.clip(sq - (s_col * np.array([0.5, 1.0, 1.0])) ** 2, 0, None).sum(-1))
    seen = (s_n >= 0.6 * (b - a)) & (l_n >= 0.5 * flank) & (r_n >= 0.5 * flank)
    row_hit = seen & (np.minimum(d_sl, d_sr) - d_lr - SPREAD_WEIGHT * spread >= TIE_CONTRAST)
    # the share of the rows in view: a portrait cut at the collar shows a few rows of
    # the band, and rows below the photo's edge are no evidence against a tie
    score = row_hit.sum(0) / np.maximum(seen.sum(0), max(MIN_ROWS, 0.25 * len(seen)))
    best = int(np.argmax(score))
    tie_score = float(score[best])
    ba, bb = int(a[best]), int(b[best])
    rows_hit = row_hit[:, best]
    tie_band = np.zeros(px.shape, bool)
    tie_lab = None
    if rows_hit.sum() >= MIN_ROWS:
        tie_band[rows_hit, ba:bb] = True
        tie_band &= ok
        if tie_band.sum() >= 6:
            tie_lab = np.median(band[tie_band], 0)
    # the shirt: from the tie's sides (or the centre when there is no tie) outwards
    seeds = None
    if tie_lab is not None:
        side = np.concatenate([band[rows_hit, ba - flank:ba][ok[rows_hit, ba - flank:ba]],
                               band[rows_hit, bb:bb + flank][ok[rows_hit, bb:bb + flank]]])
        seeds = np.median(side, 0) if len(side) >= 6 else None
        # the strip's edges blend tie and shirt: growing starts just beyond them
        start = (max(ba - EDGE, 0), min(bb + EDGE, ncol))
    else:
        top = slice(0, max(MIN_ROWS, px.shape[0] // 2))   # the collar, above a V's close
        mid = ok[top, centre - flank:centre + flank + 1]
        vals = band[top, centre - flank:centre + flank + 1][mid]
        seeds = np.median(vals, 0) if len(vals) >= 6 else None
        start = (centre, centre + 1)
    shirt_band = np.zeros(px.shape, bool)
    shirt_lab = None
    if seeds is not None:
        near = delta_e94(seeds[None, :], band.reshape(-1, 3)).reshape(ok.shape) < SHIRT_GROW_DE
        shirt_band = _grow(near & ok, ok & ~near, *start)
        if tie_lab is not None:
            shirt_band[:, ba:bb] = False
        if shirt_band.sum() >= 6:
            shirt_lab = np.median(band[shirt_band], 0)
    offset = float(xs[(ba + bb) // 2]) if tie_lab is not None else 0.0
    lapels = _closed_rows(shirt_band, ok & ~near) if seeds is not None else 0.0
    polygon = None
    if tie_lab is not None:
        hit = np.flatnonzero(rows_hit)
        r0, r1, c0, c1 = int(hit[0]), int(hit[-1]), ba, bb - 1
        polygon = np.array([[px[r, c], py[r, c]] for r, c in
                            ((r0, c0), (r0, c1), (r1, c1), (r1, c0))], np.float64)
    return Front(_to_image(tie_band, px, py, (h, w)), _to_image(shirt_band, px, py, (h, w)),
                 tie_score, tie_lab, shirt_lab, offset, lapels, polygon)


def _closed_rows(shirt: np.ndarray, other: np.ndarray) -> float:
    """Share of rows with shirt where other cloth lies just beyond it on both sides."""
    rows = np.flatnonzero(shirt.any(1))
    if not len(rows):
        return 0.0
    closed = 0
    for r in rows:
        cols = np.flatnonzero(shirt[r])
        lo, hi = cols[0], cols[-1]
        left = other[r, max(lo - 3, 0):lo].any()
        right = other[r, hi + 1:hi + 4].any()
        closed += bool(left and right)
    return closed / len(rows)


def _grow(near: np.ndarray, other: np.ndarray, left: int, right: int) -> np.ndarray:
    """Per row, the ``near`` columns reaching out from ``[left, right)``, stopping at the
    first ``other`` column (cloth of another colour: a lapel); columns that are neither
    (skin of an open collar, off the person) are crossed but not kept."""
    out = np.zeros_like(near)
    ncol = near.shape[1]
    for r in range(near.shape[0]):
        j = left - 1
        while j >= 0 and not other[r, j]:
            out[r, j] = near[r, j]
            j -= 1
        j = right
        while j < ncol and not other[r, j]:
            out[r, j] = near[r, j]
            j += 1
        out[r, left:right] |= near[r, left:right]
    return out


def _to_image(band_mask: np.ndarray, px: np.ndarray, py: np.ndarray,
              shape: tuple[int, int]) -> np.ndarray:
    """Scatter a band mask back into the image (one pixel per band cell, then closed)."""
    out = np.zeros(shape, np.uint8)
    if not band_mask.any():
        return out.astype(bool)
    xs = np.round(px[band_mask]).astype(int)
    ys = np.round(py[band_mask]).astype(int)
    keep = (xs >= 0) & (xs < shape[1]) & (ys >= 0) & (ys < shape[0])
    out[ys[keep], xs[keep]] = 1
    out = cv2.morphologyEx(out, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    return out.astype(bool)
