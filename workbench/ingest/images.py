"""Safe image reading: sniff the content, refuse bombs, decode fully, fix orientation.

Every file that cannot be read raises :class:`~workbench.errors.EvidenceError` with a
specific ``reason`` (the ingest quarantines it under that reason):

``empty_file``, ``unsupported_format``, ``corrupt_header``, ``invalid_dimensions``,
``decompression_bomb``, ``truncated``, ``corrupt_data``.

:func:`load_rgb` is what other domains call to get the pixels of an :class:`Evidence`
exactly as the analysis sees them (EXIF orientation applied, RGB, ``uint8``).
"""

from __future__ import annotations

import io
import os
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.errors import EvidenceError

if TYPE_CHECKING:
    from PIL import Image as PILImage

    from workbench.store import Case
    from workbench.types import Evidence

# 120 megapixels: above every consumer camera (a 108 MP phone is 12000x9000), far below
# what a hostile header can declare. Overridable per call.
DEFAULT_MAX_PIXELS = 120_000_000
# Longest side any decoded frame may have; catches 1 x 10^9 strips the pixel count misses.
MAX_SIDE = 65_535
# Frames of an animated file checked for hostile extents (a later frame may be a bomb).
MAX_FRAMES_CHECKED = 256

# content sniffing: (offset, magic) -> format name as Pillow spells it
_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xff\xd8\xff", "JPEG"),
    (0, b"\x89PNG\r\n\x1a\n", "PNG"),
    (0, b"GIF87a", "GIF"),
    (0, b"GIF89a", "GIF"),
    (0, b"BM", "BMP"),
    (0, b"II*\x00", "TIFF"),
    (0, b"MM\x00*", "TIFF"),
    (0, b"\x00\x00\x01\x00", "ICO"),
)
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif"}
_VIDEO_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"qt  ",
                 b"M4V ", b"M4VP", b"3gp4", b"3gp5", b"3g2a", b"dash", b"MSNV", b"f4v "}


def sniff(head: bytes, name: str = "") -> str | None:
    """The format a file's first bytes announce (``JPEG``, ``PNG``, ``HEIF``, ``VIDEO``...).

    The name is only a tie-breaker for formats without a magic number; a WebP named
    ``.jpg`` is WebP.
    """
    for offset, magic, fmt in _MAGIC:
        if head[offset:offset + len(magic)] == magic:
            return fmt
    if b"PNG" in head[:4] and b"IHDR" in head[8:20]:
        return "PNG_DAMAGED"  # signature mangled, chunk structure still there
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "VIDEO"
    if head[:4] == b"\x1a\x45\xdf\xa3":  # EBML: Matroska / WebM
        return "VIDEO"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            return "HEIF"
        return "VIDEO"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free"):  # old QuickTime without ftyp
        return "VIDEO"
    if len(head) >= 2 and head[0:1] == b"P" and head[1:2] in b"123456" and head[1:2] != b"":
        return "PPM"
    return None


def is_video_name(name: str) -> bool:
    return Path(name).suffix.lower() in {".mp4", ".mov", ".avi", ".mkv", ".m4v", ".webm", ".3gp"}


def _register_heif() -> None:
    # Registering is idempotent; done lazily so importing this module has no side effect.
    import pillow_heif

    pillow_heif.register_heif_opener()


def _declared_size(data: bytes, fmt: str | None) -> tuple[int, int] | None:
    """Width and height as the header declares them, for formats Pillow refuses to open."""
    try:
        if fmt == "PNG" and len(data) >= 24:
            return struct.unpack(">II", data[16:24])
        if fmt == "GIF" and len(data) >= 10:
            return struct.unpack("<HH", data[6:10])
        if fmt == "PPM":
            import re

            numbers = re.findall(rb"-?\d+", data[2:64])
            if len(numbers) >= 2:
                return int(numbers[0]), int(numbers[1])
    except (ValueError, struct.error):
        return None
    return None


