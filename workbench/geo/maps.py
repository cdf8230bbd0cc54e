"""Folium maps of a case that render with no internet.

:func:`build_map` draws :class:`~workbench.geo.layers.MapLayers`: geotagged items in a
marker cluster, flagged items (hits) in their own cluster coloured by score, a heat map,
candidate schools and missing persons' last-seen places, each a layer in a layer control.
:func:`map_html` turns the map into one self-contained HTML document: every Leaflet and
plugin file inlined from the vendored copies, no CDN, no tile server unless configured.

Example:
    >>> from workbench.geo import maps
    >>> layers = maps.case_layers(case)                        # doctest: +SKIP
    >>> maps.save_map(maps.build_map(layers), "map.html")      # doctest: +SKIP
"""

from __future__ import annotations

import html as html_lib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from workbench.errors import WorkbenchError
from workbench.geo.basemap import TileSettings, add_basemap
from workbench.geo.layers import MapLayers, case_layers
from workbench.geo.leaflet import heat_layer_class, point_layer_class

__all__ = ["MapOptions", "OfflineMapError", "build_map", "case_layers", "external_urls",
           "map_html", "map_iframe", "save_map"]

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

# Leaflet's own prefix links to leafletjs.com; an air-gapped map should not invite a
# click that leaves the network, so it says "Leaflet" as plain text.
_MAP_STYLE = """<style>
div.leaflet-container { background: #cadbe6; font: 12px/1.4 system-ui, sans-serif; }
.wb-pop { max-width: 240px; word-break: break-all; }
.wb-pop img { display: block; margin: 4px 0; border-radius: 3px; }
.wb-pop code { font-size: 10px; }
.wb-warn { color: #7a5a00; font-size: 10px; }
</style>"""

class OfflineMapError(WorkbenchError):
    """A map would ask a host other than this machine or the configured tile server."""


@dataclass(frozen=True)
class MapOptions:
    """How a case map looks.

    Attributes:
        tiles: tile source; default from ``WORKBENCH_TILE_*`` (offline outline if unset).
        heat: add a heat map of geotagged items.
        cluster: cluster point markers (keep on for large cases).
        reveal: say the thumbnails are unblurred (set by :func:`case_layers(reveal=True)`).
        item_link: template for a link on each item's id, e.g. ``"#evidence/{id}"``;
            None shows the id without a link.
        height: CSS height of the map.
        lean: load only Leaflet and the plugins used here (no jQuery, Bootstrap, Font
            Awesome); set False before adding folium ``Marker``/``Popup`` objects.
    """

    tiles: TileSettings | None = None
    heat: bool = True
    cluster: bool = True
    reveal: bool = False
    item_link: str | None = None
    height: str = "100%"
    lean: bool = True


