"""``workbench map``: offline HTML, GeoJSON and KML written and audited."""

from __future__ import annotations

import json

import pytest

from workbench.cli import main
from workbench.geo import assets
from workbench.geo.export import read_kml_points
from workbench.geo.maps import external_urls


@pytest.mark.skipif(not (assets.VENDOR_DIR / assets.MANIFEST_NAME).is_file(),
                    reason="map assets not installed: run `python scripts/fetch_web_assets.py`")
def test_map_command_writes_three_files_and_audits(geo_case, tmp_path, capsys):
    out = tmp_path / "export"
    assert main(["map", str(geo_case.path), "--out", str(out), "--thumbnails", "3"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["map.geojson", "map.html", "map.kml"]
    assert external_urls((out / "map.html").read_text(encoding="utf-8")) == []
    geotagged = geo_case.summary()["geotagged"]
    features = json.loads((out / "map.geojson").read_text())["features"]
    assert sum(f["properties"]["layer"] == "evidence" for f in features) == geotagged
    assert (read_kml_points(out / "map.kml").folder == "All geotagged items").sum() == geotagged
    log = geo_case.audit_log()
    assert (log.action == "map.export").sum() == 1
    assert '"reveal": false' in log[log.action == "map.export"].detail.iloc[0]
    assert "map.kml" in capsys.readouterr().out
