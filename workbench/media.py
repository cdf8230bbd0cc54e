"""Thumbnails, the one place evidence pixels become something shown: review, maps, reports.

Analysts look at distressing material all day, so every thumbnail is blurred (and, on
screens, greyscale) unless a person explicitly reveals it; each reveal is audited by the
caller (:func:`record_reveal`, ``review.ReviewSession``). Keeping the renderer and its
blur policy here, outside the review queue, lets maps and reports use it without
depending on review. Pillow only: no OpenCV, so widgets can use this without pulling a
model stack.

* :func:`thumbnail` - the renderer (blur, grey, face crop) every other function calls.
* :func:`thumbnail_png`, :func:`evidence_thumbnail`, :func:`img_tag`, :func:`data_uri`,
  :func:`record_reveal` - screens and reports (PNG, greyscale when blurred).
* :func:`map_thumbnail_bytes`, :func:`thumbnail_data_uri` - map popups (JPEG, colour kept
  when blurred); blurred ones are cached in ``derived/thumbs/``, revealed ones never
  written.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from workbench.errors import CaseError, WorkbenchError

# The renderer's default longest side (review sessions).
THUMB_SIZE = 256
# Blur radius as a fraction of the thumbnail side: strong enough that nothing explicit is
# legible at any size, light enough to see composition.
BLUR_FRACTION = 0.07


# Screens and reports (widgets, report pages).
SCREEN_SIZE = 160
# Map popups; blurred ones are cached in the case's derived/thumbs/ (never beside evidence).
MAP_SIZE = 128
MAP_CACHE_DIR = "thumbs"


class ThumbnailError(WorkbenchError):
    """An image could not be turned into a thumbnail."""


def thumbnail(
    image: str | os.PathLike[str] | bytes | Any, size: int = THUMB_SIZE, blur: bool = True,
    grey: bool = True, box: Sequence[float] | None = None, fmt: str = "JPEG",
    margin: float = 0.3,
) -> bytes:
    """Thumbnail bytes of an image, blurred and greyscale unless asked otherwise.

    The one thumbnail renderer of the workbench: review, maps and reports all call it, so
    the blur-by-default policy lives in one place.

    Args:
        image: a path (an ``archive.zip!/member`` path too), encoded bytes or a PIL image.
        size: longest side in pixels.
        blur: apply a Gaussian blur (radius ``BLUR_FRACTION`` x size).
        grey: convert to greyscale.
        box: optional ``(x1, y1, x2, y2)`` region of the upright image (e.g. a face) to crop.
        fmt: ``JPEG`` or ``PNG``.
        margin: context kept around ``box``, as a fraction of its longer side.

    Example:
        >>> from PIL import Image
        >>> data = thumbnail(Image.new("RGB", (640, 480), "red"))
        >>> data[:2] == b"\\xff\\xd8"
        True
    """
    from PIL import Image, ImageFilter

    from workbench.errors import EvidenceError
    from workbench.ingest.images import open_image, read_bytes, to_rgb

    try:
        if isinstance(image, (str, os.PathLike)):
            image = read_bytes(image)
        if isinstance(image, (bytes, bytearray)):
            # The ingest decoder: HEIC, bomb limits and the same reasons for failures.
            image = open_image(bytes(image)).image
        # Upright exactly as the analysis saw it, so face boxes crop the right region.
        picture = to_rgb(image)
    except (OSError, EvidenceError, Image.DecompressionBombError) as error:
        raise ThumbnailError(f"cannot read the image for a thumbnail: {error}") from error
    if box is not None:
        x1, y1, x2, y2 = (float(v) for v in box)
        pad = margin * max(x2 - x1, y2 - y1)
        picture = picture.crop((max(0, int(x1 - pad)), max(0, int(y1 - pad)),
                                min(picture.width, int(x2 + pad)),
                                min(picture.height, int(y2 + pad))))
    picture.thumbnail((size, size))
    if grey:
        picture = picture.convert("L")
    if blur:
        picture = picture.filter(ImageFilter.GaussianBlur(radius=max(2.0, BLUR_FRACTION * size)))
    out = io.BytesIO()
    picture.save(out, format=fmt)
    return out.getvalue()


# -- screens and reports ---------------------------------------------------------------


def thumbnail_png(
    path: str | Path,
    size: int = SCREEN_SIZE,
    blurred: bool = True,
    box: tuple[float, float, float, float] | None = None,
) -> bytes:
    """PNG bytes of a thumbnail of ``path`` (optionally of the ``box`` x1, y1, x2, y2 only).

    Args:
        path: the image file (an original, read only, a derived frame, or an
            ``archive.zip!/member`` path).
        size: longest side of the thumbnail in pixels.
        blurred: blur strongly and drop colour (the default); False only after a reveal.
        box: a crop in pixels of the orientation-corrected image, e.g. a face box.

    Raises:
        ThumbnailError: the file is missing or not an image Pillow can read.
    """
    return _thumbnail(str(path), int(size), bool(blurred), None if box is None else tuple(box))


@lru_cache(maxsize=512)
def _thumbnail(path: str, size: int, blurred: bool,
               box: tuple[float, ...] | None) -> bytes:
    try:
        # A little context around a face box makes the crop recognisable as a face.
        return thumbnail(path, size, blur=blurred, grey=blurred, box=box, fmt="PNG", margin=0.15)
    except ThumbnailError as error:
        raise ThumbnailError(
            f"{error} ({path}); check the file is still at its recorded path") from error


def data_uri(png: bytes) -> str:
    """A ``data:`` URI for PNG bytes, so reports carry images inline (offline)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def img_tag(png: bytes, sha256: str = "", blurred: bool = True, title: str = "",
            box: tuple[float, float, float, float] | None = None) -> str:
    """An ``<img>`` carrying the evidence marker the report manifest collects.

    ``data-wb-sha256`` names the evidence shown; ``data-wb-box`` the face crop, so a report
    exported with ``--reveal`` can re-render the same crop unblurred from the case.
    """
    from html import escape

    attrs = [f'src="{data_uri(png)}"', f'alt="{escape(title or "evidence thumbnail")}"']
    if sha256:
        attrs.append(f'data-wb-sha256="{sha256}"')
        attrs.append(f'data-wb-thumb="{"blurred" if blurred else "revealed"}"')
    if box is not None:
        attrs.append('data-wb-box="' + ",".join(f"{v:.1f}" for v in box) + '"')
    if title:
        attrs.append(f'title="{escape(title)}"')
    return f"<img {' '.join(attrs)} class=\"wb-thumb\"/>"


