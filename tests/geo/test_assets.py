"""Vendored web assets: checked against the manifest, inlined without any URL left."""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest

from workbench.geo import assets

REPO = Path(__file__).resolve().parents[2]
installed = pytest.mark.skipif(
    not (assets.VENDOR_DIR / assets.MANIFEST_NAME).is_file(),
    reason="map assets not installed: run `python scripts/fetch_web_assets.py`")


def _fetch_script():
    spec = importlib.util.spec_from_file_location("fetch_web_assets",
                                                  REPO / "scripts" / "fetch_web_assets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_folium_default_asset_is_mapped():
    import folium
    from folium.plugins import HeatMap, MarkerCluster

    for _, url in [*folium.Map.default_js, *folium.Map.default_css, *MarkerCluster.default_js,
                   *MarkerCluster.default_css, *HeatMap.default_js]:
        assert assets.asset_for_url(url) is not None, url


def test_stylesheet_dependencies_keep_images_and_woff2_only():
    fetch = _fetch_script()
    css = ("a{background:url(images/layers.png)} @font-face{src:url(../webfonts/fa.woff2) "
           "format('woff2'),url(../webfonts/fa.ttf) format('truetype')} "
           "b{background:url(data:image/png;base64,AAAA)} c{background:url(https://x.org/y.png)}")
    assert fetch.css_dependencies(css, "dist/css/all.css") == [
        "dist/css/images/layers.png", "dist/webfonts/fa.woff2"]


@installed
def test_inlined_stylesheets_load_nothing_by_url():
    css = assets.inline_css("@fortawesome__fontawesome-free@6.2.0/css/all.min.css")
    urls = re.findall(r"url\(([^)]*)\)", css)
    assert urls and all(u.startswith("data:") for u in urls)
    assert "font/woff2;base64," in css
    leaflet = assets.inline_css("leaflet@1.9.3/dist/leaflet.css")
    assert "image/png;base64," in leaflet


@installed
def test_an_altered_file_is_refused(tmp_path):
    copy = tmp_path / "vendor"
    shutil.copytree(assets.VENDOR_DIR, copy)
    assert assets.verify_assets(copy) >= 40
    target = copy / "leaflet@1.9.3" / "dist" / "leaflet.js"
    target.write_bytes(target.read_bytes() + b"\n// tampered")
    with pytest.raises(assets.WebAssetsMissing, match="SHA-256"):
        assets.verify_assets(copy)


def test_missing_install_names_the_command(tmp_path):
    with pytest.raises(assets.WebAssetsMissing, match="fetch_web_assets.py"):
        assets.load_manifest(tmp_path)
