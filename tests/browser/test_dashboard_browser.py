"""Voila dashboard in Debian's headless Chromium: drawn, correct numbers, offline, no errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from workbench.geo import assets

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None and not Path("/usr/bin/chromium").exists(),
                       reason="needs Debian's Chromium: apt-get install -y chromium"),
    pytest.mark.skipif(not (assets.VENDOR_DIR / assets.MANIFEST_NAME).is_file(),
                       reason="map assets not installed: run `python scripts/fetch_web_assets.py`"),
]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "browser"


@pytest.fixture(scope="module")
def served_case(tmp_path_factory):
    """A synthetic case of 400 items served by the real launcher on 127.0.0.1."""
    from workbench.apps.serve import start_dashboard
    from workbench.geo.synthetic import populate_synthetic_case
    from workbench.store import Case

    folder = tmp_path_factory.mktemp("dash") / "case"
    case = Case.init(folder, name="browser-test")
    counts = populate_synthetic_case(case, n_items=400, n_images=12, seed=11)
    counts["flagged_geotagged"] = case.query(
        "SELECT COUNT(DISTINCT h.evidence_id) AS n FROM hits h JOIN evidence e "
        "ON e.id = h.evidence_id WHERE e.lat IS NOT NULL").n[0]
    case.close()
    dashboard = start_dashboard(folder)
    yield dashboard, counts
    dashboard.stop()


def test_dashboard_draws_offline_with_the_case_numbers(served_case):
    from workbench.apps.probe import probe_dashboard

    dashboard, counts = served_case
    shot = ARTIFACTS / "case_overview.png"
    result = probe_dashboard(dashboard.url, expect_evidence=counts["geotagged"],
                             expect_hits=counts["flagged_geotagged"], screenshot=shot)
    assert result.external_requests == [], "the page asked a host other than this machine"
    assert result.js_errors == []
    # The map opens on every flagged item; switched on, it draws every geotagged item
    # (clusters count their members).
    assert result.hit_markers == counts["flagged_geotagged"] > 0
    assert result.evidence_markers == counts["geotagged"]
    counts_table = dict(line.split("\t") for line in result.tables["counts"].splitlines()[1:])
    assert int(counts_table["items"]) == counts["evidence"]
    assert int(counts_table["geotagged"]) == counts["geotagged"]
    assert int(counts_table["hits"]) == counts["hits"]
    assert int(counts_table["flagged items"]) == counts["flagged"]
    review_lines = result.tables["review-status"].splitlines()[1:]
    assert sum(int(line.split("\t")[1]) for line in review_lines) == counts["flagged"]
    assert "hits-by-criterion" in result.tables
    assert result.charts == 1  # the capture timeline
    assert not result.map_redrawn, "the map's frame was replaced after it had drawn"
    assert shot.is_file() and shot.stat().st_size > 10_000


def test_dashboard_refuses_requests_without_the_token(served_case):
    import urllib.request

    dashboard, _ = served_case
    assert dashboard.url.startswith("http://127.0.0.1:") and "?token=" in dashboard.url
    import urllib.error

    for path in ("", "voila/render/case_overview.ipynb", "api/kernels"):
        url = dashboard.url.split("?")[0] + path
        # Refused outright (tests/browser/test_dashboard_security.py checks every route).
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=60)  # noqa: S310 - local only
        body = refused.value.read().decode("utf-8", "replace")
        assert refused.value.code == 403, f"{url} served without the token"
        assert "browser-test" not in body and "data-testid" not in body


def test_preheated_dashboard_reads_the_case_when_visited(tmp_path_factory):
    """What `workbench dashboard` serves by default: a kernel waits with its imports done,
    and the numbers are those of the moment of the visit, not of the server's start."""
    from workbench.apps.probe import probe_dashboard
    from workbench.apps.serve import start_dashboard
    from workbench.geo.synthetic import populate_synthetic_case
    from workbench.store import Case

    folder = tmp_path_factory.mktemp("preheat") / "case"
    case = Case.init(folder, name="preheat-test")
    populate_synthetic_case(case, n_items=150, n_images=4, seed=3)
    case.close()
    dashboard = start_dashboard(folder, preheat=True, wait_ready=True, wait_s=180)
    try:
        assert dashboard.ready, "the pre-heated kernel never reached wait_for_visit()"
        with Case.open(folder) as case:  # the case changes after the kernel is ready
            populate_synthetic_case(case, n_items=7, n_images=0, seed=99)
            total = case.summary()["evidence"]
        result = probe_dashboard(dashboard.url, screenshot=ARTIFACTS / "preheated.png")
    finally:
        dashboard.stop()
    assert result.external_requests == [] and result.js_errors == []
    assert not result.map_redrawn and result.hit_markers > 0
    counts_table = dict(line.split("\t") for line in result.tables["counts"].splitlines()[1:])
    assert int(counts_table["items"]) == total == 157
