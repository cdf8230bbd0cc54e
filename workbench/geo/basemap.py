"""Basemaps that work air-gapped: an agency tile server if configured, else a world outline.

The tile source comes from :class:`TileSettings` or from environment variables:

* ``WORKBENCH_TILE_URL``: a Leaflet URL template, e.g.
  ``http://tiles.agency.local/{z}/{x}/{y}.png`` (the agency's own server).
* ``WORKBENCH_TILE_ATTRIBUTION``: the attribution text the tile licence asks for.
* ``WORKBENCH_TILE_MAX_ZOOM``: the deepest zoom level the server has (default 18).

Without a URL the map gets no tile layer at all, only a coarse outline of the world's
countries (Natural Earth 1:110m, public domain) drawn from a file shipped in the package.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from workbench import settings
from workbench.errors import WorkbenchError

WORLD_OUTLINE = Path(__file__).resolve().parent / "data" / "world_110m.json"


class BasemapError(WorkbenchError):
    """The configured tile server template is not usable."""


@dataclass(frozen=True)
class TileSettings:
    """Where map tiles come from.

    Attributes:
        url: Leaflet tile URL template with ``{z}``, ``{x}``, ``{y}``; ``None`` for the
            offline outline only.
        attribution: text shown in the corner of the map (required by most tile licences).
        max_zoom: deepest zoom level the server serves.
    """

    url: str | None = None
    attribution: str = ""
    max_zoom: int = 18

    def __post_init__(self) -> None:
        if self.url is None:
            return
        missing = [k for k in ("{z}", "{x}", "{y}") if k not in self.url]
        if missing:
            raise BasemapError(
                f"tile URL template {self.url!r} lacks {', '.join(missing)}; give a Leaflet "
                "template such as http://tiles.agency.local/{z}/{x}/{y}.png"
            )

    @property
    def host(self) -> str | None:
        """Host name of the tile server (what an offline check allows), or None."""
        return urlsplit(self.url).hostname if self.url else None

    @classmethod
    def from_env(cls, environ: Any = None) -> TileSettings:
        """Settings from ``WORKBENCH_TILE_*`` variables (unset: offline outline only)."""
        url = (settings.read(settings.TILE_URL, environ) or "").strip() or None
        try:
            max_zoom = int(settings.read(settings.TILE_MAX_ZOOM, environ) or 18)
        except ValueError as error:
            raise BasemapError(f"{settings.TILE_MAX_ZOOM} must be an integer zoom level"
                               ) from error
        return cls(url=url, attribution=settings.read(settings.TILE_ATTRIBUTION, environ) or "",
                   max_zoom=max_zoom)


@lru_cache(maxsize=1)
def world_outline() -> dict[str, Any]:
    """The offline world outline as a GeoJSON FeatureCollection (about 160 kB)."""
    return json.loads(WORLD_OUTLINE.read_text(encoding="utf-8"))


def add_basemap(fmap: Any, tiles: TileSettings) -> None:
    """Put the basemap on a folium map: the tile server if set, always the outline under it.

    The outline stays even with tiles: it costs little and keeps the map readable when the
    tile server is unreachable from the analyst's machine.
    """
    import folium

    outline = folium.GeoJson(
        world_outline(),
        name="World outline (Natural Earth 1:110m)",
        style_function=lambda _feature: {
            "fillColor": "#e8e8e0", "color": "#9a9a90", "weight": 0.6, "fillOpacity": 1.0,
        },
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
        control=True,
        overlay=False,
        smooth_factor=1.5,
    )
    if tiles.url:
        folium.TileLayer(
            tiles=tiles.url, attr=tiles.attribution or "agency tile server",
            name="Agency tiles", max_zoom=tiles.max_zoom, overlay=False, control=True,
        ).add_to(fmap)
        outline.overlay = True
        outline.control = True
        outline.show = False
    outline.add_to(fmap)