@contextmanager
def _strict_warnings() -> Iterator[list[warnings.WarningMessage]]:
    """Collect warnings locally (never touching the global filters beyond this block)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


@dataclass
class DecodedImage:
    """A fully decoded image plus what was noticed while decoding it."""

    image: PILImage.Image   # decoded, orientation NOT yet applied
    format: str
    width: int              # as stored (before orientation)
    height: int
    frames: int
    warnings: list[str]


def open_image(data: bytes, name: str = "", max_pixels: int = DEFAULT_MAX_PIXELS,
               draft_side: int | None = None) -> DecodedImage:
    """Decode image bytes completely, or raise ``EvidenceError`` with a specific reason.

    Args:
        data: the file's bytes (already read; the original is never reopened for writing).
        name: file name, for messages and as a hint.
        max_pixels: refuse images declaring more pixels than this (decompression bombs).
        draft_side: if set, JPEGs may be decoded at a reduced scale no smaller than this
            (DCT scaling still reads every byte, so truncation is still detected).

    Returns:
        The decoded image with its format, stored size and decode warnings.
    """
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise EvidenceError("empty_file", f"{name or 'file'} has 0 bytes")
    fmt = sniff(data[:32], name)
    if fmt == "VIDEO":
        raise EvidenceError("unsupported_format", f"{name} is a video, not an image")
    if fmt == "HEIF":
        _register_heif()
    with _strict_warnings() as caught:
        try:
            image = Image.open(io.BytesIO(data))
            image.MAX_IMAGE_PIXELS = max_pixels  # type: ignore[attr-defined]
        except Image.DecompressionBombError as error:
            raise EvidenceError("decompression_bomb", str(error)) from None
        except UnidentifiedImageError:
            raise _unidentified(data, fmt, name) from None
        except ValueError as error:
            if "too large" in str(error) or "decompress" in str(error).lower():
                raise EvidenceError("decompression_bomb", str(error)) from None
            raise EvidenceError("corrupt_header", f"{type(error).__name__}: {error}") from None
        except (OSError, SyntaxError, struct.error, EOFError, IndexError, KeyError) as error:
            raise EvidenceError("corrupt_header", f"{type(error).__name__}: {error}") from None
        width, height = image.size
        _check_size(width, height, max_pixels, name)
        frames = _check_frames(image, max_pixels)
        if draft_side and image.format == "JPEG" and max(width, height) > 2 * draft_side:
            # DCT scaling: the longest side stays >= draft_side; every byte is still decoded.
            scale = draft_side / max(width, height)
            image.draft(image.mode if image.mode in ("L", "RGB") else "RGB",
                        (max(1, int(width * scale)), max(1, int(height * scale))))
        try:
            image.load()
        except Image.DecompressionBombError as error:
            raise EvidenceError("decompression_bomb", str(error)) from None
        except OSError as error:
            text = str(error)
            reason = "truncated" if "truncat" in text.lower() else "corrupt_data"
            raise EvidenceError(reason, text) from None
        except (SyntaxError, ValueError, struct.error, EOFError, IndexError,
                ZeroDivisionError) as error:
            raise EvidenceError("corrupt_data", f"{type(error).__name__}: {error}") from None
        if image.format == "PNG":
            _verify_png(data)
    return DecodedImage(image=image, format=image.format or fmt or "", width=width,
                        height=height, frames=frames,
                        warnings=[str(w.message).strip() for w in caught])


def _unidentified(data: bytes, fmt: str | None, name: str) -> EvidenceError:
    """Say why Pillow could not identify the file, as precisely as the header allows."""
    if fmt is None:
        return EvidenceError("unsupported_format",
                             f"{name}: content is not a recognised image or video format")
    size = _declared_size(data, fmt)
    if size is not None and (min(size) <= 0 or max(size) > 2**31 - 1):
        return EvidenceError("invalid_dimensions", f"{fmt} header declares {size[0]}x{size[1]}")
    if fmt == "PNG_DAMAGED":
        return EvidenceError("corrupt_header",
                             "PNG signature bytes are damaged (e.g. text-mode transfer)")
    return EvidenceError("corrupt_header", f"{fmt} signature found but the header is not valid")


def _check_size(width: int, height: int, max_pixels: int, name: str) -> None:
    if width <= 0 or height <= 0:
        raise EvidenceError("invalid_dimensions", f"{name}: declared size {width}x{height}")
    if width * height > max_pixels or max(width, height) > MAX_SIDE:
        raise EvidenceError(
            "decompression_bomb",
            f"{name}: declares {width}x{height} = {width * height} pixels "
            f"(limit {max_pixels}, longest side {MAX_SIDE})",
        )


def _check_frames(image: PILImage.Image, max_pixels: int) -> int:
    """Walk the frames of animated files: a later frame may declare hostile extents."""
    from PIL import Image

    if not getattr(image, "is_animated", False):
        return 1
    count = 1
    try:
        for index in range(1, MAX_FRAMES_CHECKED):
            try:
                image.seek(index)
            except EOFError:
                break
            _check_size(*image.size, max_pixels, "frame")
            count += 1
        image.seek(0)
    except Image.DecompressionBombError as error:
        raise EvidenceError("decompression_bomb", f"frame {count}: {error}") from None
    except (OSError, SyntaxError, ValueError, struct.error) as error:
        raise EvidenceError("corrupt_data", f"frame {count}: {type(error).__name__}: {error}"
                            ) from None
    return count


def _verify_png(data: bytes) -> None:
    """Check PNG chunk CRCs and that IEND is present (Pillow's load() skips both)."""
    import zlib

    pos, saw_iend = 8, False
    while pos + 8 <= len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        end = pos + 12 + length
        if end > len(data):
            raise EvidenceError("truncated", f"PNG chunk {ctype!r} runs past the end of file")
        crc = struct.unpack(">I", data[end - 4:end])[0]
        if zlib.crc32(data[pos + 4:end - 4]) & 0xFFFFFFFF != crc:
            raise EvidenceError("corrupt_data", f"PNG chunk {ctype!r} has a bad CRC")
        pos = end
        if ctype == b"IEND":
            saw_iend = True
            break
    if not saw_iend:
        raise EvidenceError("truncated", "PNG has no IEND chunk")


_TRANSPOSE = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE",
              6: "ROTATE_270", 7: "TRANSVERSE", 8: "ROTATE_90"}


