"""Metadata of an image: GPS, capture time with offset, camera, orientation, problems.

Nothing here raises on broken metadata: every problem found is returned as text in
``problems`` so the ingest can keep the pixels and record what was wrong.
"""

from __future__ import annotations

import math
import re
import struct
import warnings
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image as PILImage

# EXIF tag numbers (TIFF/EXIF 2.32)
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
MAKE, MODEL, SOFTWARE, ORIENTATION, DATETIME = 0x010F, 0x0110, 0x0131, 0x0112, 0x0132
X_RES, Y_RES = 0x011A, 0x011B
DT_ORIGINAL, DT_DIGITIZED = 0x9003, 0x9004
OFFSET, OFFSET_ORIGINAL, OFFSET_DIGITIZED = 0x9010, 0x9011, 0x9012
SUBSEC_ORIGINAL = 0x9291
BODY_SERIAL, LENS_MODEL, CAMERA_SERIAL_DNG = 0xA431, 0xA434, 0xC62F

_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, SyntaxError, OSError,
                 struct.error, ZeroDivisionError, AttributeError, UnicodeError, OverflowError)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    text = str(value).replace("\x00", " ").strip()
    return text or None


def _float(value: Any) -> float:
    """A rational/number as float; NaN when the rational is x/0."""
    try:
        result = float(value)
    except ZeroDivisionError:
        return math.nan
    return result


def dms_to_degrees(value: Any) -> float:
    """(deg, min, sec) rationals, or a single number, to decimal degrees (unsigned)."""
    if isinstance(value, (tuple, list)):
        parts = [_float(v) for v in value] + [0.0, 0.0]
        return parts[0] + parts[1] / 60.0 + parts[2] / 3600.0
    return _float(value)


def _ref(value: Any) -> str:
    return (_text(value) or "").upper()[:1]


def gps_from_ifd(gps: dict[int, Any], problems: list[str]) -> dict[str, float | None]:
    """Signed lat/lon/alt from an EXIF GPS IFD; 0,0 and empty blocks mean no fix."""
    out: dict[str, float | None] = {"lat": None, "lon": None, "alt": None}
    if 2 not in gps or 4 not in gps:
        return out
    lat, lon = dms_to_degrees(gps[2]), dms_to_degrees(gps[4])
    if math.isnan(lat) or math.isnan(lon):
        problems.append("GPS coordinates have a zero denominator")
        return out
    if _ref(gps.get(1)) == "S":
        lat = -abs(lat)
    if _ref(gps.get(3)) == "W":
        lon = -abs(lon)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        problems.append(f"GPS coordinates out of range: {lat}, {lon}")
        return out
    if lat == 0 and lon == 0:
        return out  # a placeholder written by cameras without a fix
    out["lat"], out["lon"] = lat, lon
    if 6 in gps:
        alt = _float(gps[6])
        if not math.isnan(alt):
            below = gps.get(5) in (1, b"\x01", "\x01")
            out["alt"] = -alt if below else alt
    return out


_XMP_ATTR = re.compile(rb'exif:GPS(Latitude|Longitude|Altitude|AltitudeRef)\s*=\s*"([^"]*)"')
_XMP_ELEM = re.compile(rb"<exif:GPS(Latitude|Longitude|Altitude|AltitudeRef)>([^<]*)<")


def _xmp_coordinate(text: str) -> float:
    """XMP GPSCoordinate ``"DDD,MM.mmk"`` / ``"DDD,MM,SSk"`` / decimal to signed degrees."""
    text = text.strip()
    sign = -1.0 if text[-1:].upper() in ("S", "W") else 1.0
    body = text[:-1] if text[-1:].upper() in ("N", "S", "E", "W") else text
    parts = [float(p) for p in body.split(",")] + [0.0, 0.0]
    return sign * (abs(parts[0]) + parts[1] / 60.0 + parts[2] / 3600.0)


def gps_from_xmp(xmp: bytes, problems: list[str]) -> dict[str, float | None]:
    """GPS from an XMP packet (used when EXIF has no fix)."""
    fields = {m.group(1).decode(): m.group(2).decode("utf-8", "replace")
              for m in [*_XMP_ATTR.finditer(xmp), *_XMP_ELEM.finditer(xmp)]}
    out: dict[str, float | None] = {"lat": None, "lon": None, "alt": None}
    if "Latitude" not in fields or "Longitude" not in fields:
        return out
    try:
        lat, lon = _xmp_coordinate(fields["Latitude"]), _xmp_coordinate(fields["Longitude"])
    except ValueError:
        problems.append(f"XMP GPS not parseable: {fields['Latitude']!r}, {fields['Longitude']!r}")
        return out
    if (lat, lon) == (0, 0) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return out
    out["lat"], out["lon"] = lat, lon
    if "Altitude" in fields:
        try:
            num, _, den = fields["Altitude"].partition("/")
            alt = float(num) / float(den or 1)
            out["alt"] = -alt if fields.get("AltitudeRef", "0").strip() == "1" else alt
        except (ValueError, ZeroDivisionError):
            problems.append(f"XMP GPSAltitude not parseable: {fields['Altitude']!r}")
    return out


_OFFSET = re.compile(r"^[+-]\d{2}:\d{2}$")


