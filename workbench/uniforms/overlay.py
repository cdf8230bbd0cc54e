"""What the uniform reader looked at: the person mask and item regions over a thumbnail.

The photo goes through the workbench's one thumbnail renderer
(:func:`workbench.media.thumbnail`), blurred and greyscale like every thumbnail;
only the outlines are drawn on top, in colour, so an analyst sees *where* each item was
read (and whether the mask found the person) without the picture being shown clear.
Pillow only: widgets call this without loading a model.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from workbench.errors import WorkbenchError

# One outline colour per item; the person mask in a muted yellow.
ITEM_COLOURS: dict[str, tuple[int, int, int]] = {
    "shirt": (60, 200, 90), "tie": (230, 60, 60), "jumper": (200, 80, 220),
    "blazer": (40, 200, 230), "lower": (240, 200, 40)}
MASK_COLOUR = (250, 230, 120)


class OverlayUnavailable(WorkbenchError):
    """The stored reading has no regions to show (read by an older reader)."""


def has_regions(person: Mapping[str, Any]) -> bool:
    """True when a stored person (``load_attributes`` row) carries its item regions."""
    return any(isinstance((v or {}).get("detail"), dict) and v["detail"].get("region")
               for v in person.get("items", {}).values())


def draw_regions(png: bytes, person: Mapping[str, Any], scale: float) -> bytes:
    """Draw the mask outline and each item's regions (image pixels x ``scale``) on ``png``."""
    from PIL import Image, ImageDraw

    picture = Image.open(io.BytesIO(png)).convert("RGB")
    draw = ImageDraw.Draw(picture)
    items = person.get("items", {})
    outline: list[Any] = []
    for value in items.values():
        detail = (value or {}).get("detail") or {}
        if isinstance(detail, dict) and detail.get("person"):
            outline = detail["person"].get("body_outline") or []
            break
    for poly in outline:
        points = [(x * scale, y * scale) for x, y in poly]
        if len(points) >= 3:
            draw.polygon(points, outline=MASK_COLOUR)
    for item, value in items.items():
        detail = (value or {}).get("detail") or {}
        regions = detail.get("region") if isinstance(detail, dict) else None
        colour = ITEM_COLOURS.get(item, (255, 255, 255))
        # a present item is drawn bold, an absent one thin, one not in view not at all
        width = 3 if value.get("present") else 1
        if value.get("present") is None:
            continue
        for poly in regions or []:
            points = [(x * scale, y * scale) for x, y in poly]
            if len(points) >= 3:
                draw.polygon(points, outline=colour, width=width)
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def region_overlay(case: Any, person: Mapping[str, Any], size: int = 320) -> bytes:
    """PNG: the person's photo blurred and grey, with the mask and item regions drawn.

    Args:
        case: the open case holding the evidence.
        person: one face as :func:`workbench.uniforms.store.load_attributes` gives it
            (``evidence_id`` and ``items`` with their stored ``detail``).
        size: longest side of the thumbnail.

    Raises:
        OverlayUnavailable: the reading holds no regions (run ``workbench uniforms`` again).
        ThumbnailError: the image cannot be read.
    """
    from PIL import Image

    from workbench.ingest.images import open_image, read_bytes, to_rgb
    from workbench.media import thumbnail

    if not has_regions(person):
        raise OverlayUnavailable(
            "this reading has no stored regions; run `workbench uniforms CASE` again to "
            "read the uniforms with the body reader")
    path = case.pixels_path(case.get_evidence(person["evidence_id"]))
    data = read_bytes(path)
    # regions are in the upright, full-size pixels the reader saw (``load_rgb``)
    upright_width = to_rgb(open_image(data).image).size[0]
    png = thumbnail(data, size, blur=True, grey=True, fmt="PNG")
    scale = Image.open(io.BytesIO(png)).size[0] / float(upright_width)
    return draw_regions(png, person, scale)
