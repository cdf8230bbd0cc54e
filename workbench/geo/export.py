"""Export the layers of a case map as GeoJSON and KML (investigators open KML in Google Earth).

Both formats carry the same layers as the map: all geotagged items, flagged items,
candidate schools and missing persons' last-seen places. Coordinates are written in
longitude, latitude order, as both formats require. Thumbnails are never exported: an
export leaves the workbench, and images travel only through a reviewed report.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.geo.layers import MapLayers

KML_NS = "http://www.opengis.net/kml/2.2"
LAYER_TITLES = {
    "evidence": "All geotagged items",
    "hits": "Flagged items (hits)",
    "schools": "Candidate schools",
    "last_seen": "Missing persons: last seen",
}


def _clean(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def _features(layers: MapLayers) -> list[tuple[str, dict[str, Any]]]:
    """(layer key, properties with lat/lon) for every point of every layer."""
    out: list[tuple[str, dict[str, Any]]] = []
    point_fields = ("id", "captured_at", "kind", "hits", "score", "sources", "review")
    for key, frame in (("evidence", layers.evidence), ("hits", layers.hits)):
        for rec in frame.to_dict(orient="records"):
            props = {f: _clean(rec.get(f)) for f in point_fields}
            props["name"] = (rec["id"] or "")[:12]
            out.append((key, {"lat": float(rec["lat"]), "lon": float(rec["lon"]), **props}))
    for key, frame in (("schools", layers.schools), ("last_seen", layers.last_seen)):
        for rec in frame.to_dict(orient="records"):
            props = {k: _clean(v) for k, v in rec.items() if k not in ("lat", "lon", "thumb")}
            out.append((key, {"lat": float(rec["lat"]), "lon": float(rec["lon"]), **props}))
    return out


def to_geojson(layers: MapLayers) -> dict[str, Any]:
    """A GeoJSON FeatureCollection; each feature's ``layer`` property names its layer."""
    features = []
    for key, props in _features(layers):
        lat, lon = props.pop("lat"), props.pop("lon")
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]},
            "properties": {"layer": key, "layer_title": LAYER_TITLES[key], **props},
        })
    return {"type": "FeatureCollection", "name": layers.title, "features": features}


def write_geojson(layers: MapLayers, path: str | Path) -> Path:
    """Write :func:`to_geojson` to ``path`` (UTF-8)."""
    target = Path(path)
    target.write_text(json.dumps(to_geojson(layers), ensure_ascii=False, default=str),
                      encoding="utf-8")
    return target


def _describe(props: dict[str, Any]) -> str:
    lines = []
    if props.get("score") is not None:
        lines.append(f"score {props['score']:.2f} (a lead for a trained person, not a verdict)")
    for field in ("captured_at", "sources", "review", "explanation", "id"):
        if props.get(field):
            lines.append(f"{field}: {props[field]}")
    return "\n".join(lines)


def to_kml(layers: MapLayers) -> str:
    """A KML 2.2 document with one folder per layer and one placemark per point."""
    ET.register_namespace("", KML_NS)
    q = lambda tag: f"{{{KML_NS}}}{tag}"  # noqa: E731
    root = ET.Element(q("kml"))
    document = ET.SubElement(root, q("Document"))
    ET.SubElement(document, q("name")).text = layers.title
    folders: dict[str, ET.Element] = {}
    for key, title in LAYER_TITLES.items():
        folder = ET.SubElement(document, q("Folder"))
        ET.SubElement(folder, q("name")).text = title
        folders[key] = folder
    for key, props in _features(layers):
        mark = ET.SubElement(folders[key], q("Placemark"))
        ET.SubElement(mark, q("name")).text = str(props.get("name") or "")
        ET.SubElement(mark, q("description")).text = _describe(props)
        when = props.get("captured_at")
        if when:
            stamp = ET.SubElement(mark, q("TimeStamp"))
            ET.SubElement(stamp, q("when")).text = str(when)
        extended = ET.SubElement(mark, q("ExtendedData"))
        for field, value in props.items():
            if field in ("lat", "lon") or value is None:
                continue
            data = ET.SubElement(extended, q("Data"), name=field)
            ET.SubElement(data, q("value")).text = str(value)
        point = ET.SubElement(mark, q("Point"))
        ET.SubElement(point, q("coordinates")).text = f"{props['lon']:.7f},{props['lat']:.7f}"
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def write_kml(layers: MapLayers, path: str | Path) -> Path:
    """Write :func:`to_kml` to ``path`` (opens in Google Earth)."""
    target = Path(path)
    target.write_text(to_kml(layers), encoding="utf-8")
    return target


def read_kml_points(path_or_text: str | Path) -> pd.DataFrame:
    """Read placemarks back from a KML file or string: folder, name, lat, lon.

    Used to check exports; also handy to bring an investigator's Google Earth pins in.
    """
    text = Path(path_or_text).read_text(encoding="utf-8") if isinstance(path_or_text, Path) \
        else str(path_or_text)
    root = ET.fromstring(text.encode("utf-8"))
    ns = {"k": KML_NS}
    rows = []
    for folder in root.iter(f"{{{KML_NS}}}Folder"):
        folder_name = folder.findtext("k:name", default="", namespaces=ns)
        for mark in folder.findall("k:Placemark", ns):
            coords = mark.findtext("k:Point/k:coordinates", default="", namespaces=ns).strip()
            lon, lat = (float(v) for v in coords.split(",")[:2])
            rows.append({"folder": folder_name,
                         "name": mark.findtext("k:name", default="", namespaces=ns),
                         "lat": lat, "lon": lon})
    return pd.DataFrame(rows, columns=["folder", "name", "lat", "lon"])
