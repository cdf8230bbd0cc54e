"""Metadata through ExifTool: the shared files against checked-in ExifTool output, phone
video location atoms, XMP sidecars and packets, and which source each value came from."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.ingest import exiftool_reader
from workbench.store import Case

from .helpers import ingest_quiet

TRUTH = Path(__file__).resolve().parent.parent / "data" / "exiftool_truth.json"


@pytest.fixture(scope="module", autouse=True)
def _exiftool() -> None:
    if not exiftool_reader.available():
        pytest.fail("ExifTool is needed by these tests: apt-get install libimage-exiftool-perl "
                    "(make test installs it) and pip install pyexiftool")


def _iso(stamp: str) -> str:
    day, _, time = stamp.partition(" ")
    return f"{day.replace(':', '-')}T{time[:8]}"


def test_shared_files_match_checked_in_exiftool_truth(shared_data: Path, new_case: Case) -> None:
    truth = {row["SourceFile"]: row for row in json.loads(TRUTH.read_text())}
    ingest_quiet(new_case, [shared_data / "exif", shared_data / "video"])
    records = {p: r for r in new_case.evidence_records() for p in r["paths"]}
    checked = {"fix": 0, "time": 0, "camera": 0, "video": 0}
    for name, row in truth.items():
        record = records.get(str(shared_data / name))
        if record is None:
            continue  # not media (a README, a dump): quarantined, nothing to compare
        lat, lon = row.get("Composite:GPSLatitude"), row.get("Composite:GPSLongitude")
        if lat is not None and lon is not None and (lat, lon) != (0, 0):
            checked["fix"] += 1
            assert record["lat"] == pytest.approx(lat, abs=1e-7), name
            assert record["lon"] == pytest.approx(lon, abs=1e-7), name
            assert record["sources"]["location"] in ("EXIF GPS (built-in reader)",
                                                     "EXIF GPS (ExifTool)"), name
            if "Composite:GPSAltitude" in row:
                assert record["alt"] == pytest.approx(row["Composite:GPSAltitude"], abs=1e-3)
        else:
            assert record["lat"] is None, name
        original = row.get("ExifIFD:DateTimeOriginal")
        if original and not str(original).startswith("0000"):
            checked["time"] += 1
            assert record["captured_at"].startswith(_iso(str(original))), name
            assert record["sources"]["captured_at"] in ("EXIF (built-in reader)",
                                                        "EXIF DateTimeOriginal (ExifTool)")
        if str(row.get("IFD0:Make", "")).strip():
            checked["camera"] += 1
            assert record["make"] == str(row["IFD0:Make"]).strip(), name
        if name.startswith("video/"):
            checked["video"] += 1
            assert str(row["QuickTime:CreateDate"])[:4] in ("0000", "1904")  # QuickTime zero
            assert record["captured_at"] is None  # a zero date is no date
    assert checked["fix"] == 18 and checked["video"] == 2
    assert checked["time"] >= 50 and checked["camera"] >= 50


def _video_with(tmp: Path, name: str, clip: Path, *tags: str) -> Path:
    target = tmp / name
    shutil.copyfile(clip, target)
    subprocess.run(["exiftool", "-q", "-overwrite_original", *tags, str(target)], check=True)
    return target


def test_phone_video_location_and_time_reach_map_and_timeline(shared_data: Path,
                                                              tmp_path: Path,
                                                              new_case: Case) -> None:
    folder = tmp_path / "phone"
    folder.mkdir()
    # two different clips: identical frames would be one evidence item with one parent
    apple = _video_with(folder, "IMG_0001.MOV.mp4",
                        shared_data / "video" / "face_recognition_short_hamilton_clip.mp4",
                        "-Keys:GPSCoordinates=51.50100, -0.14190, 12.5",
                        "-Keys:CreationDate=2023:06:01 10:20:30+02:00",
                        "-QuickTime:CreateDate=2023:06:01 08:20:30")
    android = _video_with(folder, "VID_20220304.mp4",
                          shared_data / "video" / "facenet_pytorch_video.mp4",
                          "-UserData:GPSCoordinates=-33.8568, 151.2153",
                          "-QuickTime:CreateDate=2022:03:04 05:06:07")
    ingest_quiet(new_case, [folder])
    videos = {r["paths"][0]: r for r in new_case.evidence_records("video")}
    one, two = videos[str(apple)], videos[str(android)]
    assert (one["lat"], one["lon"], one["alt"]) == pytest.approx((51.501, -0.1419, 12.5))
    assert one["captured_at"] == "2023-06-01T10:20:30+02:00"
    assert one["sources"] == {"location": "QuickTime Keys ISO6709 (ExifTool)",
                              "captured_at": "QuickTime Keys ISO6709 CreationDate (ExifTool)"}
    assert (two["lat"], two["lon"]) == pytest.approx((-33.8568, 151.2153))
    assert two["captured_at"] == "2022-03-04T05:06:07+00:00"  # QuickTime dates are UTC
    assert two["sources"]["location"] == "QuickTime ©xyz (ExifTool)"

    frames = [r for r in new_case.evidence_records("video_frame")
              if r["parent_id"] == one["sha256"]]
    assert frames and all((f["lat"], f["lon"]) == (one["lat"], one["lon"]) for f in frames)
    assert all(f["captured_at"] >= one["captured_at"] for f in frames)
    assert frames[0]["sources"]["location"].endswith("of the video")

    from workbench.apps.overview_data import timeline
    from workbench.geo.layers import case_layers

    points = case_layers(new_case).evidence
    assert {one["sha256"], two["sha256"]} <= set(points["id"])
    days = {d.strftime("%Y-%m-%d") for d in timeline(new_case)["day"]}
    assert {"2023-06-01", "2022-03-04"} <= days


_SIDECAR = """<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?>
<x:xmpmeta xmlns:x='adobe:ns:meta/'>
 <rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>
  <rdf:Description rdf:about='' xmlns:exif='http://ns.adobe.com/exif/1.0/'
    xmlns:photoshop='http://ns.adobe.com/photoshop/1.0/'>
   <exif:GPSLatitude>52,22.5N</exif:GPSLatitude>
   <exif:GPSLongitude>4,53.7E</exif:GPSLongitude>
   <photoshop:DateCreated>2021-07-08T09:10:11+02:00</photoshop:DateCreated>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end='w'?>"""


def test_xmp_sidecar_and_packet(photo_dir: Path, tmp_path: Path, new_case: Case) -> None:
    folder = tmp_path / "lightroom"
    folder.mkdir()
    shutil.copyfile(photo_dir / "deepface_img1.jpg", folder / "IMG_1234.jpg")
    (folder / "IMG_1234.xmp").write_text(_SIDECAR)
    packet = folder / "IMG_5678.jpg"
    shutil.copyfile(photo_dir / "deepface_img2.jpg", packet)
    subprocess.run(["exiftool", "-q", "-overwrite_original", "-XMP-exif:GPSLatitude=-22.95",
                    "-XMP-exif:GPSLongitude=-43.21", "-XMP-exif:DateTimeOriginal="
                    "2020:01:02 03:04:05-03:00", str(packet)], check=True)
    report = ingest_quiet(new_case, [folder])
    assert report.seen == 2 and not report.quarantined  # the sidecar is not a media item
    rows = {Path(r["paths"][0]).name: r for r in new_case.evidence_records()}
    side = rows["IMG_1234.jpg"]
    assert (side["lat"], side["lon"]) == pytest.approx((52.375, 4.895))
    assert side["sources"]["location"] == "XMP sidecar (ExifTool)"
    # the photo's own EXIF time comes first; the sidecar fills only what the file lacks
    assert side["sources"]["captured_at"] == "EXIF DateTimeOriginal (ExifTool)"
    assert side["captured_at"] != "2021-07-08T09:10:11+02:00"
    assert side["sidecar"]["path"] == str(folder / "IMG_1234.xmp")
    assert len(side["sidecar"]["sha256"]) == 64
    inside = rows["IMG_5678.jpg"]
    assert (inside["lat"], inside["lon"]) == pytest.approx((-22.95, -43.21))
    assert inside["captured_at"] == "2020-01-02T03:04:05-03:00"
    # the built-in reader reads simple XMP GPS; the XMP date needs ExifTool, which is
    # asked because the header holds an XMP packet and the time was still missing
    assert inside["sources"]["location"] in ("XMP (built-in reader)", "XMP (ExifTool)")
    assert inside["sources"]["captured_at"] == "XMP DateTimeOriginal (ExifTool)"


def test_cli_evidence_json_says_where_values_came_from(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "exif" / "ianare_exif-samples" / "jpg" / "gps"
    case_dir = tmp_path / "case"
    subprocess.run([sys.executable, "-m", "workbench.cli", "ingest", str(case_dir), str(source),
                    "--workers", "1", "--no-progress"], check=True, capture_output=True)
    out = subprocess.run([sys.executable, "-m", "workbench.cli", "evidence", str(case_dir),
                          "--json"], check=True, capture_output=True, text=True).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    # plain EXIF is read by the built-in reader, which ExifTool's truth above checks
    assert rows and all(r["sources"]["location"] == "EXIF GPS (built-in reader)" for r in rows)


def test_without_exiftool_the_builtin_reader_is_used_and_said(photo_dir: Path,
                                                             new_case: Case) -> None:
    report = ingest_quiet(new_case, [photo_dir], exiftool=False)
    assert report.warnings == []  # turned off on purpose: nothing to warn about
    rows = new_case.evidence_records()
    assert rows and all("ExifTool" not in v for r in rows for v in r["sources"].values())


def test_missing_exiftool_warns_with_the_install_command(photo_dir: Path, new_case: Case,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")  # as on a machine without the package
    report = ingest_quiet(new_case, [photo_dir])
    assert report.warnings == [exiftool_reader.INSTALL_HINT]
    assert "apt-get install libimage-exiftool-perl" in report.warnings[0]
    assert report.new_evidence == 6


def test_vendor_and_placeholder_values_are_normalised() -> None:
    """ExifTool's shape for a FLIR thermal camera's GPS (no FLIR file is shared here, so
    the tags are written out as ExifTool reports them) and for placeholder dates."""
    flir = {"FLIR:GPSLatitude": 59.33, "FLIR:GPSLatitudeRef": "N",
            "FLIR:GPSLongitude": 18.07, "FLIR:GPSLongitudeRef": "W",
            "FLIR:GPSAltitude": 5.0, "FLIR:GPSAltitudeRef": 1,
            "QuickTime:CreateDate": "0000:00:00 00:00:00"}
    found = exiftool_reader.extract(flir)
    assert (found["lat"], found["lon"], found["alt"]) == (59.33, -18.07, -5.0)
    assert found["sources"] == {"location": "FLIR"} and found["captured_at"] is None
    assert exiftool_reader.extract({"GPS:GPSLatitude": 0, "GPS:GPSLongitude": 0})["lat"] is None
    assert exiftool_reader.parse_stamp("2021:03:04 05:06:07.25Z", "XMP-xmp") == \
        "2021-03-04T05:06:07.25+00:00"
    assert exiftool_reader.parse_stamp("1904:01:01 00:00:00", "QuickTime") is None


def test_in_process_ingest_leaves_no_exiftool_running(shared_data: Path, tmp_path: Path,
                                                      new_case: Case) -> None:
    """A notebook's kernel ingests in-process: its ExifTool must not outlive the ingest."""
    import os

    clip = _video_with(tmp_path, "clip.mp4",
                       shared_data / "video" / "face_recognition_short_hamilton_clip.mp4",
                       "-UserData:GPSCoordinates=10.5, 20.5")
    ingest_quiet(new_case, [clip], workers=1)
    assert new_case.evidence_records("video")[0]["lat"] == pytest.approx(10.5)
    children = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split()
    commands = [Path(f"/proc/{c}/cmdline").read_bytes() for c in children
                if Path(f"/proc/{c}/cmdline").exists()]
    assert not [c for c in commands if b"exiftool" in c]


