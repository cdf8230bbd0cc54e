"""The work done for one file, in a worker process: read once, hash, decode, parse.

Workers never touch the case database; they return plain dicts that the main process
writes in one transaction per file. Frames of a video are the one thing a worker
writes, and only under the case's ``derived/`` folder.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import EvidenceError
from workbench.ingest.external import (
    HEAD_BYTES,
    PLACE_TIME_CAMERA,
    External,
    builtin_sources,
    merge,
    read_external,
    wanted_after,
    wanted_before,
)
from workbench.ingest.hashing import PDQ_INPUT_SIDE, file_hashes_bytes, pdq_of_rgb
from workbench.ingest.images import (
    DEFAULT_MAX_PIXELS,
    is_video_name,
    open_image,
    reduce_to,
    sniff,
    to_rgb,
)
from workbench.ingest.sources import MEMBER_SEP, Item, read_member
from workbench.ingest.video import FrameSampling, sample_frames, video_info
from workbench.paths import display_path

# Images are read into memory in one go (one read serves hashing and decoding);
# videos above this are hashed as a stream instead.
MAX_IN_MEMORY = 512 << 20


@dataclass(frozen=True)
class WorkerSettings:
    """What a worker needs to know (picklable, no case handle)."""

    case_dir: str
    sampling: FrameSampling = field(default_factory=FrameSampling)
    max_pixels: int = DEFAULT_MAX_PIXELS
    # JPEGs are decoded at reduced DCT scale for PDQ; every byte is still decoded.
    draft_side: int | None = PDQ_INPUT_SIDE
    # read place/time/camera with ExifTool (checked available by the parent)
    exiftool: bool = False


def process_batch(items: list[Item], settings: WorkerSettings) -> list[dict[str, Any]]:
    """:func:`process_item` for several files, with at most two ExifTool calls for all of
    them (see :mod:`workbench.ingest.external` for which files are sent)."""
    if not settings.exiftool:
        return [process_item(item, settings) for item in items]
    before = read_external([i.path for i in items if wanted_before(i.path)])
    results = [process_item(item, settings, before.get(item.path)) for item in items]
    later = [r for r in results if r.pop("_wants_exiftool", False)
             and r["item"].path not in before]
    after = read_external([r["item"].path for r in later])
    for result in later:
        record = result["records"][0]
        sources = record["metadata"].setdefault("sources", {})
        record["problems"] += merge(record, sources, after.get(result["item"].path),
                                    fill_only=True)
        if "_sidecar" in record:
            record["metadata"]["sidecar"] = record.pop("_sidecar")
    return results


def process_item(item: Item, settings: WorkerSettings, external: External | None = None
                 ) -> dict[str, Any]:
    """Everything the store needs about one file, or why it could not be read.

    ``external`` is what ExifTool read for it (see :func:`process_batch`).

    Returns:
        ``{"item": item, "records": [...]}`` where the first record is the file itself
        and any further ones are its video frames; or ``{"item", "error": (reason,
        detail), "sha256"}`` when the file is quarantined.
    """
    sha256 = None
    try:
        data, hashes, size = _read(item)
        sha256 = hashes["sha256"]
        head = data[:32] if data is not None else _head(item)
        kind = sniff(head, item.path)
        if kind == "VIDEO" or (kind is None and is_video_name(item.path) and size > 0):
            records = _video_records(item, data, hashes, size, settings, external)
        else:
            if data is None:
                raise EvidenceError("unsupported_format", "file too large to be an image")
            records = [_image_record(data, item.path, hashes, settings, external)]
            if settings.exiftool and MEMBER_SEP not in item.path and external is None:
                # metadata the built-in reader does not read may fill its gaps
                return {"item": item, "records": records,
                        "_wants_exiftool": wanted_after(data[:HEAD_BYTES], records[0])}
        return {"item": item, "records": records}
    except EvidenceError as error:
        return {"item": item, "error": (error.reason, error.detail), "sha256": sha256}
    except MemoryError:
        return {"item": item, "error": ("too_large", "not enough memory to decode"),
                "sha256": sha256}


def _read(item: Item) -> tuple[bytes | None, dict[str, str], int]:
    """One read of the original: bytes in memory plus hashes (streamed when huge)."""
    if MEMBER_SEP in item.path:
        archive, member = item.path.split(MEMBER_SEP, 1)
        data = read_member(archive, member)
        return data, file_hashes_bytes(data), len(data)
    try:
        size = os.stat(item.path).st_size
        if size > MAX_IN_MEMORY:
            from workbench.ingest.hashing import file_hashes

            hashes, size = file_hashes(item.path)
            return None, hashes, size
        with open(item.path, "rb") as handle:  # read-only: evidence is never modified
            data = handle.read()
    except OSError as error:
        raise EvidenceError("unreadable_file", f"{type(error).__name__}: {error}") from None
    if not data:
        raise EvidenceError("empty_file", "the file has 0 bytes")
    return data, file_hashes_bytes(data), len(data)


def _head(item: Item) -> bytes:
    with open(item.path, "rb") as handle:
        return handle.read(32)


def _image_record(data: bytes, path: str, hashes: dict[str, str],
                  settings: WorkerSettings, external: External | None = None
                  ) -> dict[str, Any]:
    from workbench.ingest.metadata import read_metadata

    decoded = open_image(data, name=path, max_pixels=settings.max_pixels,
                         draft_side=settings.draft_side)
    meta = read_metadata(decoded.image, data, decoded.format)
    sources = builtin_sources(meta)
    meta["problems"].extend(merge(meta, sources, external))
    if "_sidecar" in meta:
        meta["extra"]["sidecar"] = meta.pop("_sidecar")
    meta["extra"]["sources"] = sources
    # PDQ looks at 64x64 luma: hash a box-reduced copy (<= 512 px), made upright first.
    small = to_rgb(reduce_to(decoded.image, PDQ_INPUT_SIDE), meta["orientation"])
    pdq, quality = pdq_of_rgb(np.asarray(small))
    width, height = decoded.width, decoded.height
    if (meta["orientation"] or 1) >= 5:  # 5-8 swap axes: store the size as analysed
        width, height = height, width
    problems = [*meta["problems"], *(f"decoder warning: {w}" for w in decoded.warnings)]
    extra = dict(meta["extra"])
    extra["stored_size"] = [decoded.width, decoded.height]
    if decoded.frames > 1:
        extra["frames"] = decoded.frames
    return {
        "id": hashes["sha256"], "kind": "image", "md5": hashes["md5"], "sha1": hashes["sha1"],
        "pdq": pdq, "pdq_quality": quality, "bytes": len(data), "format": decoded.format,
        "width": width, "height": height, "captured_at": meta["captured_at"],
        "lat": meta["lat"], "lon": meta["lon"], "alt": meta["alt"], "make": meta["make"],
        "model": meta["model"], "serial": meta["serial"], "software": meta["software"],
        "orientation": meta["orientation"],
        "status": "metadata_problem" if problems else "ok",
        "problems": problems, "metadata": extra,
    }


def _video_records(item: Item, data: bytes | None, hashes: dict[str, str], size: int,
                   settings: WorkerSettings, external: External | None = None
                   ) -> list[dict[str, Any]]:
    case_dir = Path(settings.case_dir)
    temp: str | None = None
    fd: int | None = None
    path = item.path
    if data is not None and MEMBER_SEP in item.path:
        # OpenCV needs a file: a zip member goes to the case's scratch folder, never
        # beside the evidence, and is removed afterwards.
        scratch = case_dir / "derived" / "tmp"
        scratch.mkdir(parents=True, exist_ok=True)
        suffix = Path(item.path).suffix or ".mp4"
        handle, temp = tempfile.mkstemp(suffix=suffix, dir=scratch)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        path = temp
    elif display_path(path) != path and os.path.isdir("/proc/self/fd"):
        # OpenCV takes names as UTF-8 text: a name that is not UTF-8 is opened here and
        # handed over as this process's descriptor link (read-only, no copy).
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as error:
            raise EvidenceError("unreadable_file", f"{type(error).__name__}: {error}") from None
        path = f"/proc/self/fd/{fd}"
    try:
        info = video_info(path)
        if temp and settings.exiftool:  # a zipped video: its scratch copy can be read
            external = read_external([temp]).get(temp)
        frames = sample_frames(path, hashes["sha256"], case_dir, settings.sampling)
    finally:
        if temp:
            os.unlink(temp)
        if fd is not None:
            os.close(fd)
    meta: dict[str, Any] = dict.fromkeys(PLACE_TIME_CAMERA)
    sources: dict[str, str] = {}
    problems = merge(meta, sources, external)  # the built-in reader reads no video metadata
    extra = {"sidecar": meta.pop("_sidecar")} if "_sidecar" in meta else {}
    video = {
        "id": hashes["sha256"], "kind": "video", "md5": hashes["md5"], "sha1": hashes["sha1"],
        "bytes": size, "format": info["codec"] or Path(item.path).suffix.lstrip(".").upper(),
        "width": info["width"], "height": info["height"], "status": "ok",
        "problems": problems,
        "metadata": {k: info[k] for k in ("fps", "frame_count", "duration_s", "codec")}
        | {"frames_sampled": len(frames), "sources": sources} | extra,
        **{k: meta[k] for k in PLACE_TIME_CAMERA},
    }
    # frames are where and (start + offset) when the video was taken: map and timeline
    frame_sources = {k: f"{v}, of the video" for k, v in sources.items()
                     if k in ("location", "captured_at")}
    records = [video]
    for frame in frames:
        pdq, quality = pdq_of_rgb(frame.rgb)
        records.append({
            "lat": meta["lat"], "lon": meta["lon"], "alt": meta["alt"],
            "captured_at": _plus_seconds(meta["captured_at"], frame.time_s),
            "id": frame.sha256, "kind": "video_frame", "pdq": pdq, "pdq_quality": quality,
            "md5": frame.md5, "sha1": frame.sha1, "bytes": frame.png_bytes, "format": "PNG",
            "width": frame.width, "height": frame.height, "parent_id": hashes["sha256"],
            "frame_time_s": frame.time_s, "derived_path": frame.derived_path,
            "status": "ok", "problems": [],
            "metadata": {"frame_index": frame.frame_index, "sampled_because": frame.reason,
                         "sources": frame_sources},
            "_path": f"{item.path}#t={frame.time_s:.3f}",
        })
    return records


def _plus_seconds(stamp: str | None, seconds: float) -> str | None:
    """An ISO 8601 time plus a frame's offset into the video (None stays None)."""
    if stamp is None:
        return None
    try:
        return (datetime.fromisoformat(stamp) + timedelta(seconds=seconds)).isoformat()
    except ValueError:
        return None
