"""Offline web assets for folium maps: what to vendor, where it lives, how to inline it.

Folium writes ``<script src="https://cdn...">`` and ``<link href="https://cdn...">`` tags for
Leaflet and its plugins. Agencies run air-gapped, so the install step
(``scripts/fetch_web_assets.py``) fetches the same files from the npm registry into
``workbench/geo/static/vendor/`` with a manifest of SHA-256s, and at run time
:func:`inline_assets` replaces every such tag with the file's content. The result is one
self-contained HTML document that works in a standalone file, in JupyterLab and inside a
Voila page's sandboxed iframe, with no request leaving the machine.
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
import posixpath
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from workbench.errors import WorkbenchError

VENDOR_DIR = Path(__file__).resolve().parent / "static" / "vendor"
MANIFEST_NAME = "manifest.json"
FETCH_COMMAND = "python scripts/fetch_web_assets.py"


class WebAssetsMissing(WorkbenchError):
    """The vendored Leaflet/plugin files are absent, altered, or a map needs an unknown one."""


@dataclass(frozen=True)
class Asset:
    """One CDN file folium may reference, and where the npm registry has the same bytes.

    Attributes:
        urls: every CDN address folium or its plugins use for this file.
        npm: npm package spec (``name@version``), or ``folium`` for files folium's wheel
            ships itself, or ``generated`` for the few the fetch script writes.
        path: the file's path inside the npm package (without the ``package/`` prefix).
    """

    urls: tuple[str, ...]
    npm: str
    path: str

    @property
    def local(self) -> str:
        """Path under the vendor folder: ``<package>@<version>/<path>``."""
        return f"{self.npm.replace('/', '__')}/{self.path}"


def _a(npm: str, path: str, *urls: str) -> Asset:
    return Asset(urls=tuple(urls), npm=npm, path=path)


# The CDN addresses below are only ever *matched*: folium's templates name them, and a
# rendered map has each one replaced by the vendored file's content. Nothing here fetches
# them; a map that still names an unvendored address is refused (see maps.external_urls).
_JSD = "https://cdn.jsdelivr.net/npm"
_CDNJS = "https://cdnjs.cloudflare.com/ajax/libs"
_FOLIUM_GH = "https://cdn.jsdelivr.net/gh/python-visualization/folium"

# Pinned to the versions folium 0.20 names in its templates, so the bytes match the CDN's.
ASSETS: tuple[Asset, ...] = (
    # folium.Map defaults
    _a("leaflet@1.9.3", "dist/leaflet.js", f"{_JSD}/leaflet@1.9.3/dist/leaflet.js"),
    _a("leaflet@1.9.3", "dist/leaflet.css", f"{_JSD}/leaflet@1.9.3/dist/leaflet.css"),
    _a("jquery@3.7.1", "dist/jquery.min.js", "https://code.jquery.com/jquery-3.7.1.min.js",
       f"{_CDNJS}/jquery/3.7.1/jquery.min.js"),
    _a("bootstrap@5.2.2", "dist/js/bootstrap.bundle.min.js",
       f"{_JSD}/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js"),
    _a("bootstrap@5.2.2", "dist/css/bootstrap.min.css",
       f"{_JSD}/bootstrap@5.2.2/dist/css/bootstrap.min.css"),
    _a("generated", "bootstrap-glyphicons.css",
       "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css"),
    _a("drmonty-leaflet-awesome-markers@2.0.2", "js/leaflet.awesome-markers.js",
       f"{_CDNJS}/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js"),
    _a("drmonty-leaflet-awesome-markers@2.0.2", "css/leaflet.awesome-markers.css",
       f"{_CDNJS}/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css"),
    _a("@fortawesome/fontawesome-free@6.2.0", "css/all.min.css",
       f"{_JSD}/@fortawesome/fontawesome-free@6.2.0/css/all.min.css"),
    _a("generated", "leaflet.awesome.rotate.min.css",
       f"{_FOLIUM_GH}/folium/templates/leaflet.awesome.rotate.min.css"),
    # plugins the workbench uses
    _a("leaflet.markercluster@1.1.0", "dist/leaflet.markercluster.js",
       f"{_CDNJS}/leaflet.markercluster/1.1.0/leaflet.markercluster.js"),
    _a("leaflet.markercluster@1.1.0", "dist/MarkerCluster.css",
       f"{_CDNJS}/leaflet.markercluster/1.1.0/MarkerCluster.css"),
    _a("leaflet.markercluster@1.1.0", "dist/MarkerCluster.Default.css",
       f"{_CDNJS}/leaflet.markercluster/1.1.0/MarkerCluster.Default.css"),
    _a("folium", "templates/leaflet_heat.min.js",
       f"{_FOLIUM_GH}@main/folium/templates/leaflet_heat.min.js"),
    _a("leaflet.heat@0.2.0", "dist/leaflet-heat.js",
       "https://leaflet.github.io/Leaflet.heat/dist/leaflet-heat.js"),
    # other folium plugins an analyst may add in a notebook
    _a("folium", "templates/pa7_hm.min.js", f"{_FOLIUM_GH}/folium/templates/pa7_hm.min.js"),
    _a("folium", "templates/pa7_leaflet_hm.min.js",
       f"{_FOLIUM_GH}/folium/templates/pa7_leaflet_hm.min.js"),
    _a("leaflet.fullscreen@3.0.0", "Control.FullScreen.js",
       f"{_JSD}/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js"),
    _a("leaflet.fullscreen@3.0.0", "Control.FullScreen.css",
       f"{_JSD}/leaflet.fullscreen@3.0.0/Control.FullScreen.css"),
    _a("leaflet-minimap@3.6.1", "dist/Control.MiniMap.min.js",
       f"{_CDNJS}/leaflet-minimap/3.6.1/Control.MiniMap.js"),
    _a("leaflet-minimap@3.6.1", "dist/Control.MiniMap.min.css",
       f"{_CDNJS}/leaflet-minimap/3.6.1/Control.MiniMap.css"),
    _a("leaflet-measure@2.1.7", "dist/leaflet-measure.min.js",
       "https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.js"),
    _a("leaflet-measure@2.1.7", "dist/leaflet-measure.css",
       "https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.css"),
    _a("leaflet-draw@1.0.2", "dist/leaflet.draw.js",
       f"{_CDNJS}/leaflet.draw/1.0.2/leaflet.draw.js"),
    _a("leaflet-draw@1.0.2", "dist/leaflet.draw.css",
       f"{_CDNJS}/leaflet.draw/1.0.2/leaflet.draw.css"),
    _a("leaflet.locatecontrol@0.66.2", "dist/L.Control.Locate.min.js",
       f"{_CDNJS}/leaflet-locatecontrol/0.66.2/L.Control.Locate.min.js"),
    _a("leaflet.locatecontrol@0.66.2", "dist/L.Control.Locate.min.css",
       f"{_CDNJS}/leaflet-locatecontrol/0.66.2/L.Control.Locate.min.css"),
    _a("leaflet-search@2.9.7", "dist/leaflet-search.min.js",
       f"{_JSD}/leaflet-search@2.9.7/dist/leaflet-search.min.js"),
    _a("leaflet-search@2.9.7", "dist/leaflet-search.min.css",
       f"{_JSD}/leaflet-search@2.9.7/dist/leaflet-search.min.css"),
    _a("leaflet.control.layers.tree@1.1.0", "L.Control.Layers.Tree.js",
       f"{_JSD}/leaflet.control.layers.tree@1.1.0/L.Control.Layers.Tree.min.js"),
    _a("leaflet.control.layers.tree@1.1.0", "L.Control.Layers.Tree.css",
       f"{_JSD}/leaflet.control.layers.tree@1.1.0/L.Control.Layers.Tree.min.css"),
    _a("leaflet-groupedlayercontrol@0.6.1", "dist/leaflet.groupedlayercontrol.min.js",
       f"{_CDNJS}/leaflet-groupedlayercontrol/0.6.1/leaflet.groupedlayercontrol.min.js"),
    _a("leaflet-groupedlayercontrol@0.6.1", "dist/leaflet.groupedlayercontrol.min.css",
       f"{_CDNJS}/leaflet-groupedlayercontrol/0.6.1/leaflet.groupedlayercontrol.min.css"),
    _a("leaflet.featuregroup.subgroup@1.0.2", "dist/leaflet.featuregroup.subgroup.js",
       "https://unpkg.com/leaflet.featuregroup.subgroup@1.0.2/dist/"
       "leaflet.featuregroup.subgroup.js"),
    _a("leaflet-ant-path@1.1.2", "dist/leaflet-ant-path.js",
       f"{_JSD}/leaflet-ant-path@1.1.2/dist/leaflet-ant-path.min.js"),
    _a("leaflet-textpath@1.2.3", "leaflet.textpath.js",
       f"{_JSD}/leaflet-textpath@1.2.3/leaflet.textpath.min.js"),
    _a("leaflet-polylineoffset@1.1.1", "leaflet.polylineoffset.js",
       f"{_JSD}/leaflet-polylineoffset@1.1.1/leaflet.polylineoffset.min.js"),
    _a("leaflet-semicircle@2.0.4", "Semicircle.js",
       f"{_JSD}/leaflet-semicircle@2.0.4/Semicircle.min.js"),
    _a("polyline-encoded@0.0.9", "Polyline.encoded.js",
       f"{_JSD}/polyline-encoded@0.0.9/Polyline.encoded.js"),
    _a("leaflet-dvf@0.3.0", "dist/leaflet-dvf.markers.min.js",
       f"{_CDNJS}/leaflet-dvf/0.3.0/leaflet-dvf.markers.min.js"),
    _a("moment@2.18.1", "min/moment.min.js", f"{_CDNJS}/moment.js/2.18.1/moment.min.js"),
    _a("iso8601-js-period@0.2.1", "iso8601.js", f"{_JSD}/iso8601-js-period@0.2.1/iso8601.min.js"),
    _a("leaflet-timedimension@1.1.1", "dist/leaflet.timedimension.min.js",
       f"{_JSD}/leaflet-timedimension@1.1.1/dist/leaflet.timedimension.min.js"),
    _a("leaflet-timedimension@1.1.1", "dist/leaflet.timedimension.control.css",
       f"{_JSD}/leaflet-timedimension@1.1.1/dist/leaflet.timedimension.control.css"),
    _a("leaflet.timeline@1.6.0", "dist/leaflet.timeline.js",
       f"{_JSD}/leaflet.timeline@1.6.0/dist/leaflet.timeline.min.js"),
    _a("leaflet-side-by-side@2.0.0", "index.js",
       "https://cdn.jsdelivr.net/gh/digidem/leaflet-side-by-side@2.0.0/"
       "leaflet-side-by-side.min.js"),
    _a("leaflet.sync@0.2.4", "L.Map.Sync.js",
       "https://cdn.jsdelivr.net/gh/jieter/Leaflet.Sync/L.Map.Sync.min.js"),
)

# Font formats worth shipping: every browser the workbench supports reads WOFF2, and the
# TTF/EOT/SVG fallbacks would triple the size of each inlined map.
FONT_SUFFIXES = (".woff2",)
_CSS_URL = re.compile(r"url\(\s*(['\"]?)([^)'\"]+)\1\s*\)")
_SCRIPT_TAG = re.compile(r"<script\s+src=\"(https?://[^\"]+)\"[^>]*>\s*</script>", re.I)
_LINK_TAG = re.compile(r"<link\s+[^>]*href=\"(https?://[^\"]+)\"[^>]*/?>", re.I)


def asset_for_url(url: str) -> Asset | None:
    """The vendored asset standing for a CDN ``url``, or None if the workbench has none."""
    return _by_url().get(url)


@lru_cache(maxsize=1)
def _by_url() -> dict[str, Asset]:
    return {url: asset for asset in ASSETS for url in asset.urls}


def load_manifest(vendor_dir: Path = VENDOR_DIR) -> dict[str, dict[str, object]]:
    """The manifest written by the fetch script: local path -> sha256, size, source."""
    path = vendor_dir / MANIFEST_NAME
    if not path.is_file():
        raise WebAssetsMissing(
            f"the offline map assets are not installed ({path} is missing). Run "
            f"`{FETCH_COMMAND}` (or `make assets`) once, with access to the npm registry."
        )
    return _parse_manifest(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _parse_manifest(path: Path, mtime_ns: int) -> dict[str, dict[str, object]]:
    # Keyed by mtime so that a re-run of the fetch script is seen without a restart.
    return json.loads(path.read_text(encoding="utf-8"))["files"]


def verify_assets(vendor_dir: Path = VENDOR_DIR) -> int:
    """Check every vendored file against its recorded SHA-256; return how many were checked."""
    files = load_manifest(vendor_dir)
    for local, entry in files.items():
        path = vendor_dir / local
        if not path.is_file():
            raise WebAssetsMissing(f"{path} is missing; run `{FETCH_COMMAND}` to restore it")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != entry["sha256"]:
            raise WebAssetsMissing(
                f"{path} does not match its recorded SHA-256; run `{FETCH_COMMAND}` to restore it"
            )
    return len(files)


@lru_cache(maxsize=64)
def _read_verified(local: str, vendor_dir: Path = VENDOR_DIR) -> bytes:
    files = load_manifest(vendor_dir)
    entry = files.get(local)
    path = vendor_dir / local
    if entry is None or not path.is_file():
        raise WebAssetsMissing(f"{local} is not installed; run `{FETCH_COMMAND}`")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise WebAssetsMissing(f"{path} was altered since install; run `{FETCH_COMMAND}`")
    return data


def _data_uri(local: str) -> str:
    mime = mimetypes.guess_type(local)[0] or "application/octet-stream"
    if local.endswith(".woff2"):
        mime = "font/woff2"
    return f"data:{mime};base64,{base64.b64encode(_read_verified(local)).decode('ascii')}"


@lru_cache(maxsize=64)
def inline_css(local: str) -> str:
    """A vendored stylesheet with every ``url(...)`` it needs turned into a data URI.

    References to files that were not vendored (font fallbacks, remote URLs) become an
    empty ``data:`` URI, so the browser never asks the network for them.
    """
    text = _read_verified(local).decode("utf-8")
    base = posixpath.dirname(local)

    def replace(match: re.Match[str]) -> str:
        target = match.group(2).strip()
        if target.startswith("data:"):
            return match.group(0)
        if target.startswith(("http:", "https:", "//")):
            return "url(data:,)"
        resolved = posixpath.normpath(posixpath.join(base, target.split("?")[0].split("#")[0]))
        try:
            return f"url({_data_uri(resolved)})"
        except WebAssetsMissing:
            return "url(data:,)"

    return _CSS_URL.sub(replace, text)


@lru_cache(maxsize=64)
def inline_js(local: str) -> str:
    """A vendored script, made safe to sit inside an inline ``<script>`` element."""
    return _read_verified(local).decode("utf-8").replace("</script", "<\\/script")


def _local_for(url: str) -> str:
    asset = asset_for_url(url)
    if asset is None:
        raise WebAssetsMissing(
            f"the map references {url}, which the workbench does not vendor; add it to "
            f"workbench.geo.assets.ASSETS and run `{FETCH_COMMAND}`, or drop that plugin"
        )
    return asset.local


def inline_assets(html: str) -> str:
    """Replace every CDN ``<script src>`` and stylesheet ``<link>`` with the vendored file.

    Raises:
        WebAssetsMissing: if the assets are not installed or the HTML names a CDN file
            the workbench does not vendor (never silently left pointing at the internet).
    """

    def script(match: re.Match[str]) -> str:
        return f"<script>{inline_js(_local_for(match.group(1)))}</script>"

    def link(match: re.Match[str]) -> str:
        return f"<style>{inline_css(_local_for(match.group(1)))}</style>"

    return _LINK_TAG.sub(link, _SCRIPT_TAG.sub(script, html))
