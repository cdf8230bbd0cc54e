"""The shirt front read row by row: a tie found off the chin's line, the shirt stopped
at the lapels (drawn fronts of known colours)."""

from __future__ import annotations

import numpy as np

from workbench.uniforms.front import read_front
from workbench.uniforms.palette import name_colour, rgb_to_lab

H, W = 400, 400
FW = 100.0                       # face width in pixels
CHIN = np.array([200.0, 100.0])
U, V = np.array([1.0, 0.0]), np.array([0.0, 1.0])
WHITE, NAVY, GREY, MAROON = (240, 240, 238), (30, 40, 80), (90, 90, 95), (100, 25, 35)


def _front(tie_dx: float | None, v_half: float = 40, tie_half: float = 10,
           jacket: tuple[int, int, int] = GREY, shirt: tuple[int, int, int] = WHITE,
           tie: tuple[int, int, int] = NAVY) -> tuple[np.ndarray, np.ndarray]:
    """A jacket with a V of shirt (half-width ``v_half`` px) and an optional tie whose
    centre is ``tie_dx`` px from the chin's line; returns (Lab image, cloth mask)."""
    rng = np.random.default_rng(0)
    img = np.empty((H, W, 3), np.float64)
    img[:] = jacket
    img[110:, int(200 - v_half):int(200 + v_half)] = shirt
    if tie_dx is not None:
        c = 200 + tie_dx
        img[115:, int(c - tie_half):int(c + tie_half)] = tie
    img += rng.normal(0, 2.0, img.shape)              # a little sensor noise
    rgb = np.clip(img, 0, 255).astype(np.uint8)
    cloth = np.zeros((H, W), bool)
    cloth[105:, :] = True
    return rgb_to_lab(rgb), cloth


def test_tie_found_where_it_hangs_not_where_the_chin_points() -> None:
    lab, cloth = _front(tie_dx=18)
    front = read_front(lab, cloth, CHIN, U, V, FW, (0.2, 1.0))
    assert front.tie_score > 0.8
    assert abs(front.offset - 0.18) < 0.06                       # found off the centre line
    assert name_colour(front.tie_lab)[0] == "navy"
    assert name_colour(front.shirt_lab)[0] == "white"
    xs = np.nonzero(front.tie)[1]
    assert abs(xs.mean() - 218) < 4
    assert front.tie_polygon is not None and front.tie_polygon.shape == (4, 2)


def test_shirt_stops_at_the_lapels() -> None:
    lab, cloth = _front(tie_dx=0, jacket=MAROON)
    front = read_front(lab, cloth, CHIN, U, V, FW, (0.2, 1.0))
    xs = np.nonzero(front.shirt)[1]
    assert xs.min() >= 200 - 40 - 2 and xs.max() <= 200 + 40 + 2   # not on the jacket
    assert not (front.shirt & front.tie).any()
    assert front.lapels > 0.8                                       # a V closed both sides


def test_open_collar_without_tie_has_no_tie() -> None:
    # a shirt alone, no jacket: the whole band is one fabric
    lab, cloth = _front(tie_dx=None, v_half=200)
    front = read_front(lab, cloth, CHIN, U, V, FW, (0.2, 1.0))
    assert front.tie_score < 0.1 and front.tie_lab is None and front.tie_polygon is None
    assert name_colour(front.shirt_lab)[0] == "white"
    assert front.lapels < 0.2


def test_band_off_the_image_reads_nothing() -> None:
    lab, cloth = _front(tie_dx=0)
    front = read_front(lab, cloth, np.array([200.0, 395.0]), U, V, FW, (0.2, 1.0))
    assert front.tie_score == 0.0 and front.tie_lab is None and front.shirt_lab is None
