"""GeoJSON and KML exports: same layers as the map, lon/lat order, round trip."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from workbench.geo.export import (
    KML_NS,
    read_kml_points,
    to_geojson,
    write_geojson,
    write_kml,
)
from workbench.geo.layers import MapLayers, case_layers, places_frame
from workbench.geo.synthetic import synthetic_last_seen, synthetic_schools


def test_geojson_round_trip(geo_case, tmp_path):
    layers = case_layers(geo_case, schools=synthetic_schools(3),
                         last_seen=synthetic_last_seen(2), thumbnails=5)
    path = write_geojson(layers, tmp_path / "case.geojson")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    by_layer: dict[str, list] = {}
    for feature in data["features"]:
        by_layer.setdefault(feature["properties"]["layer"], []).append(feature)
        assert "thumb" not in feature["properties"]  # images never leave in an export
    assert {k: len(v) for k, v in by_layer.items()} == {
        k: v for k, v in layers.counts().items() if v}
    first = layers.evidence.iloc[0]
    feature = next(f for f in by_layer["evidence"] if f["properties"]["id"] == first["id"])
    lon, lat = feature["geometry"]["coordinates"]
    assert (round(lat, 6), round(lon, 6)) == (round(first.lat, 6), round(first.lon, 6))

    import geopandas as gpd

    frame = gpd.read_file(path)
    assert len(frame) == len(data["features"])
    assert abs(frame.geometry.y.mean() - sum(f["geometry"]["coordinates"][1]
                                             for f in data["features"]) / len(frame)) < 1e-6


def test_kml_parses_and_keeps_lon_lat_order(geo_case, tmp_path):
    layers = case_layers(geo_case, schools=synthetic_schools(3), thumbnails=0)
    path = write_kml(layers, tmp_path / "case.kml")
    root = ET.parse(path).getroot()
    assert root.tag == f"{{{KML_NS}}}kml"
    points = read_kml_points(path)
    counts = points.folder.value_counts().to_dict()
    assert counts["All geotagged items"] == len(layers.evidence)
    assert counts["Flagged items (hits)"] == len(layers.hits)
    assert counts["Candidate schools"] == 3
    # Synthetic points are in Britain: lat ~51-56, lon ~-4..0, so a swap would show.
    assert points.lat.between(50, 57).all() and points.lon.between(-5, 1).all()
    school = layers.schools.iloc[0]
    row = points[points.name == school["name"]].iloc[0]
    assert (round(row.lat, 6), round(row.lon, 6)) == (round(school.lat, 6), round(school.lon, 6))
    text = path.read_text(encoding="utf-8")
    assert "<TimeStamp>" in text and "not a verdict" in text


def test_exports_escape_hostile_names(tmp_path):
    layers = MapLayers(schools=places_frame([{
        "name": "<script>alert(1)</script> & Co", "lat": 10.5, "lon": 20.25, "score": 0.5,
        "explanation": "]]><x/>"}]))
    points = read_kml_points(write_kml(layers, tmp_path / "x.kml"))
    assert points.name[0] == "<script>alert(1)</script> & Co"
    assert (points.lat[0], points.lon[0]) == (10.5, 20.25)
    assert to_geojson(layers)["features"][0]["geometry"]["coordinates"] == [20.25, 10.5]