def _num(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else round(number, 3)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def evidence_rows(frame: pd.DataFrame, item_link: str | None = None) -> list[list[Any]]:
    """Compact popup rows for geotagged items: ``[lat, lon, title, score, time, id, detail,
    thumb, link, hits]``."""
    # Plain Python lists first: iterating pandas (Arrow-backed) columns row by row cost
    # a quarter of a second on 10,000 items.
    cols = {c: frame[c].tolist() for c in ("lat", "lon", "hits", "kind", "sources", "review",
                                           "score", "captured_at", "id", "thumb")}
    rows = []
    for i in range(len(frame)):
        hits = int(cols["hits"][i])
        title = f"{hits} hit{'s' if hits != 1 else ''}" if hits else _text(cols["kind"][i])
        review = _text(cols["review"][i])
        detail = "; ".join(x for x in (_text(cols["sources"][i]),
                                       f"review: {review}" if review else "") if x)
        item = cols["id"][i]
        rows.append([round(float(cols["lat"][i]), 6), round(float(cols["lon"][i]), 6), title,
                     _num(cols["score"][i]), _text(cols["captured_at"][i]), item, detail,
                     _text(cols["thumb"][i]), item_link.format(id=item) if item_link else "", hits])
    return rows


def place_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """Compact popup rows for schools and last-seen places."""
    return [[round(float(r.lat), 6), round(float(r.lon), 6), _text(r.name), _num(r.score),
             "", "", _text(r.explanation), "", "", 0] for r in frame.itertuples(index=False)]


def _bounds(layers: MapLayers) -> list[list[float]] | None:
    frames = [f[["lat", "lon"]] for f in (layers.evidence, layers.schools, layers.last_seen)
              if len(f)]
    if not frames:
        return None
    points = pd.concat(frames)
    south, north = float(points.lat.min()), float(points.lat.max())
    west, east = float(points.lon.min()), float(points.lon.max())
    pad = 0.01  # a single point still gets a sensible zoom level
    return [[south - pad, west - pad], [north + pad, east + pad]]


def build_map(layers: MapLayers, options: MapOptions | None = None) -> Any:
    """A folium map of ``layers``; see :func:`map_html` to render it offline.

    Layers (in the layer control): the basemap, "All geotagged items", "Flagged items
    (hits)", "Heat: geotagged items", "Candidate schools", "Missing persons: last seen".
    """
    import folium

    options = options or MapOptions()
    tiles = options.tiles or TileSettings.from_env()

    class _Map(folium.Map):
        if options.lean:
            default_js = [js for js in folium.Map.default_js if js[0] == "leaflet"]
            default_css = [css for css in folium.Map.default_css if css[0] == "leaflet_css"]

    fmap = _Map(location=[20, 0], zoom_start=2, tiles=None, height=options.height,
                control_scale=True)
    # Without a tile layer Leaflet has no zoom limit, which marker clustering requires.
    fmap.options["max_zoom"] = tiles.max_zoom
    fmap.get_root().header.add_child(folium.Element(_MAP_STYLE), name="wb_style")
    add_basemap(fmap, tiles)
    point_layer = point_layer_class()
    base_style = {"radius": 5, "reveal": options.reveal}
    # Clusters of two layers at the same place hide each other's numbers, so with hits the
    # map opens on the flagged items over a heat map of everything; all items are one
    # click away in the layer control.
    has_hits = len(layers.hits) > 0
    # One array of every geotagged item goes into the page; the flagged layer and the heat
    # map are taken from it in the browser rather than sent again.
    evidence = point_layer(
        evidence_rows(layers.evidence, options.item_link), "All geotagged items",
        {**base_style, "color": "#4a6fa5", "className": "wb-point wb-evidence",
         "clusterClass": "wb-cluster-evidence"},
        cluster=options.cluster, show=not has_hits,
    )
    fmap.add_child(evidence, name="wb_evidence")
    fmap.add_child(point_layer(
        [], "Flagged items (hits)",
        {**base_style, "radius": 7, "color": "#b2182b", "className": "wb-point wb-hit",
         "clusterClass": "wb-cluster-hit", "byScore": True, "pane": "wbTop"},
        cluster=options.cluster, source=evidence,
    ), name="wb_hits")
    if options.heat and len(layers.evidence):
        fmap.add_child(heat_layer_class()(
            None, name="Heat: geotagged items", show=has_hits, source=evidence,
            radius=14, blur=18, minOpacity=0.3,
        ), name="wb_heat")
    fmap.add_child(point_layer(
        place_rows(layers.schools), "Candidate schools",
        {**base_style, "radius": 8, "color": "#2166ac", "className": "wb-point wb-school",
         "pane": "wbTop"},
        cluster=False,
    ), name="wb_schools")
    fmap.add_child(point_layer(
        place_rows(layers.last_seen), "Missing persons: last seen",
        {**base_style, "radius": 8, "color": "#762a83", "className": "wb-point wb-lastseen",
         "pane": "wbTop"},
        cluster=False,
    ), name="wb_last_seen")
    folium.LayerControl(collapsed=False).add_to(fmap)
    bounds = _bounds(layers)
    if bounds:
        fmap.fit_bounds(bounds, max_zoom=14)
    fmap.add_child(_plain_prefix(), name="wb_prefix")
    return fmap


def _plain_prefix() -> Any:
    from branca.element import MacroElement
    from folium.template import Template

    element = MacroElement()
    element._template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.attributionControl.setPrefix('Leaflet');"
        "{% endmacro %}"
    )
    return element


