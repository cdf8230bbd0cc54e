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
# Blur radius as a fraction of the thumbnail side: strong enough that nothing explicit is
# legible at any size, light enough to see composition.
BLUR_FRACTION = 0.07


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
