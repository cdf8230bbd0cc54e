"""Reviewer wellness: thumbnails blurred and greyscale by default, reveal counted and audited.

As in Thorn's Safer, a reviewer sees a softened thumbnail first and asks to see the real
one. Each reveal is an explicit call: it is counted for the session (so a supervisor can
see exposure) and written to the case's audit log.
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Sequence
from typing import Any

from workbench.errors import WorkbenchError
from workbench.store import Case, current_user

THUMB_SIZE = 256
# Strong enough that nothing explicit is legible at 256 px, light enough to see composition.
BLUR_FRACTION = 0.06


class ThumbnailError(WorkbenchError):
    """An image could not be turned into a thumbnail."""


def thumbnail(
    image: str | os.PathLike[str] | bytes | Any, size: int = THUMB_SIZE, blur: bool = True,
    grey: bool = True, box: Sequence[float] | None = None, fmt: str = "JPEG",
) -> bytes:
    """Thumbnail bytes of an image, blurred and greyscale unless asked otherwise.

    Args:
        image: a path, encoded bytes or a PIL image.
        size: longest side in pixels.
        blur: apply a Gaussian blur (radius ``BLUR_FRACTION`` x size).
        grey: convert to greyscale.
        box: optional ``(x1, y1, x2, y2)`` region (e.g. a face, with margin added) to crop.
        fmt: ``JPEG`` or ``PNG``.

    Example:
        >>> from PIL import Image
        >>> data = thumbnail(Image.new("RGB", (640, 480), "red"))
        >>> data[:2] == b"\\xff\\xd8"
        True
    """
    from PIL import Image, ImageFilter, ImageOps

    try:
        if isinstance(image, (bytes, bytearray)):
            picture = Image.open(io.BytesIO(image))
        elif isinstance(image, (str, os.PathLike)):
            picture = Image.open(image)
        else:
            picture = image
        picture = ImageOps.exif_transpose(picture).convert("RGB")
    except OSError as error:
        raise ThumbnailError(f"cannot read the image for a thumbnail: {error}") from error
    if box is not None:
        x1, y1, x2, y2 = (float(v) for v in box)
        margin = 0.3 * max(x2 - x1, y2 - y1)
        picture = picture.crop((max(0, int(x1 - margin)), max(0, int(y1 - margin)),
                                min(picture.width, int(x2 + margin)),
                                min(picture.height, int(y2 + margin))))
    picture.thumbnail((size, size))
    if grey:
        picture = picture.convert("L")
    if blur:
        picture = picture.filter(ImageFilter.GaussianBlur(radius=max(2.0, BLUR_FRACTION * size)))
    out = io.BytesIO()
    picture.save(out, format=fmt)
    return out.getvalue()


class ReviewSession:
    """One reviewer's sitting: safe thumbnails by default, reveals counted and audited.

    Example:
        >>> session = ReviewSession(case)                       # doctest: +SKIP
        >>> safe = session.thumbnail(item.evidence_id)           # doctest: +SKIP
        >>> real = session.reveal(item.item, item.evidence_id)   # doctest: +SKIP
        >>> session.revealed                                     # doctest: +SKIP
        1
    """

    def __init__(self, case: Case, who: str | None = None, size: int = THUMB_SIZE) -> None:
        self.case = case
        self.who = who or current_user()
        self.size = size
        self.id = uuid.uuid4().hex[:12]
        self.revealed_items: list[str] = []

    @property
    def revealed(self) -> int:
        """How many items were revealed in this session (each counted once)."""
        return len(dict.fromkeys(self.revealed_items))

    def thumbnail(self, evidence_id: str, box: Sequence[float] | None = None) -> bytes:
        """The blurred greyscale thumbnail of an evidence image (not counted)."""
        return thumbnail(self._path(evidence_id), self.size, blur=True, grey=True, box=box)

    def reveal(self, item: str, evidence_id: str, box: Sequence[float] | None = None) -> bytes:
        """The clear colour thumbnail; counted for the session and written to the audit log."""
        data = thumbnail(self._path(evidence_id), self.size, blur=False, grey=False, box=box)
        self.revealed_items.append(item)
        self.case.audit("review.reveal", target=item, who=self.who, detail={
            "evidence_id": evidence_id, "session": self.id, "session_revealed": self.revealed,
        })
        return data

    def _path(self, evidence_id: str) -> Any:
        return self.case.pixels_path(self.case.get_evidence(evidence_id))