def test_zipped_and_non_utf8_videos_keep_their_location(shared_data: Path, tmp_path: Path,
                                                        new_case: Case) -> None:
    """ExifTool reads a zipped video from its scratch copy, and a name that is not UTF-8
    through a descriptor, so neither loses its place."""
    import os
    import zipfile

    clip = shared_data / "video" / "face_recognition_short_hamilton_clip.mp4"
    tagged = _video_with(tmp_path, "tagged.mp4", clip, "-UserData:GPSCoordinates=1.25, 2.5")
    folder = tmp_path / "src"
    folder.mkdir()
    with zipfile.ZipFile(folder / "phone.zip", "w", zipfile.ZIP_STORED) as archive:
        archive.write(tagged, "DCIM/clip.mp4")
    other = _video_with(tmp_path, "other.mp4", shared_data / "video" / "facenet_pytorch_video.mp4",
                        "-UserData:GPSCoordinates=-3.5, -4.75")
    shutil.copyfile(other, os.fsdecode(os.fsencode(folder) + b"/v\xe9lo.mp4"))
    ingest_quiet(new_case, [folder])
    places = {r["paths"][0]: (r["lat"], r["lon"], r["sources"].get("location"))
              for r in new_case.evidence_records("video")}
    assert places[f"{folder / 'phone.zip'}!/DCIM/clip.mp4"] == (
        pytest.approx(1.25), pytest.approx(2.5), "QuickTime ©xyz (ExifTool)")
    assert places[f"{folder}/v\\xe9lo.mp4"] == (
        pytest.approx(-3.5), pytest.approx(-4.75), "QuickTime ©xyz (ExifTool)")
    assert not list((new_case.derived_dir / "tmp").glob("*"))  # scratch copies removed