def evidence_thumbnail(case: object, sha256: str, blurred: bool = True,
                       box: tuple[float, float, float, float] | None = None,
                       size: int = SCREEN_SIZE) -> bytes:
    """The thumbnail of one item of a case (or of a face ``box`` in it).

    Args:
        case: an open :class:`~workbench.store.Case`.
        sha256: the evidence id.
        blurred: False only after an explicit reveal.
        box: optional face box in pixels.
        size: longest side in pixels.
    """
    return thumbnail_png(case.pixels_path(case.get_evidence(sha256)), size=size, blurred=blurred,
                         box=box)  # type: ignore[arg-type]


def record_reveal(case: object, sha256: str, context: str = "") -> None:
    """Write to the case's audit log that a person revealed an unblurred image.

    Reveals are counted and attributed because looking is itself something a unit must be
    able to account for (welfare and chain of custody).
    """
    case.audit("thumbnail.reveal", target=sha256, detail={"context": context})  # type: ignore[attr-defined]


# -- maps ------------------------------------------------------------------------------


def map_thumbnail(source: str, reveal: bool = False) -> bytes:
    """JPEG bytes of a ``MAP_SIZE`` thumbnail of ``source``, blurred unless ``reveal``.

    Colour is kept even when blurred: on a map, colours and the scene's layout help a person
    decide whether to open an item, while faces and bodies stay unrecognisable.
    """
    return thumbnail(source, MAP_SIZE, blur=not reveal, grey=False, fmt="JPEG")


def map_thumbnail_bytes(case: Any, evidence_id: str, reveal: bool = False) -> bytes | None:
    """Thumbnail of one item of a case, or None when its pixels cannot be read.

    Args:
        case: an open :class:`workbench.store.Case`.
        evidence_id: the item's SHA-256.
        reveal: True only when a person chose to see the unblurred image.
    """
    cached = case.derived_dir / MAP_CACHE_DIR / f"blur{MAP_SIZE}_{evidence_id}.jpg"
    if not reveal and cached.is_file():
        return cached.read_bytes()
    try:
        evidence = case.get_evidence(evidence_id)
        data = map_thumbnail(case.pixels_path(evidence), reveal=reveal)
    except (CaseError, ThumbnailError):
        # A missing or unreadable original must not stop the map from drawing.
        return None
    if not reveal:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_bytes(data)
        except OSError:
            pass  # a read-only case folder: serve it uncached
    return data


def thumbnail_data_uri(case: Any, evidence_id: str, reveal: bool = False) -> str | None:
    """The thumbnail as a ``data:image/jpeg`` URI for inline popups, or None."""
    data = map_thumbnail_bytes(case, evidence_id, reveal=reveal)
    if data is None:
        return None
    return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")
