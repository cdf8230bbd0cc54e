"""The live frame for a screen: the workbench's blurred thumbnail with the face boxes on it.

The pixels go through :func:`workbench.media.thumbnail`, the one renderer and its
blur-by-default policy; only the boxes are drawn here (Pillow, no OpenCV), scaled from the
frame's pixels to the thumbnail's.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

BOX_COLOUR = (255, 170, 0)


def preview_png(jpeg: bytes, boxes: Sequence[Sequence[float]], width: int, blurred: bool = True,
                size: int = 480) -> bytes:
    """PNG of the frame ``jpeg`` (``width`` pixels wide) with ``boxes`` (x1, y1, x2, y2) drawn.

    Args:
        jpeg: the kept frame's bytes.
        boxes: face boxes in the frame's pixels.
        width: the frame's width in pixels (to scale the boxes).
        blurred: blurred and grey (the default); False only after an audited reveal.
        size: longest side of the preview.
    """
    from PIL import Image, ImageDraw

    from workbench.media import thumbnail

    picture = Image.open(io.BytesIO(thumbnail(jpeg, size, blur=blurred, grey=blurred,
                                              fmt="PNG"))).convert("RGB")
    scale = picture.width / max(1, width)
    draw = ImageDraw.Draw(picture)
    for x1, y1, x2, y2 in boxes:
        draw.rectangle([x1 * scale, y1 * scale, x2 * scale, y2 * scale], outline=BOX_COLOUR,
                       width=max(2, picture.width // 160))
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()
