"""Metadata against the ExifTool truth table: every real fix within 1e-5 degrees, no false fixes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from PIL import Image

from workbench.ingest.images import open_image
from workbench.ingest.metadata import dms_to_degrees, gps_from_ifd, read_metadata

from .helpers import ingest_quiet


def test_gps_truth_through_ingest(shared_data: Path, new_case) -> None:
    root = shared_data / "exif"
    truth = list(csv.DictReader((root / "gps_truth.csv").open()))
    assert len(truth) == 101
    ingest_quiet(new_case, [root])
    rows = new_case.evidence()
    by_path = {p: r for r in rows.to_dict(orient="records") for p in r["paths"]}
    quarantined = set(new_case.quarantined()["path"])
    kinds = {"heic": 0, "fix": 0}
    for row in truth:
        path = str(root / row["file"])
        assert path not in quarantined, f"{row['file']} should be readable"
        record = by_path[path]
        if row["has_gps"] == "1":
            kinds["fix"] += 1
            kinds["heic"] += row["file_type"] == "HEIC"
            assert record["lat"] == pytest.approx(float(row["lat"]), abs=1e-5), row["file"]
            assert record["lon"] == pytest.approx(float(row["lon"]), abs=1e-5), row["file"]
            if row["alt_m"]:
                assert record["alt"] == pytest.approx(float(row["alt_m"]), abs=1e-3)
        else:
            assert record["lat"] is None or record["lat"] != record["lat"], row["file"]
    assert kinds == {"heic": 3, "fix": 18}


def test_signs_and_dms() -> None:
    assert dms_to_degrees((43, 28, 2.81)) == pytest.approx(43.4674472, abs=1e-6)
    problems: list[str] = []
    fix = gps_from_ifd({1: "S", 2: (0, 22, 16.68), 3: "W", 4: (36, 3, 23.1)}, problems)
    assert fix["lat"] == pytest.approx(-0.3713, abs=1e-6) and fix["lon"] < 0
    assert gps_from_ifd({1: "N", 2: (0, 0, 0), 3: "E", 4: (0, 0, 0)}, problems)["lat"] is None
    assert problems == []


def test_capture_time_with_offset_and_camera_fields() -> None:
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "EOS 5D"
    exif[0x0131] = "Firmware 1.1"
    exif[0x0112] = 1
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = "2024:03:05 14:07:09"
    sub[0x9011] = "-05:00"
    sub[0xA431] = "123456789"
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (90, 120, 30)).save(out, "JPEG", exif=exif.tobytes())
    data = out.getvalue()
    decoded = open_image(data, "x.jpg")
    meta = read_metadata(decoded.image, data, decoded.format)
    assert meta["captured_at"] == "2024-03-05T14:07:09-05:00"
    assert (meta["make"], meta["model"], meta["serial"], meta["software"]) == (
        "Canon", "EOS 5D", "123456789", "Firmware 1.1")
    assert meta["orientation"] == 1 and meta["problems"] == []


def test_xmp_gps_coordinates() -> None:
    from workbench.ingest.metadata import gps_from_xmp

    problems: list[str] = []
    xmp = (b'<rdf:Description exif:GPSLatitude="28,32.5N" exif:GPSLongitude="81,22,45W" '
           b'exif:GPSAltitude="305/10" exif:GPSAltitudeRef="0"/>')
    fix = gps_from_xmp(xmp, problems)
    assert fix["lat"] == pytest.approx(28 + 32.5 / 60, abs=1e-9)
    assert fix["lon"] == pytest.approx(-(81 + 22 / 60 + 45 / 3600), abs=1e-9)
    assert fix["alt"] == pytest.approx(30.5) and problems == []
    assert gps_from_xmp(b'exif:GPSLatitude="0,0N" exif:GPSLongitude="0,0E"', problems)["lat"] is None
