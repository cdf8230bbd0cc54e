"""A standalone exported map in headless Chromium: draws offline, no errors, at scale."""

from __future__ import annotations

import random
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pytest

from workbench.geo import assets

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(),
                       reason="needs Debian's Chromium: apt-get install -y chromium"),
    pytest.mark.skipif(not (assets.VENDOR_DIR / assets.MANIFEST_NAME).is_file(),
                       reason="map assets not installed: run `python scripts/fetch_web_assets.py`"),
]


def _layers(n: int):
    from workbench.geo.layers import POINT_COLUMNS, MapLayers, places_frame

    rnd = random.Random(2)
    rows = []
    for i in range(n):
        flagged = i % 7 == 0
        rows.append({"id": f"{i:064x}", "lat": 48 + rnd.random() * 6, "lon": 2 + rnd.random() * 8,
                     "captured_at": "2024-05-01T10:00:00+00:00", "kind": "image",
                     "hits": 1 if flagged else 0, "score": 0.9 if flagged else float("nan"),
                     "sources": "criterion: x" if flagged else "", "review": "", "thumb": ""})
    evidence = pd.DataFrame(rows, columns=list(POINT_COLUMNS))
    schools = places_frame([{"name": "S", "lat": 50.0, "lon": 5.0, "score": 0.4,
                             "explanation": "e"}])
    return MapLayers(evidence=evidence, schools=schools)


def test_exported_map_draws_every_point_offline(tmp_path):
    from playwright.sync_api import sync_playwright

    from workbench.apps.probe import _LAYER_COUNT_JS, CHROMIUM, CHROMIUM_ARGS
    from workbench.geo.maps import build_map, save_map

    n = 5000
    path = save_map(build_map(_layers(n)), tmp_path / "map.html")
    leaks, errors = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 700})

        def route(route_):
            url = route_.request.url
            if url.startswith(("file:", "data:", "blob:", "about:")) or \
                    urlsplit(url).hostname in ("127.0.0.1", "localhost"):
                route_.continue_()
            else:
                leaks.append(url)
                route_.abort()

        page.route("**/*", route)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(path.as_uri())
        n_hits = len(range(0, n, 7))
        page.wait_for_function(f"({_LAYER_COUNT_JS})(['wb-cluster-hit', 'wb-hit'])"
                               f" === {n_hits}", timeout=30_000)
        page.wait_for_timeout(800)  # fitBounds animation, late errors
        hits = page.evaluate(_LAYER_COUNT_JS, ["wb-cluster-hit", "wb-hit"])
        hidden = page.evaluate(_LAYER_COUNT_JS, ["wb-cluster-evidence", "wb-evidence"])
        page.locator(".leaflet-control-layers-overlays label",
                     has_text="All geotagged items").click()
        page.wait_for_function(f"({_LAYER_COUNT_JS})(['wb-cluster-evidence', 'wb-evidence'])"
                               f" === {n}", timeout=30_000)
        schools = page.locator("path.wb-school").count()
        # Open one school's popup: it is built lazily from the row, escaped.
        page.locator("path.wb-school").first.dispatch_event("click")
        popup = page.locator(".wb-pop").inner_text(timeout=5_000)
        browser.close()
    assert leaks == [] and errors == []
    assert hits == n_hits and hidden == 0  # opens on the flagged items only
    assert schools == 1 and "score 0.40" in popup and "not a verdict" in popup
