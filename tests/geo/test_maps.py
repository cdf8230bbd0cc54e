"""Case maps: offline HTML, layer counts, blurred thumbnails, tile server setting."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
from PIL import Image

from workbench.geo import assets
from workbench.geo.basemap import BasemapError, TileSettings
from workbench.geo.maps import (
    MapOptions,
    OfflineMapError,
    build_map,
    case_layers,
    external_urls,
    map_html,
    map_iframe,
)
from workbench.geo.synthetic import synthetic_last_seen, synthetic_schools

pytestmark = pytest.mark.skipif(
    not (assets.VENDOR_DIR / assets.MANIFEST_NAME).is_file(),
    reason="map assets not installed: run `python scripts/fetch_web_assets.py` (make assets)",
)


def _layer_rows(fmap, title):
    layers = [c for c in fmap._children.values() if getattr(c, "layer_name", None) == title]
    assert len(layers) == 1, f"expected one layer {title!r}"
    return layers[0].rows


def test_vendored_assets_match_their_manifest():
    assert assets.verify_assets() >= 40


def test_map_html_is_offline_and_self_contained(geo_case):
    fmap = build_map(case_layers(geo_case, schools=synthetic_schools()))
    html = map_html(fmap)
    assert external_urls(html) == []
    # No script or stylesheet is loaded from anywhere: everything is inline.
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+stylesheet", html)
    assert "L.markerClusterGroup" in html and "L.map(" in html
    assert "tileLayer" not in html.split("</head>", 1)[1]  # offline default: no tiles


def test_full_folium_defaults_also_inline(geo_case):
    # lean=False keeps jQuery, Bootstrap and Font Awesome (for folium Marker/Popup/Icon).
    import folium

    fmap = build_map(case_layers(geo_case, thumbnails=0), MapOptions(lean=False))
    folium.Marker([51.5, -0.1], popup="x", icon=folium.Icon(icon="info-sign")).add_to(fmap)
    html = map_html(fmap)
    assert external_urls(html) == []
    assert "jQuery" in html and "font/woff2;base64" in html


def test_external_urls_finds_what_a_page_would_request():
    page = ('<html><head><script src="https://cdn.example.org/x.js"></script>'
            '<link rel="stylesheet" href="http://127.0.0.1:8866/a.css">'
            '<style>a{background:url(https://evil.example/b.png)}</style></head>'
            '<body><img src="//cdn.example.org/i.png">'
            '<script>var s = "http://www.w3.org/2000/svg";'
            'L.tileLayer("https://tile.osm.org/{z}/{x}/{y}.png")</script></body></html>')
    found = external_urls(page)
    assert "https://cdn.example.org/x.js" in found
    assert "https://evil.example/b.png" in found
    assert "https://cdn.example.org/i.png" in found
    assert "https://tile.osm.org/{z}/{x}/{y}.png" in found
    assert not any("127.0.0.1" in u or "w3.org" in u for u in found)


def test_unvendored_plugin_is_refused(geo_case):
    import folium
    from folium.plugins import Geocoder

    fmap = build_map(case_layers(geo_case, thumbnails=0))
    Geocoder().add_to(fmap)  # its control.geocoder assets are not vendored (needs network)
    with pytest.raises(assets.WebAssetsMissing, match="does not vendor"):
        map_html(fmap)
    assert isinstance(fmap, folium.Map)


def test_layers_have_the_case_counts(geo_case):
    counts = geo_case.synthetic_counts
    layers = case_layers(geo_case, schools=synthetic_schools(3), last_seen=synthetic_last_seen(2))
    geotagged = geo_case.summary()["geotagged"]
    flagged_geotagged = geo_case.query(
        "SELECT COUNT(DISTINCT h.evidence_id) n FROM hits h JOIN evidence e "
        "ON e.id = h.evidence_id WHERE e.lat IS NOT NULL").n[0]
    assert layers.counts() == {"evidence": geotagged, "hits": flagged_geotagged,
                               "schools": 3, "last_seen": 2}
    assert 0 < flagged_geotagged <= counts["flagged"]
    fmap = build_map(layers)
    assert len(_layer_rows(fmap, "All geotagged items")) == geotagged
    assert len(_layer_rows(fmap, "Flagged items (hits)")) == flagged_geotagged
    assert len(_layer_rows(fmap, "Candidate schools")) == 3
    assert len(_layer_rows(fmap, "Missing persons: last seen")) == 2
    names = [getattr(c, "layer_name", "") for c in fmap._children.values()]
    assert "Heat: geotagged items" in names
    assert any(type(c).__name__ == "LayerControl" for c in fmap._children.values())
    # Hits carry their best score; rows are ordered best first.
    hit_rows = _layer_rows(fmap, "Flagged items (hits)")
    scores = [row[3] for row in hit_rows]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)


def _decode(uri: str) -> np.ndarray:
    data = base64.b64decode(uri.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=float)


def _sharpness(gray: np.ndarray) -> float:
    return float(np.abs(np.diff(gray, axis=0)).mean() + np.abs(np.diff(gray, axis=1)).mean())


def test_thumbnails_are_blurred_by_default_and_revealed_only_on_request(geo_case):
    blurred = case_layers(geo_case, thumbnails=200)
    with_thumbs = blurred.evidence[blurred.evidence.thumb != ""]
    assert len(with_thumbs) >= 1  # the items with generated images
    revealed = case_layers(geo_case, thumbnails=200, reveal=True).evidence.set_index("id")
    for row in with_thumbs.itertuples():
        soft, sharp = _decode(row.thumb), _decode(revealed.at[row.id, "thumb"])
        assert soft.shape == sharp.shape
        assert _sharpness(soft) < 0.5 * _sharpness(sharp)
    # Only blurred thumbnails are cached in the case; never a sharp copy.
    cached = list((geo_case.derived_dir / "thumbs").iterdir())
    assert cached and all(p.name.startswith("blur") for p in cached)


def test_thumbnail_budget_limits_popups(geo_case):
    layers = case_layers(geo_case, thumbnails=3)
    assert (layers.evidence.thumb != "").sum() <= 3
    assert (case_layers(geo_case, thumbnails=0).evidence.thumb == "").all()


def test_tile_server_from_environment(geo_case, monkeypatch):
    monkeypatch.setenv("WORKBENCH_TILE_URL", "http://tiles.agency.local/{z}/{x}/{y}.png")
    monkeypatch.setenv("WORKBENCH_TILE_ATTRIBUTION", "Agency GIS")
    fmap = build_map(case_layers(geo_case, thumbnails=0))
    html = map_html(fmap)
    assert "http://tiles.agency.local/{z}/{x}/{y}.png" in html
    # The tile server is the only non-local host, and only when allowed is the map clean.
    assert set(external_urls(html)) == {"http://tiles.agency.local/{z}/{x}/{y}.png"}
    assert external_urls(html, {"tiles.agency.local"}) == []


def test_tile_settings_validate_and_default_offline():
    assert TileSettings.from_env({}).url is None
    settings = TileSettings.from_env({"WORKBENCH_TILE_URL": "https://gis.local/t/{z}/{x}/{y}"})
    assert settings.host == "gis.local"
    with pytest.raises(BasemapError, match="lacks"):
        TileSettings(url="https://gis.local/tiles.png")


def test_map_refuses_a_stray_internet_resource(geo_case):
    import folium

    fmap = build_map(case_layers(geo_case, thumbnails=0))
    folium.raster_layers.ImageOverlay("https://example.org/overlay.png",
                                      bounds=[[50, -1], [52, 1]]).add_to(fmap)
    with pytest.raises(OfflineMapError, match="example.org"):
        map_html(fmap)


def test_iframe_embeds_the_whole_document(geo_case):
    iframe = map_iframe(build_map(case_layers(geo_case, thumbnails=0)), height="300px")
    assert iframe.startswith("<iframe srcdoc=") and "height:300px" in iframe
    assert "<script>" not in iframe  # escaped inside srcdoc, so it survives HTML widgets


def test_empty_case_map_draws_the_world(new_case):
    layers = case_layers(new_case)
    assert layers.counts() == {"evidence": 0, "hits": 0, "schools": 0, "last_seen": 0}
    html = map_html(build_map(layers))
    assert "World outline" in html and external_urls(html) == []


def test_place_names_are_data_never_template_code(new_case):
    # branca re-parses rendered scripts as Jinja; names must not be executed or break out.
    hostile = "{{ 7 * 7 }}{% raw %}</script><script>alert(1)</script>"
    layers = case_layers(new_case, schools=[{"name": hostile, "lat": 51.5, "lon": -0.1,
                                             "score": 0.5, "explanation": "{# x #}"}])
    html = map_html(build_map(layers))
    assert "49" not in re.findall(r"_rows = (\[.*?\]);", html)[-2]
    assert "<script>alert(1)" not in html
    assert "\\u007b\\u007b 7 * 7 \\u007d\\u007d" in html
