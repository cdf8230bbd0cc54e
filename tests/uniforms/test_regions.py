"""Clothing-region geometry from the face anchor."""

from __future__ import annotations

import numpy as np

from workbench.uniforms.regions import FaceAnchor, anchor_from_face, clothing_regions


def _centroid(mask: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(mask)
    return float(xs.mean()), float(ys.mean())


def test_regions_hang_below_the_chin_in_layout_order() -> None:
    anchor = FaceAnchor(chin=(200.0, 150.0), width=100.0, roll=0.0)
    regions = clothing_regions(anchor, (700, 400))
    assert all(r.visible for r in regions.values())
    shirt, tie, jumper = (_centroid(regions[k].mask) for k in ("shirt", "tie", "jumper"))
    blazer, lower = _centroid(regions["blazer"].mask), _centroid(regions["lower"].mask)
    assert 150 < shirt[1] < tie[1] < jumper[1] < lower[1]
    assert abs(tie[0] - 200) < 2 and abs(shirt[0] - 200) < 2     # symmetric about the centre
    ys, xs = np.nonzero(regions["blazer"].mask)
    assert np.abs(xs - 200).min() >= 70                          # sides of the chest
    assert blazer[1] > shirt[1]
    assert not (regions["tie"].mask & regions["shirt"].mask).any()


def test_regions_leaving_the_image_are_not_visible() -> None:
    anchor = FaceAnchor(chin=(200.0, 150.0), width=100.0, roll=0.0)
    regions = clothing_regions(anchor, (330, 400))               # cut below the chest
    assert regions["shirt"].visible and regions["tie"].visible
    assert not regions["lower"].visible
    assert regions["lower"].visible_fraction == 0.0
    edge = clothing_regions(FaceAnchor(chin=(20.0, 150.0), width=100.0, roll=0.0), (700, 400))
    assert not edge["blazer"].visible                            # half outside on the left
    assert 0 < edge["blazer"].visible_fraction < 0.6


def test_regions_scale_and_rotate_with_the_face() -> None:
    small = clothing_regions(FaceAnchor((200.0, 100.0), 50.0, 0.0), (600, 400))
    big = clothing_regions(FaceAnchor((200.0, 100.0), 100.0, 0.0), (600, 400))
    assert 3.5 < big["tie"].mask.sum() / small["tie"].mask.sum() < 4.5
    tilted = clothing_regions(FaceAnchor((200.0, 100.0), 100.0, 0.3), (600, 400))
    x, _ = _centroid(tilted["lower"].mask)
    assert x < 200 - 50     # head tilted clockwise: the body hangs to the image left


def test_anchor_from_68_and_5_points_and_box() -> None:
    box = np.array([100, 100, 200, 220], np.float32)
    a = anchor_from_face(box)
    assert a.width == 100 and a.chin[1] > 220 and a.roll == 0
    pts = np.zeros((68, 2), np.float32)
    pts[0], pts[16], pts[8] = (100, 150), (200, 150), (150, 230)
    pts[36:42], pts[42:48] = (125, 140), (175, 140)
    a68 = anchor_from_face(box, pts)
    assert a68.chin == (150.0, 230.0) and a68.width == 100 and abs(a68.roll) < 1e-6
    five = np.array([[180, 140], [170, 140], [120, 140], [130, 140], [150, 170]], np.float32)
    a5 = anchor_from_face(box, five)
    assert abs(a5.chin[0] - 150) < 1 and a5.chin[1] > 170 and abs(a5.roll) < 1e-6
