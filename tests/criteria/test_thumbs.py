"""Reviewer wellness: blurred greyscale thumbnails by default; reveals counted and audited."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from workbench.review import ReviewSession, ThumbnailError, thumbnail

from .helpers import add_image, mean_abs_gradient


@pytest.fixture()
def picture(tmp_path):
    """A sharp, colourful synthetic pattern (no real imagery needed)."""
    y, x = np.mgrid[0:480, 0:640]
    rgb = np.zeros((480, 640, 3), np.uint8)
    rgb[..., 0] = ((x // 16 + y // 16) % 2) * 255
    rgb[..., 1] = (x * 255 // 640).astype(np.uint8)
    rgb[..., 2] = 200
    path = tmp_path / "pattern.png"
    Image.fromarray(rgb).save(path)
    return path


def test_thumbnail_is_blurred_and_grey_by_default(picture):
    safe = Image.open(io.BytesIO(thumbnail(picture)))
    clear = Image.open(io.BytesIO(thumbnail(picture, blur=False, grey=False)))
    assert safe.mode == "L" and clear.mode == "RGB"
    assert max(safe.size) == 256 and safe.size == clear.size
    assert mean_abs_gradient(thumbnail(picture)) < 0.2 * mean_abs_gradient(
        thumbnail(picture, blur=False, grey=False))


def test_thumbnail_accepts_bytes_and_crops_a_box(picture):
    data = picture.read_bytes()
    crop = Image.open(io.BytesIO(thumbnail(data, box=(100, 100, 200, 200), fmt="PNG")))
    assert crop.size == (160, 160)   # 100 px box + 30% margin each side, below 256


def test_thumbnail_of_unreadable_bytes_says_so():
    with pytest.raises(ThumbnailError, match="cannot read the image"):
        thumbnail(b"not an image")


def test_reveal_is_explicit_counted_and_audited(new_case, picture):
    eid = add_image(new_case, "pattern", path=picture)
    session = ReviewSession(new_case, who="analyst-a")
    safe = session.thumbnail(eid)
    assert Image.open(io.BytesIO(safe)).mode == "L"
    assert session.revealed == 0
    assert not (new_case.audit_log()["action"] == "review.reveal").any()
    clear = session.reveal("item-1", eid)
    session.reveal("item-1", eid)
    session.reveal("item-2", eid)
    assert Image.open(io.BytesIO(clear)).mode == "RGB"
    assert session.revealed == 2                      # distinct items
    log = new_case.audit_log()
    reveals = log[log["action"] == "review.reveal"]
    assert list(reveals["target"]) == ["item-1", "item-1", "item-2"]
    assert set(reveals["who"]) == {"analyst-a"}
    detail = json.loads(reveals.iloc[-1]["detail"])
    assert detail == {"evidence_id": eid, "session": session.id, "session_revealed": 2}