def capture_time(stamp: Any, offset: Any, subsec: Any, problems: list[str]) -> str | None:
    """EXIF ``YYYY:MM:DD HH:MM:SS`` (+ offset, + subseconds) as ISO 8601, or None."""
    text = _text(stamp)
    if not text or text.startswith("0000") or text.strip(": ") == "":
        return None
    try:
        moment = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        try:
            moment = datetime.fromisoformat(text[:19])
        except ValueError:
            problems.append(f"capture time not parseable: {text!r}")
            return None
    sub = _text(subsec)
    if sub and sub.isdigit():
        moment = moment.replace(microsecond=int((sub + "000000")[:6]))
    iso = moment.isoformat()
    zone = _text(offset)
    if zone and _OFFSET.match(zone):
        iso += zone
    elif zone:
        problems.append(f"time offset not parseable: {zone!r}")
    return iso


def jpeg_segment_problems(data: bytes) -> list[str]:
    """Structural problems of a JPEG's metadata segments (the pixels may still be fine)."""
    problems: list[str] = []
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker in (0xDA, 0xD9):  # start of scan / end of image: metadata is over
            break
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        body = data[pos + 4:pos + 2 + length]
        if marker == 0xE1 and body.startswith(b"Exif\x00\x00"):
            if body[6:10] not in (b"II*\x00", b"MM\x00*"):
                problems.append("malformed APP1 EXIF segment (no valid TIFF header)")
        if marker == 0xEE and body.startswith(b"Adobe") and length < 14:
            problems.append(f"truncated APP14 (Adobe) segment: {length} bytes, expected 14")
        pos += 2 + length
    return problems


def read_metadata(image: PILImage.Image, data: bytes, fmt: str) -> dict[str, Any]:
    """Everything the evidence table stores from an image's metadata.

    Args:
        image: the decoded (not yet transposed) Pillow image.
        data: the file's bytes (for segment-level checks and XMP).
        fmt: the format Pillow identified.

    Returns:
        ``lat``, ``lon``, ``alt``, ``captured_at``, ``make``, ``model``, ``serial``,
        ``software``, ``orientation``, ``extra`` (dict) and ``problems`` (list of text).
    """
    problems: list[str] = []
    out: dict[str, Any] = {"lat": None, "lon": None, "alt": None, "captured_at": None,
                           "make": None, "model": None, "serial": None, "software": None,
                           "orientation": None, "extra": {}, "problems": problems}
    if fmt in ("JPEG", "MPO"):
        problems.extend(jpeg_segment_problems(data))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            _read_exif(image, out, problems)
        except _PARSE_ERRORS as error:
            problems.append(f"EXIF not readable: {type(error).__name__}: {error}")
    problems.extend(f"warning while reading metadata: {str(w.message).strip()}" for w in caught)
    if out["lat"] is None:
        xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
        if isinstance(xmp, str):
            xmp = xmp.encode("utf-8", "replace")
        if isinstance(xmp, bytes) and b"GPS" in xmp:
            gps = gps_from_xmp(xmp, problems)
            if gps["lat"] is not None:
                out.update(gps)
                out["extra"]["gps_source"] = "xmp"
    return out


def _read_exif(image: PILImage.Image, out: dict[str, Any], problems: list[str]) -> None:
    exif = image.getexif()
    if not exif:
        return
    exif_ifd = exif.get_ifd(EXIF_IFD) or {}
    out["make"] = _text(exif.get(MAKE))
    out["model"] = _text(exif.get(MODEL))
    out["software"] = _text(exif.get(SOFTWARE))
    out["serial"] = _text(exif_ifd.get(BODY_SERIAL)) or _text(exif.get(CAMERA_SERIAL_DNG))
    lens = _text(exif_ifd.get(LENS_MODEL))
    if lens:
        out["extra"]["lens"] = lens
    orientation = exif.get(ORIENTATION)
    if orientation is not None:
        try:
            value = int(orientation)
        except (TypeError, ValueError):
            value = 0
        if 1 <= value <= 8:
            out["orientation"] = value
        else:
            problems.append(f"orientation tag has invalid value {orientation!r}")
    for tag, label in ((X_RES, "XResolution"), (Y_RES, "YResolution")):
        if tag in exif and math.isnan(_float(exif[tag])):
            problems.append(f"{label} is a rational with a zero denominator")
    if DT_ORIGINAL in exif_ifd:
        out["captured_at"] = capture_time(exif_ifd[DT_ORIGINAL], exif_ifd.get(OFFSET_ORIGINAL),
                                          exif_ifd.get(SUBSEC_ORIGINAL), problems)
    elif DT_DIGITIZED in exif_ifd:
        out["captured_at"] = capture_time(exif_ifd[DT_DIGITIZED],
                                          exif_ifd.get(OFFSET_DIGITIZED), None, problems)
    elif DATETIME in exif:
        out["captured_at"] = capture_time(exif[DATETIME], exif_ifd.get(OFFSET), None, problems)
    if GPS_IFD in exif:
        gps = exif.get_ifd(GPS_IFD)
        if not gps:
            problems.append("GPS IFD present but empty (no fix)")
        else:
            out.update(gps_from_ifd(dict(gps), problems))