def orient(image: PILImage.Image, orientation: int | None) -> PILImage.Image:
    """Apply an EXIF orientation value (1-8) to pixels so they show upright."""
    from PIL import Image

    method = _TRANSPOSE.get(orientation or 1)
    return image.transpose(getattr(Image.Transpose, method)) if method else image


def exif_orientation(image: PILImage.Image) -> int | None:
    """The EXIF orientation tag of a decoded image, or None if absent or invalid."""
    try:
        value = int(image.getexif().get(0x0112) or 0)
    except (ValueError, TypeError, KeyError, SyntaxError, OSError, struct.error):
        return None
    return value if 1 <= value <= 8 else None


def to_rgb(image: PILImage.Image, orientation: int | None | bool = True) -> PILImage.Image:
    """RGB copy of a decoded image, upright (alpha composited on white).

    Args:
        image: a decoded image.
        orientation: ``True`` reads the EXIF tag from ``image``; an int applies that
            value; ``False``/``None`` leaves the stored orientation.
    """
    from PIL import Image

    if orientation is True:
        orientation = exif_orientation(image)
    image = orient(image, orientation or None)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode.startswith("I;16"):
        array = np.asarray(image, dtype=np.uint16) >> 8
        return Image.fromarray(array.astype(np.uint8)).convert("RGB")
    return image.convert("RGB")


def reduce_to(image: PILImage.Image, side: int) -> PILImage.Image:
    """Fast box-filter reduction by an integer factor so the longest side is <= ``side``."""
    factor = -(-max(image.size) // side)
    if factor <= 1:
        return image
    if image.mode not in ("RGB", "RGBA", "L", "LA", "I", "F", "CMYK", "YCbCr"):
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    return image.reduce(factor)


def shrink(image: PILImage.Image, max_side: int | None) -> PILImage.Image:
    """Downscale (never upscale) so the longest side is at most ``max_side``."""
    from PIL import Image

    if not max_side or max(image.size) <= max_side:
        return image
    scale = max_side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """Read an original file (or a ``archive.zip!/member``) read-only into memory."""
    text = os.fspath(path)
    if "!/" in text:
        from workbench.ingest.sources import read_member

        archive, member = text.split("!/", 1)
        return read_member(archive, member)
    with open(text, "rb") as handle:
        return handle.read()


def load_rgb(path: str | os.PathLike[str] | Evidence, max_side: int | None = None,
             case: Case | None = None, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """The analysis-ready pixels of an image: RGB ``uint8`` ``(h, w, 3)``, orientation applied.

    Every domain that looks at pixels (faces, uniforms, explicit content) calls this, so
    box coordinates always refer to the same, upright image.

    Args:
        path: a file path, ``archive.zip!/member`` path, or an :class:`Evidence`; for a
            ``video_frame`` Evidence pass ``case`` so its PNG under ``derived/`` is found.
        max_side: downscale so the longest side is at most this (``None``: full size).
        case: the case an Evidence belongs to (needed for frames and to find the file).
        max_pixels: decompression-bomb limit.

    Returns:
        ``np.ndarray`` of shape ``(h, w, 3)``, dtype ``uint8``.

    Raises:
        EvidenceError: the file is unreadable (same reasons as at ingest).

    Example:
        >>> rgb = load_rgb("photo.jpg", max_side=1024)      # doctest: +SKIP
        >>> rgb.shape[2]                                     # doctest: +SKIP
        3
    """
    source: Any = path
    if not isinstance(path, (str, os.PathLike)):
        source = evidence_path(path, case)
    decoded = open_image(read_bytes(source), name=os.fspath(source), max_pixels=max_pixels)
    return np.asarray(shrink(to_rgb(decoded.image), max_side), dtype=np.uint8)


def evidence_path(evidence: Evidence, case: Case | None) -> str:
    """The file :func:`load_rgb` reads an Evidence's pixels from: a video frame's PNG under
    the case's ``derived/``, the case's recorded path, or any source path still readable.

    Raises:
        EvidenceError: ``no_case`` (a frame without its case) or ``missing_file``.
    """
    derived = evidence.metadata.get("derived_path")
    if derived:
        if case is None:
            raise EvidenceError("no_case", "a video_frame Evidence needs case= to find its PNG")
        return os.fspath(case.path / derived)
    if case is not None:
        from workbench.errors import CaseError

        try:
            return case.pixels_path(evidence)
        except CaseError as error:
            raise EvidenceError("missing_file", str(error)) from None
    for candidate in evidence.source_paths:
        archive = candidate.split("!/", 1)[0]
        if Path(archive).is_file():
            return candidate
    raise EvidenceError("missing_file",
                        f"none of {list(evidence.source_paths)} is readable any more")
