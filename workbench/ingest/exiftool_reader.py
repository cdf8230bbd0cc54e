"""Place, time and camera from ExifTool: videos, XMP sidecars and packets, vendor segments.

Why ExifTool (through ``pyexiftool``, with Debian's ``libimage-exiftool-perl``):

* **What it reads.** One reader for everything users bring: EXIF, XMP packets inside
  images, XMP sidecars (``IMG_1234.xmp``), QuickTime/MP4 location atoms (``©xyz`` and
  Apple's ``com.apple.quicktime.location.ISO6709``) and creation dates, HEIC, and vendor
  segments such as FLIR's. ``pymediainfo`` reads containers but not EXIF maker data or
  sidecars; ``exiv2`` reads images and XMP but not QuickTime location atoms.
* **Maintained.** Actively released since 2003; the forensic tools' reference reader, so
  its values are the ones an examiner will check against.
* **Install cost.** A Perl program (``apt-get install libimage-exiftool-perl``, ~4 MB) and
  a pure-Python wrapper; nothing to compile, no network.
* **Speed.** ``-stay_open``: each ingest worker keeps one ExifTool process for the whole
  run and sends it a batch of files per call (``-fast``, only the tags used here), so the
  Perl start-up is paid once per worker, not per file.

When ExifTool is missing the ingest falls back to the built-in Pillow reader (EXIF and
in-image XMP GPS of images only) and says so once, naming the package to install.

Every value comes back with its **source** (``"QuickTime Keys ISO6709"``,
``"XMP sidecar"``, ``"EXIF GPS"``...): the ExifTool group it was read from.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# Tags requested (with -a -G1: every group's copy, so the source can be told).
TAGS = ("GPSLatitude", "GPSLongitude", "GPSAltitude", "GPSLatitudeRef", "GPSLongitudeRef",
        "GPSAltitudeRef", "GPSCoordinates", "DateTimeOriginal", "OffsetTimeOriginal",
        "SubSecTimeOriginal", "CreateDate", "CreationDate", "DateCreated", "Make", "Model",
        "SerialNumber", "Software")
ARGS = ("-j", "-n", "-a", "-G1", "-fast", "-q", "-q", "-charset", "filename=utf8",
        *(f"-{t}" for t in TAGS))
INSTALL_HINT = ("ExifTool not found: install it (Debian/Ubuntu: apt-get install "
                "libimage-exiftool-perl; or `make system-deps`) to read video GPS and "
                "creation time, XMP sidecars and vendor GPS; falling back to the built-in "
                "EXIF reader for images")
SIDECAR_SUFFIXES = (".xmp", ".XMP")

# Readable names of ExifTool groups, most trusted first: what the camera wrote in the
# file, then XMP in the file, vendor segments, then video containers.
_GROUP_NAMES = {
    "GPS": "EXIF GPS", "ExifIFD": "EXIF", "IFD0": "EXIF", "SubIFD": "EXIF",
    "XMP-exif": "XMP", "XMP-photoshop": "XMP", "XMP-xmp": "XMP", "XMP-tiff": "XMP",
    "XMP-aux": "XMP", "FLIR": "FLIR", "MakerNotes": "maker notes",
    "Keys": "QuickTime Keys ISO6709", "UserData": "QuickTime ©xyz",
    "ItemList": "QuickTime item list", "QuickTime": "QuickTime",
}
_TIME_TAGS = ("DateTimeOriginal", "CreationDate", "DateCreated", "CreateDate")
_STAMP = re.compile(r"^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?"
                    r"\s*(Z|[+-]\d{2}:?\d{2})?$")
_ISO6709 = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)[\s,]+([+-]?\d+(?:\.\d+)?)(?:[\s,]+([+-]?\d+(?:\.\d+)?))?")


def executable() -> str | None:
    """The ``exiftool`` program, or None when it is not installed."""
    return shutil.which("exiftool")


def available() -> bool:
    """Whether ExifTool and its Python wrapper are both installed."""
    if executable() is None:
        return False
    try:
        import exiftool  # noqa: F401
    except ImportError:
        return False
    return True


class Reader:
    """One ``-stay_open`` ExifTool process, started on first use (one per worker).

    Example:
        >>> with Reader() as reader:                                   # doctest: +SKIP
        ...     tags = reader.read(["IMG_1.jpg", "IMG_1.xmp"])
    """

    def __init__(self) -> None:
        self._tool: Any = None

    def read(self, paths: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Tags of each readable file, keyed by the path given (files it cannot read are
        left out)."""
        if not paths:
            return {}
        if self._tool is None:
            import exiftool

            self._tool = exiftool.ExifTool(executable=executable(), common_args=[])
            self._tool.run()
        output = self._tool.execute(*ARGS, *paths)
        try:
            rows = json.loads(output) if output.strip() else []
        except json.JSONDecodeError:
            return {}
        return {row.get("SourceFile", ""): row for row in rows if isinstance(row, dict)}

    def close(self) -> None:
        if self._tool is not None:
            self._tool.terminate()
            self._tool = None

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sidecar_of(path: str) -> str | None:
    """The XMP sidecar beside a file: ``IMG_1.xmp`` or ``IMG_1.jpg.xmp``, if one exists."""
    stem, _ = os.path.splitext(path)
    for base in (stem, path):
        for suffix in SIDECAR_SUFFIXES:
            candidate = base + suffix
            if candidate != path and os.path.isfile(candidate):
                return candidate
    return None