# Resource references in the HTML outside inline script/style bodies, URLs loaded from
# inline CSS, and Leaflet tile URL templates inside scripts.
_INLINE_BODY = re.compile(r"(<(script|style)\b[^>]*>)(.*?)(</\2>)", re.S | re.I)
_ATTR_URL = re.compile(r"""\b(?:src|href|srcset|action|poster|data)\s*=\s*["']([^"']+)""", re.I)
_CSS_URL = re.compile(r"""url\(\s*["']?([^)"']+)""", re.I)
_TILE_URL = re.compile(
    r"""(?:L\.[\w.]+\(\s*|(?:iconUrl|iconRetinaUrl|shadowUrl|url)["']?\s*:\s*)["']"""
    r"""((?:https?:)?//[^"']+)"""
)


def external_urls(html: str, allowed_hosts: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Every URL the page would load from a host other than this machine or ``allowed_hosts``.

    Looks at element attributes (``src``, ``href``...), ``url(...)`` in stylesheets, and URLs
    that scripts hand to Leaflet (tile and image layers, icon URLs). Text inside vendored
    library code (XML namespaces, licence links) is not a request and is not reported.
    """
    found: list[str] = []
    styles = []
    scripts = []

    def strip(match: re.Match[str]) -> str:
        (styles if match.group(2).lower() == "style" else scripts).append(match.group(3))
        return match.group(1) + match.group(4)

    skeleton = _INLINE_BODY.sub(strip, html)
    candidates = _ATTR_URL.findall(skeleton) + _CSS_URL.findall(skeleton)
    for css in styles:
        candidates += _CSS_URL.findall(css)
    for script in scripts:
        candidates += _TILE_URL.findall(script)
    allowed = LOCAL_HOSTS | set(allowed_hosts)
    for url in candidates:
        url = html_lib.unescape(url.strip())
        if url.startswith("//"):
            url = "https:" + url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss", "ftp") and parts.hostname not in allowed:
            found.append(url)
    return found


def map_html(fmap: Any) -> str:
    """The map as one self-contained HTML document (all JS/CSS inlined, checked offline).

    Raises:
        WebAssetsMissing: the vendored assets are not installed (run the fetch script).
        OfflineMapError: something on the map would load from a non-local host other
            than the configured tile server.
    """
    from workbench.geo.assets import inline_assets

    html = inline_assets(fmap.get_root().render())
    tile_hosts = {host for host in (_tile_hosts(fmap)) if host}
    leaks = external_urls(html, allowed_hosts=tile_hosts)
    if leaks:
        raise OfflineMapError(
            f"the map would load {len(leaks)} resource(s) from the internet, e.g. {leaks[0]}; "
            "remove that element or vendor it in workbench.geo.assets"
        )
    return html


def _tile_hosts(fmap: Any) -> set[str]:
    from folium.raster_layers import TileLayer

    hosts = set()
    for child in fmap._children.values():
        if isinstance(child, TileLayer):
            hosts.add(urlsplit(child.tiles).hostname or "")
    return hosts


def map_iframe(fmap: Any, height: str = "520px") -> str:
    """The offline map wrapped in an ``<iframe srcdoc>``, for ipywidgets.HTML or Voila."""
    doc = html_lib.escape(map_html(fmap), quote=True)
    return (f'<iframe srcdoc="{doc}" style="width:100%;height:{height};border:0" '
            'title="case map"></iframe>')


def save_map(fmap: Any, path: str | Path) -> Path:
    """Write the offline map to a standalone HTML file (opens with no network)."""
    target = Path(path)
    target.write_text(map_html(fmap), encoding="utf-8")
    return target
