"""Build the bundled sample case inputs from ``../shared/data`` (reproducible).

Usage (from the repository root):
    python sample_data/build_sample.py [--shared ../shared/data] [--out sample_data]

Writes ``sample_data/evidence/`` (photos, GPS-tagged copies, a chat-export zip, a video,
damaged files) and ``sample_data/hashlists/`` (a VICS 2.0 JSON list and a PDQ CSV list
that match a few of the images). The generated files are committed, so ``make demo``
never needs ``../shared``. Nothing in ``../shared`` is modified: files are only read.

All GPS positions, capture times and camera fields in ``evidence/phone_dcim`` and
``evidence/camera`` are synthetic, written by this script.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import zipfile
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
LABELLED = Path("faces/labelled")

# (source under faces/labelled, name in the sample) - originals copied byte for byte
DOWNLOADS = [
    ("deepface/img2.jpg", "angelina_red_carpet.jpg"),
    ("deepface/img5.jpg", "aj_profile.jpg"),
    ("deepface/img10.jpg", "aj_2011.jpg"),
    ("deepface/couple.jpg", "couple.jpg"),
    ("deepface/selfie-many-people.jpg", "group_selfie.jpg"),
    ("deepface/img47.jpg", "saved_image.jpg"),  # WebP content behind a .jpg name
    ("face_recognition/examples/knn_examples/train/kit_harington/john1.jpeg", "kit1.jpeg"),
    ("face_recognition/examples/knn_examples/test/kit_with_rose.jpg", "kit_with_rose.jpg"),
    ("face_recognition/examples/two_people.jpg", "two_people.jpg"),
    ("face_recognition/examples/lin-manuel-miranda.png", "lin_manuel_miranda.png"),
    ("face_recognition/examples/alex-lacamoire.png", "alex_lacamoire.png"),
    ("openface/images/examples/lennon-1.jpg", "lennon_1.jpg"),
    ("openface/images/examples/longoria-cooper.jpg", "longoria_cooper.jpg"),
]
# Public research portraits of children with known ages (UTKFace chips, research and testing
# only), from the half of the chips the age head was never fitted on: (file, true age).
PORTRAITS = [
    ("images/6_1_2_20161219141114464.jpg.chip.jpg", 6),
    ("images/10_0_1_20170110223455893.jpg.chip.jpg", 10),
    ("images/14_1_0_20170103200819591.jpg.chip.jpg", 14),
    ("images/15_0_0_20170103201110847.jpg.chip.jpg", 15),
    ("images/16_1_4_20170103224851136.jpg.chip.jpg", 16),
    ("images/17_0_0_20170104003852806.jpg.chip.jpg", 17),
]
# Copies re-encoded with synthetic phone EXIF: (source, minutes after the trip start)
PHONE = [
    ("deepface/img4.jpg", 0), ("deepface/img6.jpg", 1510), ("deepface/img11.jpg", 2990),
    ("deepface/img27.jpg", 7300), ("deepface/img28.jpg", 7340), ("deepface/img42.jpg", 11600),
    ("deepface/img43.jpg", 14450), ("deepface/img44.jpg", 18800), ("deepface/img45.jpg", 21700),
    ("face_recognition/examples/knn_examples/test/obama_and_biden.jpg", 24950),
    ("face_recognition/examples/knn_examples/train/obama/obama.jpg", 26100),
    ("face_recognition/examples/knn_examples/train/obama/obama2.jpg", 28830),
]
# A second device with a body serial number
CAMERA = [("openface/images/examples/lennon-2.jpg", 9000),
          ("face_recognition/examples/knn_examples/train/kit_harington/john2.jpeg", 9020)]
# Places around Orlando, Florida (lat, lon, name) the synthetic fixes scatter around
PLACES = [(28.5432, -81.3725, "Lake Eola Park"), (28.4433, -81.4695, "International Drive"),
          (28.5999, -81.3392, "Winter Park"), (28.2920, -81.4076, "Kissimmee"),
          (28.6024, -81.2001, "UCF area"), (28.5383, -81.3792, "Downtown Orlando")]
TRIP_START = datetime(2024, 3, 2, 10, 15, tzinfo=ZoneInfo("America/New_York"))
BAD = ["pillow__truncated_jpeg.jpg", "pillow__broken.png", "pillow__decompression_bomb.gif",
       "pillow__invalid-exif.jpg"]
VIDEO = "face_recognition_short_hamilton_clip.mp4"
ZIP_TIME = (2024, 3, 20, 21, 4, 0)
MAX_SIDE = 1600


def _dms(value: float) -> tuple[Fraction, Fraction, Fraction]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return Fraction(degrees), Fraction(minutes), Fraction(seconds).limit_denominator(10000)


def _exif(when: datetime, lat: float, lon: float, alt: float, make: str, model: str,
          serial: str | None, orientation: int = 1) -> bytes:
    from PIL import Image
    from PIL.TiffImagePlugin import IFDRational

    def rational(value: Fraction) -> IFDRational:
        return IFDRational(value.numerator, value.denominator)

    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0131] = make, model, "17.3.1" if make == "Apple" else "1.1.0"
    exif[0x0112] = orientation
    exif[0x0132] = when.strftime("%Y:%m:%d %H:%M:%S")
    sub = exif.get_ifd(0x8769)
    offset = when.strftime("%z")
    sub[0x9003] = when.strftime("%Y:%m:%d %H:%M:%S")
    sub[0x9011] = f"{offset[:3]}:{offset[3:]}"
    if serial:
        sub[0xA431] = serial
    gps = exif.get_ifd(0x8825)
    gps[0] = b"\x02\x03\x00\x00"
    gps[1], gps[2] = ("N" if lat >= 0 else "S"), tuple(rational(v) for v in _dms(lat))
    gps[3], gps[4] = ("E" if lon >= 0 else "W"), tuple(rational(v) for v in _dms(lon))
    gps[5], gps[6] = 0, rational(Fraction(alt).limit_denominator(100))
    return exif.tobytes()


def _tagged_copy(src: Path, dst: Path, exif: bytes, rotate_for: int = 1) -> None:
    from PIL import Image, ImageOps

    with Image.open(src) as image:
        image = ImageOps.exif_transpose(image).convert("RGB")
        image.thumbnail((MAX_SIDE, MAX_SIDE))
        if rotate_for == 6:  # store the pixels rotated; orientation 6 shows them upright
            image = image.transpose(Image.Transpose.ROTATE_90)
        image.save(dst, "JPEG", quality=88, exif=exif)


def _zip(out: Path, members: list[tuple[str, bytes]]) -> None:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(zipfile.ZipInfo(name, date_time=ZIP_TIME), data,
                             compress_type=zipfile.ZIP_DEFLATED)


def _pdq_of(path: Path) -> tuple[str, int]:
    import numpy as np

    from workbench.ingest.hashing import PDQ_INPUT_SIDE, pdq_of_rgb
    from workbench.ingest.images import open_image, reduce_to, to_rgb

    decoded = open_image(path.read_bytes(), path.name)
    return pdq_of_rgb(np.asarray(to_rgb(reduce_to(decoded.image, PDQ_INPUT_SIDE), True)))


def build(shared: Path, out: Path) -> dict[str, int]:
    """Write the sample inputs under ``out``; returns counts by folder."""
    from workbench.ingest.hashing import PDQ_MATCH_DISTANCE, file_hashes, pdq_distance

    evidence = out / "evidence"
    if evidence.exists():
        shutil.rmtree(evidence)
    folders = {name: evidence / name for name in
               ("downloads", "phone_dcim", "camera", "shared_folder", "video", "damaged",
                "research_portraits")}
    for folder in folders.values():
        folder.mkdir(parents=True)
    rng = random.Random(20240302)

    for source, name in DOWNLOADS:
        shutil.copyfile(shared / LABELLED / source, folders["downloads"] / name)
    for source, age in PORTRAITS:
        shutil.copyfile(shared / "faces" / "ages_utkface" / source,
                        folders["research_portraits"] / f"utkface_age{age:02d}.jpg")
    for number, (source, minutes) in enumerate(PHONE, start=1):
        lat, lon, _ = PLACES[number % len(PLACES)]
        when = (TRIP_START + timedelta(minutes=minutes + rng.randint(0, 40))).astimezone(
            ZoneInfo("America/New_York"))
        exif = _exif(when, lat + rng.uniform(-0.006, 0.006), lon + rng.uniform(-0.006, 0.006),
                     rng.uniform(20, 35), "Apple", "iPhone 12", None,
                     orientation=6 if number == 4 else 1)
        _tagged_copy(shared / LABELLED / source, folders["phone_dcim"] / f"IMG_{4100 + number}.JPG",
                     exif, rotate_for=6 if number == 4 else 1)
    for number, (source, minutes) in enumerate(CAMERA, start=1):
        lat, lon, _ = PLACES[0]
        when = (TRIP_START + timedelta(minutes=minutes)).astimezone(ZoneInfo("America/New_York"))
        exif = _exif(when, lat + 0.001 * number, lon - 0.001 * number, 28.0, "Canon",
                     "Canon EOS 80D", "SAMPLE-033021001234")
        _tagged_copy(shared / LABELLED / source, folders["camera"] / f"DSC_{7700 + number}.JPG",
                     exif)

    # exact duplicate under another name, and a re-encoded, resized copy (PDQ near-duplicate)
    shutil.copyfile(folders["phone_dcim"] / "IMG_4103.JPG", folders["shared_folder"] / "pic.jpg")
    from PIL import Image

    pdq_source = shared / LABELLED / "deepface/img7.jpg"
    with Image.open(pdq_source) as image:
        small = image.convert("RGB")
        small.thumbnail((520, 520))
        small.save(folders["shared_folder"] / "forwarded_small.jpg", "JPEG", quality=70)

    _zip(evidence / "chat_export.zip", [
        ("Media/IMG-20240320-WA0001.jpg", (folders["phone_dcim"] / "IMG_4105.JPG").read_bytes()),
        ("Media/IMG-20240320-WA0002.jpg", (shared / LABELLED / "deepface/img46.jpg").read_bytes()),
        ("Media/IMG-20240320-WA0003.jpg",
         (shared / LABELLED / "face_recognition/examples/obama-480p.jpg").read_bytes()),
    ])
    shutil.copyfile(shared / "video" / VIDEO, folders["video"] / "hamilton_clip.mp4")
    for name in BAD:
        shutil.copyfile(shared / "badinput" / name, folders["damaged"] / name.split("__", 1)[1])

    _hash_lists(out, folders, pdq_source, file_hashes, pdq_distance, PDQ_MATCH_DISTANCE)
    return {name: len(list(folder.iterdir())) for name, folder in folders.items()}


def _hash_lists(out: Path, folders: dict[str, Path], pdq_source: Path, file_hashes, pdq_distance,
                limit: int) -> None:
    lists = out / "hashlists"
    lists.mkdir(exist_ok=True)
    exact = [folders["downloads"] / "couple.jpg", folders["phone_dcim"] / "IMG_4107.JPG"]
    media = []
    for number, path in enumerate(exact, start=1):
        hashes, size = file_hashes(path)
        media.append({"MediaID": number, "Category": 99, "MD5": hashes["md5"].upper(),
                      "SHA1": hashes["sha1"].upper(), "MediaSize": size,
                      "IsPrecategorized": False,
                      "Comments": "SYNTHETIC demo entry: not known material"})
    # one entry that matches nothing in the case, as real lists mostly do
    media.append({"MediaID": 3, "Category": 99, "MD5": "0" * 31 + "1", "SHA1": "0" * 39 + "1",
                  "MediaSize": 1, "IsPrecategorized": False})
    document = {"@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/"
                "2.0.xml/CUSTOM/$metadata#Media", "value": media}
    (lists / "demo_known.vics.json").write_text(json.dumps(document, indent=1) + "\n")

    pdq, quality = _pdq_of(pdq_source)
    copy_pdq, copy_quality = _pdq_of(folders["shared_folder"] / "forwarded_small.jpg")
    distance = pdq_distance(pdq, copy_pdq)
    if distance > limit or quality < 50 or copy_quality < 50:
        raise SystemExit(f"PDQ demo entry would not match (distance {distance}, "
                         f"quality {quality}/{copy_quality})")
    (lists / "demo_pdq.csv").write_text(
        "pdq,category,note\n"
        f"{pdq},99,SYNTHETIC demo entry: PDQ of the full-size original of "
        "shared_folder/forwarded_small.jpg\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "sample_data")
    args = parser.parse_args(argv)
    if not (args.shared / LABELLED).is_dir():
        print(f"shared data not found at {args.shared}", file=sys.stderr)
        return 1
    counts = build(args.shared, args.out)
    total = sum(p.stat().st_size for p in (args.out / "evidence").rglob("*") if p.is_file())
    print(f"sample evidence written to {args.out / 'evidence'}: {counts}, "
          f"{total / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
