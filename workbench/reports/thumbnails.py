"""Thumbnails for screens and reports: blurred and greyscale unless a person reveals them.

Analysts look at distressing material all day; showing every thumbnail blurred by default
and in grey (revealed one at a time, on purpose) is a welfare measure, not a cosmetic one.
Pillow only: no OpenCV, so widgets can use this without pulling a model stack.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path

from workbench.review.thumbs import ThumbnailError

DEFAULT_SIZE = 160
__all__ = ["ThumbnailError", "data_uri", "evidence_thumbnail", "thumbnail_png"]


def thumbnail_png(
    path: str | Path,
    size: int = DEFAULT_SIZE,
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
    from workbench.review.thumbs import thumbnail

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
                       size: int = DEFAULT_SIZE) -> bytes:
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
