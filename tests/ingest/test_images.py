"""Safe image reading: sniffing, orientation, HEIC, bombs, specific error reasons."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from workbench.errors import EvidenceError
from workbench.ingest.images import load_rgb, open_image, sniff


def _jpeg_with_orientation(orientation: int, size: tuple[int, int] = (40, 20)) -> bytes:
    # Left half red, right half blue: after rotation the colours tell us where "left" went.
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, exif=exif.tobytes())
    return out.getvalue()


def test_webp_named_jpg_is_read_as_webp(shared_data: Path) -> None:
    path = shared_data / "faces" / "labelled" / "deepface" / "img47.jpg"
    data = path.read_bytes()
    assert sniff(data[:32], path.name) == "WEBP"
    assert open_image(data, path.name).format == "WEBP"
    rgb = load_rgb(path)
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3


def test_orientation_is_applied_to_analysis_pixels(tmp_path: Path) -> None:
    path = tmp_path / "rotated.jpg"
    path.write_bytes(_jpeg_with_orientation(6))  # 6: rotate 90 degrees clockwise to view
    rgb = load_rgb(path)
    assert rgb.shape[:2] == (40, 20)  # stored 40x20 (w x h), viewed 20 wide, 40 high
    top, bottom = rgb[2, 10], rgb[-3, 10]
    assert top[0] > 200 and top[2] < 60       # the stored left (red) is now on top
    assert bottom[2] > 200 and bottom[0] < 60


def test_load_rgb_max_side_downscales(shared_data: Path) -> None:
    path = shared_data / "faces" / "labelled" / "deepface" / "img1.jpg"
    full = load_rgb(path)
    small = load_rgb(path, max_side=100)
    assert max(small.shape[:2]) == 100
    assert abs(small.shape[0] / small.shape[1] - full.shape[0] / full.shape[1]) < 0.02


def test_heic_is_decoded(shared_data: Path) -> None:
    path = shared_data / "exif" / "ianare_exif-samples" / "heic" / "IMG_5195.HEIC"
    rgb = load_rgb(path, max_side=256)
    assert rgb.shape[2] == 3 and max(rgb.shape[:2]) == 256 and rgb.std() > 5


def test_pixel_limit_refuses_bombs() -> None:
    image = Image.new("L", (3000, 3000))
    out = io.BytesIO()
    image.save(out, "PNG")
    with pytest.raises(EvidenceError) as caught:
        open_image(out.getvalue(), "big.png", max_pixels=1_000_000)
    assert caught.value.reason == "decompression_bomb"


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty_file"),
    (b"hello, this is not an image at all", "unsupported_format"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 10, "corrupt_header"),
])
def test_specific_reasons(data: bytes, reason: str) -> None:
    with pytest.raises(EvidenceError) as caught:
        open_image(data, "x")
    assert caught.value.reason == reason


def test_truncated_jpeg_detected_even_with_draft_decoding(shared_data: Path) -> None:
    data = (shared_data / "faces" / "labelled" / "deepface" / "img1.jpg").read_bytes()
    with pytest.raises(EvidenceError) as caught:
        open_image(data[: len(data) // 2], "cut.jpg", draft_side=64)
    assert caught.value.reason == "truncated"
