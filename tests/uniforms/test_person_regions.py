"""Garment regions from a person mask and body keypoints (synthetic masks and poses)."""

from __future__ import annotations

import numpy as np

from workbench.uniforms.body import L_ELBOW, L_HIP, L_SHOULDER, R_ELBOW, R_HIP, R_SHOULDER, Pose, Roi
from workbench.uniforms.person_regions import (
    head_mask,
    padding_mask,
    person_regions,
    pose_usable,
)
from workbench.uniforms.regions import FaceAnchor

H, W = 600, 800


def _pose(cx: float, shoulder_y: float, half: float, hips: bool = True) -> Pose:
    """An upright person facing the camera (their left shoulder on the image right)."""
    pts = np.zeros((33, 2))
    vis = np.full(33, 0.2)
    pts[L_SHOULDER], pts[R_SHOULDER] = (cx + half, shoulder_y), (cx - half, shoulder_y)
    pts[L_ELBOW], pts[R_ELBOW] = (cx + half * 1.1, shoulder_y + 1.5 * half), \
        (cx - half * 1.1, shoulder_y + 1.5 * half)
    pts[L_HIP], pts[R_HIP] = (cx + 0.6 * half, shoulder_y + 3 * half), \
        (cx - 0.6 * half, shoulder_y + 3 * half)
    vis[[L_SHOULDER, R_SHOULDER, L_ELBOW, R_ELBOW]] = 0.95
    vis[[L_HIP, R_HIP]] = 0.95 if hips else 0.1
    return Pose(pts, vis, 0.99, Roi(cx, shoulder_y, 6 * half), "detector")


def _person(mask: np.ndarray, cx: float, face: tuple[float, float, float, float]) -> None:
    x1, y1, x2, y2 = face
    mask[int(y1):int(y2), int(x1):int(x2)] = 1.0                     # head
    mask[int(y2):, int(cx - 110):int(cx + 110)] = 1.0                  # body


def _centroid(m: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(m)
    return float(xs.mean()), float(ys.mean())


def test_pose_regions_follow_the_layers_and_stay_on_the_person() -> None:
    mask = np.zeros((H, W), np.float32)
    face = (350.0, 60.0, 450.0, 180.0)
    _person(mask, 400, face)
    anchor = FaceAnchor(chin=(400.0, 185.0), width=100.0, roll=0.0)
    pr = person_regions(mask, _pose(400, 230, 100), np.array(face), anchor)
    assert pr.method == "pose"
    r = pr.regions
    assert all(r[k].visible for k in ("shirt", "tie", "blazer", "lower"))
    shirt, tie, lower = (_centroid(r[k].mask) for k in ("shirt", "tie", "lower"))
    assert abs(tie[0] - 400) < 3 and abs(shirt[0] - 400) < 3         # centred under the chin
    assert 185 < shirt[1] < tie[1] < lower[1]
    assert not (r["tie"].mask & r["shirt"].mask).any()
    ys, xs = np.nonzero(r["blazer"].mask)
    assert np.abs(xs - 400).min() > 10                                # the fronts, not the centre
    for region in r.values():                                         # never off the person
        assert not (region.mask & (mask < 0.5)).any()
        assert not (region.mask & head_mask(np.array(face), (H, W))).any()


def test_lower_garment_by_face_geometry_and_portraits_cut_above_the_shoulders_use_the_face(
        ) -> None:
    mask = np.zeros((H, W), np.float32)
    face = (350.0, 60.0, 450.0, 180.0)
    _person(mask, 400, face)
    anchor = FaceAnchor(chin=(400.0, 185.0), width=50.0, roll=0.0)
    for hips in (True, False):                  # hips or not, the lower garment hangs the same
        pr = person_regions(mask, _pose(400, 230, 100, hips=hips), np.array(face), anchor)
        assert pr.regions["lower"].visible
        assert abs(_centroid(pr.regions["lower"].mask)[1] - (185 + 3.8 * 50)) < 10
    anchor = FaceAnchor(chin=(400.0, 185.0), width=100.0, roll=0.0)
    below = _pose(400, H + 40, 100)                      # shoulders under the frame's edge
    assert not pose_usable(below, (H, W))
    fallback = person_regions(mask, below, np.array(face), anchor)
    assert fallback.method == "face" and fallback.regions["shirt"].visible
    assert person_regions(mask, None, np.array(face), anchor).method == "face"


def test_two_people_each_get_their_own_regions() -> None:
    mask = np.zeros((H, W), np.float32)
    faces = [(150.0, 60.0, 250.0, 180.0), (550.0, 60.0, 650.0, 180.0)]
    for f in faces:
        _person(mask, (f[0] + f[2]) / 2, f)
    out = []
    for i, f in enumerate(faces):
        cx = (f[0] + f[2]) / 2
        anchor = FaceAnchor(chin=(cx, 185.0), width=100.0, roll=0.0)
        out.append(person_regions(mask, _pose(cx, 230, 100), np.array(f), anchor,
                                  others=[faces[1 - i]]))
    for item in ("shirt", "tie", "blazer"):
        a, b = out[0].regions[item].mask, out[1].regions[item].mask
        assert a.any() and b.any() and not (a & b).any()
        assert _centroid(a)[0] < 400 < _centroid(b)[0]


def test_a_person_the_mask_missed_is_read_by_face_geometry_uncut() -> None:
    face = (350.0, 60.0, 450.0, 180.0)
    anchor = FaceAnchor(chin=(400.0, 185.0), width=100.0, roll=0.0)
    pr = person_regions(np.zeros((H, W), np.float32), None, np.array(face), anchor)
    assert pr.method == "face-unmasked" and pr.regions["shirt"].visible


def test_black_corners_of_aligned_crops_are_padding_not_cloth() -> None:
    rgb = np.full((100, 100, 3), 120, np.uint8)
    rgb[80:, :20] = 0                                 # a rotated crop's black corner
    rgb[40:50, 40:50] = 2                             # a black button inside: not padding
    pad = padding_mask(rgb)
    assert pad[90, 5] and not pad[45, 45] and not pad[10, 50]
