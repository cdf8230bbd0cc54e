"""The real person-mask and pose models (TFLite from the pack) on shared photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workbench.types import Faces

pytestmark = pytest.mark.slow

SUIT = "faces/labelled/deepface/img29.jpg"            # blue suit, white shirt, grey tie
TSHIRT = "faces/labelled/deepface/img57.jpg"          # grey T-shirt on a stage
PAIR = "faces/labelled/face_recognition/examples/knn_examples/test/obama_and_biden.jpg"


@pytest.fixture(scope="module")
def models():
    from workbench.uniforms.body import BodyModels

    return BodyModels()


def _faces(rgb: np.ndarray) -> np.ndarray:
    import dlib

    rects = dlib.get_frontal_face_detector()(rgb, 1)
    return np.array([[r.left(), r.top(), r.right(), r.bottom()] for r in rects], float)


def _load(shared_data: Path, rel: str) -> np.ndarray:
    from workbench.ingest.images import load_rgb

    return load_rgb(shared_data / rel, max_side=1000)


def test_mask_and_pose_find_the_person(models, shared_data: Path) -> None:
    rgb = _load(shared_data, SUIT)
    boxes = _faces(rgb)
    assert len(boxes) == 1
    reading = models.read(rgb, boxes)
    x1, y1, x2, y2 = boxes[0]
    assert reading.mask.shape == rgb.shape[:2]
    assert reading.mask[int(y1):int(y2), int(x1):int(x2)].mean() > 0.8     # the face is person
    assert reading.mask[:20, :20].mean() < 0.5                             # a corner is not
    pose = reading.poses[0]
    assert pose is not None and pose.score > 0.5
    shoulders = pose.points[[11, 12]]
    assert (shoulders[:, 1] > y2).all()                                     # below the chin
    assert abs(shoulders[:, 0].mean() - (x1 + x2) / 2) < (x2 - x1)


def test_the_body_reader_on_a_suit_and_a_tshirt(models, shared_data: Path) -> None:
    from workbench.uniforms.reader import read_image

    out = {}
    for name, rel in (("suit", SUIT), ("tshirt", TSHIRT)):
        rgb = _load(shared_data, rel)
        boxes = _faces(rgb)
        faces = Faces(evidence_id=["e"] * len(boxes), xyxy=boxes.astype(np.float32),
                      confidence=[0.9] * len(boxes))
        out[name] = read_image(rgb, faces, models)[0]
    suit, tshirt = out["suit"], out["tshirt"]
    assert suit.uniform["method"] == "pose" and suit.uniform["present"] is True
    assert suit.items["shirt"].colours[0] == "white" and suit.items["blazer"].present
    assert tshirt.uniform["present"] is False and not tshirt.items["blazer"].present


def test_two_people_get_two_poses(models, shared_data: Path) -> None:
    rgb = _load(shared_data, PAIR)
    boxes = _faces(rgb)
    assert len(boxes) >= 2
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    boxes = boxes[np.argsort(-area)[:2]]                  # the two people (HOG finds a third)
    reading = models.read(rgb, boxes)
    noses = [p.points[0] for p in reading.poses if p is not None]
    assert len(noses) == 2
    for nose, box in zip(noses, boxes, strict=True):     # each pose's head is its own face
        assert box[0] - 20 <= nose[0] <= box[2] + 20 and box[1] - 20 <= nose[1] <= box[3] + 20