def _groups(tags: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for key, value in tags.items():
        group, _, name = key.rpartition(":")
        if group and group not in ("Composite", "System", "File"):
            out.setdefault(group, {})[name] = value
    return out


def _rank(group: str) -> int:
    order = list(_GROUP_NAMES)
    if group in _GROUP_NAMES:
        return order.index(group)
    return len(order) + (0 if group.startswith("XMP") else 1)


def _source(group: str, sidecar: bool) -> str:
    name = _GROUP_NAMES.get(group, "XMP" if group.startswith("XMP") else group)
    return f"{name} sidecar" if sidecar else name


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _fix_of(values: Mapping[str, Any]) -> tuple[float, float, float | None] | None:
    """Signed lat, lon (and altitude) from one group's tags, or None if no real fix."""
    lat = lon = alt = None
    if "GPSCoordinates" in values:
        match = _ISO6709.match(str(values["GPSCoordinates"]))
        if match:
            lat, lon = float(match.group(1)), float(match.group(2))
            alt = float(match.group(3)) if match.group(3) else None
    if lat is None:
        lat, lon = _number(values.get("GPSLatitude")), _number(values.get("GPSLongitude"))
        if lat is None or lon is None:
            return None
        if str(values.get("GPSLatitudeRef", "")).upper().startswith("S"):
            lat = -abs(lat)
        if str(values.get("GPSLongitudeRef", "")).upper().startswith("W"):
            lon = -abs(lon)
        alt = _number(values.get("GPSAltitude"))
        if alt is not None and str(values.get("GPSAltitudeRef", "0")).strip() == "1":
            alt = -abs(alt)
    if lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat, lon) == (0, 0):
        return None  # 0,0 is what cameras without a fix write
    return lat, lon, alt


def parse_stamp(value: Any, group: str, offset: Any = None, subsec: Any = None) -> str | None:
    """An ExifTool date as ISO 8601, or None for empty and placeholder dates.

    QuickTime's own dates are UTC by the format's definition, so they get ``+00:00``;
    1904-01-01 (QuickTime's zero) and 0000 mean "not set".
    """
    match = _STAMP.match(str(value).strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if year in ("0000", "1904", "1970") and month == "01" and day == "01":
        return None
    if month == "00" or day == "00":
        return None
    text = f"{year}-{month}-{day}T{hour}:{minute}:{second}"
    sub = str(subsec).strip() if subsec is not None else ""
    if fraction:
        text += fraction[:7]
    elif sub.isdigit():
        text += "." + (sub + "000000")[:6]
    zone = zone or (str(offset).strip() if offset is not None else None)
    if zone == "Z":
        zone = "+00:00"
    elif zone and re.fullmatch(r"[+-]\d{4}", zone):
        zone = zone[:3] + ":" + zone[3:]
    if not zone and group == "QuickTime":
        zone = "+00:00"
    if zone and re.fullmatch(r"[+-]\d{2}:\d{2}", zone):
        text += zone
    return text


def extract(tags: Mapping[str, Any] | None, sidecar: Mapping[str, Any] | None = None
            ) -> dict[str, Any]:
    """Place, time and camera from one file's tags (and its sidecar's), with sources.

    Returns:
        ``lat``, ``lon``, ``alt``, ``captured_at``, ``make``, ``model``, ``serial``,
        ``software`` (None where nothing was found) and ``sources``: for each field found,
        where it came from (e.g. ``{"location": "QuickTime Keys ISO6709"}``).
    """
    out: dict[str, Any] = {k: None for k in ("lat", "lon", "alt", "captured_at", "make",
                                              "model", "serial", "software")}
    sources: dict[str, str] = {}
    candidates = [(g, v, False) for g, v in _groups(tags or {}).items()]
    candidates += [(g, v, True) for g, v in _groups(sidecar or {}).items()]
    # the file before its sidecar, then by trust within each
    candidates.sort(key=lambda c: (c[2], _rank(c[0])))
    for group, values, is_sidecar in candidates:
        fix = _fix_of(values)
        if fix is not None and out["lat"] is None:
            out["lat"], out["lon"], out["alt"] = fix
            sources["location"] = _source(group, is_sidecar)
    for tag in _TIME_TAGS:
        for group, values, is_sidecar in candidates:
            if out["captured_at"] is None and tag in values:
                stamp = parse_stamp(values[tag], group, values.get("OffsetTimeOriginal"),
                                    values.get("SubSecTimeOriginal"))
                if stamp:
                    out["captured_at"] = stamp
                    sources["captured_at"] = f"{_source(group, is_sidecar)} {tag}"
    for field, tag in (("make", "Make"), ("model", "Model"), ("serial", "SerialNumber"),
                       ("software", "Software")):
        for group, values, is_sidecar in candidates:
            text = str(values.get(tag, "")).replace("\x00", " ").strip()
            if text and out[field] is None:
                out[field] = text
                sources[field] = _source(group, is_sidecar)
    out["sources"] = sources
    return out


def groups_seen(tags: Iterable[str]) -> set[str]:
    """The ExifTool groups present in a result (for diagnostics and tests)."""
    return {k.rpartition(":")[0] for k in tags if ":" in k}
