"""ExifTool in an ingest worker: which files it reads, one batched call, merging its values.

The built-in reader (Pillow, :mod:`workbench.ingest.metadata`) reads EXIF, EXIF GPS and
simple XMP GPS of images as they are decoded, at no extra cost. ExifTool
(:mod:`workbench.ingest.exiftool_reader`) is asked only where it can add something:

* before decoding, for videos (the built-in reader reads none of their metadata) and
  files with an XMP sidecar: its values take precedence;
* after decoding, for images whose place or time is still missing and whose header
  carries a vendor segment (FLIR) or XMP naming a position or date: its values fill
  the gaps.

A JPEG or HEIF with plain EXIF (most files) never costs an ExifTool call. Each value
records its source: ``"EXIF GPS (built-in reader)"``, ``"QuickTime ©xyz (ExifTool)"``...
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from workbench.ingest import exiftool_reader
from workbench.ingest.images import is_video_name, sniff
from workbench.ingest.sources import MEMBER_SEP
from workbench.paths import display_path

FIELDS = ("captured_at", "make", "model", "serial", "software")
PLACE_TIME_CAMERA = ("lat", "lon", "alt", *FIELDS)
# What in a file's first bytes (where JPEG and HEIF keep their metadata) says ExifTool may
# find a place or time the built-in reader missed: a vendor segment (FLIR), or XMP text
# naming a position or a date (EXIF itself is binary, so these names are XMP or similar).
VENDOR_MARKERS = (b"FLIR\x00",)
PLACE_MARKERS = (b"GPSLatitude", b"GPSCoordinates")
TIME_MARKERS = (b"DateTimeOriginal", b"DateCreated", b"CreateDate")
HEAD_BYTES = 256 << 10
BUILTIN = "built-in reader"

# One ExifTool process per worker process, started on first use, kept for the run.
_READER: exiftool_reader.Reader | None = None


@dataclass(frozen=True)
class External:
    """What ExifTool found for one file: its tags, and its XMP sidecar's."""

    tags: dict[str, Any] | None = None
    sidecar_tags: dict[str, Any] | None = None
    sidecar: str | None = None
    problem: str | None = None


def wanted_before(path: str) -> bool:
    """Videos and files with a sidecar: read by ExifTool before the file is processed."""
    if MEMBER_SEP in path:
        return False  # inside an archive: zipped videos are read from their scratch copy
    if exiftool_reader.sidecar_of(path):
        return True
    if is_video_name(path):
        return True
    try:
        with open(path, "rb") as handle:  # read-only
            return sniff(handle.read(32), path) == "VIDEO"
    except OSError:
        return False  # the read proper quarantines it with the reason


def wanted_after(head: bytes, record: dict[str, Any]) -> bool:
    """An image still missing its place or time whose header names one ExifTool reads."""
    no_place, no_time = record.get("lat") is None, record.get("captured_at") is None
    if not (no_place or no_time):
        return False
    return (any(m in head for m in VENDOR_MARKERS)
            or (no_place and any(m in head for m in PLACE_MARKERS))
            or (no_time and any(m in head for m in TIME_MARKERS)))


def _arg(path: str, fds: list[int]) -> str:
    """A name ExifTool can be given: the path, or for a name that is not UTF-8 this
    process's descriptor link (ExifTool is our child and the same user)."""
    if display_path(path) == path:
        return path
    fd = os.open(path, os.O_RDONLY)
    fds.append(fd)
    return f"/proc/{os.getpid()}/fd/{fd}"


def read_external(paths: list[str]) -> dict[str, External]:
    """One ExifTool call for ``paths`` and their sidecars; never raises."""
    global _READER
    wanted: dict[str, tuple[str, bool]] = {}  # ExifTool argument -> (path, is sidecar)
    sidecars: dict[str, str] = {}
    fds: list[int] = []
    try:
        for path in paths:
            try:
                wanted[_arg(path, fds)] = (path, False)
                side = exiftool_reader.sidecar_of(path)
                if side:
                    sidecars[path] = side
                    wanted[_arg(side, fds)] = (path, True)
            except OSError:
                continue  # unreadable: the read proper quarantines it with the reason
        if not wanted:
            return {}
        if _READER is None:
            _READER = exiftool_reader.Reader()
        try:
            found = _READER.read(list(wanted))
        except Exception as error:  # noqa: BLE001 - any ExifTool failure: keep ingesting
            _READER = None  # started afresh for the next batch
            problem = f"ExifTool failed, built-in reader used: {type(error).__name__}: {error}"
            return {path: External(problem=problem) for path, _ in wanted.values()}
    finally:
        for fd in fds:
            os.close(fd)
    out: dict[str, dict[str, Any]] = {}
    for arg, (path, is_sidecar) in wanted.items():
        out.setdefault(path, {})["sidecar_tags" if is_sidecar else "tags"] = found.get(arg)
    return {path: External(tags=v.get("tags"), sidecar_tags=v.get("sidecar_tags"),
                           sidecar=sidecars.get(path)) for path, v in out.items()}


def close_reader() -> None:
    """Stop this process's ExifTool (an ingest run in-process, e.g. from a notebook)."""
    global _READER
    if _READER is not None:
        _READER.close()
        _READER = None


def builtin_sources(meta: dict[str, Any]) -> dict[str, str]:
    """Sources of what the built-in reader found."""
    sources: dict[str, str] = {}
    if meta.get("lat") is not None:
        gps = meta.get("extra", {}).get("gps_source", "exif")
        sources["location"] = f"{'XMP' if gps == 'xmp' else 'EXIF GPS'} ({BUILTIN})"
    for name in FIELDS:
        if meta.get(name) is not None:
            sources[name] = f"EXIF ({BUILTIN})"
    return sources


def merge(values: dict[str, Any], sources: dict[str, str], external: External | None,
          fill_only: bool = False) -> list[str]:
    """Put ExifTool's values into ``values`` (a record or metadata dict), with sources.

    Args:
        values: has the keys of :data:`PLACE_TIME_CAMERA`; updated in place.
        sources: updated in place.
        external: what ExifTool read (None: nothing to merge).
        fill_only: only fill values that are missing (after the built-in reader).

    Returns:
        Problems to record (ExifTool failed) and, under ``"sidecar"``, nothing: the
        sidecar record is added to ``values["_sidecar"]`` when there is one.
    """
    if external is None:
        return []
    if external.problem:
        return [external.problem]
    found = exiftool_reader.extract(external.tags, external.sidecar_tags)
    if found["lat"] is not None and not (fill_only and values.get("lat") is not None):
        values["lat"], values["lon"], values["alt"] = found["lat"], found["lon"], found["alt"]
        sources["location"] = f"{found['sources']['location']} (ExifTool)"
    for name in FIELDS:
        if found[name] is not None and not (fill_only and values.get(name) is not None):
            values[name] = found[name]
            sources[name] = f"{found['sources'][name]} (ExifTool)"
    if external.sidecar:
        values["_sidecar"] = sidecar_record(external.sidecar)
    return []


def sidecar_record(path: str) -> dict[str, Any]:
    """Where the sidecar is and its SHA-256 (it is evidence too, read-only)."""
    from workbench.ingest.hashing import file_hashes

    hashes, size = file_hashes(path)
    return {"path": display_path(path), "sha256": hashes["sha256"], "bytes": size}
