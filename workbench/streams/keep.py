"""Keep the analysed frames of a stream in the case, hashed, so every hit points at one.

A stream has no file to hash, so a watch keeps what it analysed:

* ``derived/streams/<run_id>/stream.json`` describes the session (source, run, start);
  its SHA-256 is the id of a ``video`` evidence item, the parent of the frames.
* every analysed frame is a JPEG ``derived/streams/<run_id>/<segment>/s<sample>.jpg``,
  a ``video_frame`` evidence item (id: SHA-256 of the JPEG; MD5, SHA-1 and PDQ as the
  ingest records them; ``frame_time_s`` its stream time; ``captured_at`` when it was
  received). The analysis reads the pixels *of the kept JPEG*, so re-analysing the kept
  frame gives the same faces. A frame whose JPEG is byte for byte one the case already
  holds (a frozen picture, a looped file) stays one evidence item: the repeat adds a
  source path (``...&t=<its time>``) and a line in its segment, and the item keeps the
  metadata, faces and tracks of its first sighting (see :mod:`workbench.streams.watch`).
* every ``segment_s`` seconds of stream time the frames so far are closed into a segment:
  ``segment-NNNN.json`` lists each frame's SHA-256, time and file with the segment's time
  span and the previous segment's SHA-256, and the audit log (hash-chained) records the
  segment's SHA-256 (``stream.segment``). A frame missing, changed or added later breaks
  the segment's hash, and a segment removed breaks the chain.

All of it lives under the case's ``derived/`` folder, never beside original evidence.
:func:`stream_frames` reads the kept frames back in the order they were analysed (what
re-scoring replays per track).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from workbench.errors import CaseError, EvidenceError
from workbench.ingest.hashing import file_hashes_bytes, pdq_of_rgb
from workbench.streams.reader import Frame
from workbench.types import Evidence

if TYPE_CHECKING:
    from workbench.store.case import Case

STREAMS_DIR = "streams"
# The ``format`` of a watch's session item (the parent of its frames).
STREAM_FORMAT = "STREAM"


@dataclass
class KeptFrame:
    """A frame written to the case.

    Attributes:
        evidence_id: SHA-256 of the JPEG.
        path: the JPEG's path relative to the case folder.
        rgb: the pixels of the kept JPEG (what the analysis sees).
        jpeg: the JPEG bytes (for previews and alert crops).
        new: False when the case already held these exact bytes (a frozen or repeated
            picture): the frame is then one more sighting of that evidence item, not a
            new item.
    """

    evidence_id: str
    path: str
    rgb: np.ndarray = field(repr=False)
    jpeg: bytes = field(repr=False)
    new: bool = True


def _write_atomic(target: Path, data: bytes) -> None:
    # Write then rename: a kill mid-write never leaves a half file under its final name.
    partial = target.with_name(f"{target.name}.{os.getpid()}.part")
    partial.write_bytes(data)
    os.replace(partial, target)


class FrameKeeper:
    """Writes a watch's frames and segments into a case (see the module docs).

    Args:
        case: the open case.
        run_id: the watch run (names the folder; stamped on every evidence row).
        source: the source as recorded (password masked).
        segment_s: seconds of stream time per segment.
        quality: JPEG quality of the kept frames.
    """

    def __init__(self, case: Case, run_id: str, source: str, segment_s: float = 60.0,
                 quality: int = 90) -> None:
        self.case = case
        self.run_id = run_id
        self.source = source
        self.segment_s = segment_s
        self.quality = quality
        self.relative = Path("derived") / STREAMS_DIR / run_id
        self.folder = case.path / self.relative
        self.stream_id = ""
        self.segments: list[dict[str, Any]] = []
        self._frames: list[dict[str, Any]] = []
        self._previous = ""

    @property
    def kept(self) -> int:
        """Frames kept so far (one list append per frame, so a signal never splits it)."""
        return sum(s["frames"] for s in self.segments) + len(self._frames)

    @property
    def segment_index(self) -> int:
        return len(self.segments)

    def open(self, started_at: str) -> str:
        """Write the session descriptor and its ``video`` evidence; returns its id."""
        self.folder.mkdir(parents=True, exist_ok=True)
        descriptor = {"type": "workbench.stream", "source": self.source, "run_id": self.run_id,
                      "started_at": started_at, "segment_s": self.segment_s}
        data = json.dumps(descriptor, indent=2, sort_keys=True).encode()
        _write_atomic(self.folder / "stream.json", data)
        hashes = file_hashes_bytes(data)
        self.stream_id = hashes["sha256"]
        shown = f"{self.source}#watch={self.run_id[:8]}"
        self._add(Evidence(
            id=self.stream_id, case=self.case.name, kind="video", source_paths=(shown,),
            captured_at=datetime.fromisoformat(started_at), hashes=hashes,
            metadata={"bytes": len(data), "format": STREAM_FORMAT, "status": "ok",
                      "stream": descriptor, "descriptor": str(self.relative / "stream.json")}),
            shown)
        return self.stream_id

    def _add(self, evidence: Evidence, path: str) -> bool:
        from workbench.store.evidence import add

        return add(self.case, evidence, path, run_id=self.run_id)

    def keep(self, frame: Frame) -> KeptFrame:
        """Write one frame as JPEG and record it as ``video_frame`` evidence."""
        import cv2

        if self._frames and frame.time_s - self._frames[0]["time_s"] >= self.segment_s:
            self.close_segment()
        ok, encoded = cv2.imencode(".jpg", frame.bgr, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if not ok:
            raise EvidenceError("frame_unencodable", f"stream frame {frame.index}")
        data = encoded.tobytes()
        rgb = cv2.cvtColor(cv2.imdecode(encoded, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        hashes = file_hashes_bytes(data)
        folder = self.relative / f"segment-{self.segment_index:04d}"
        (self.case.path / folder).mkdir(parents=True, exist_ok=True)
        relative = folder / f"s{frame.sample:07d}.jpg"
        _write_atomic(self.case.path / relative, data)
        pdq, pdq_quality = pdq_of_rgb(rgb)
        height, width = rgb.shape[:2]
        captured = frame.received_at.isoformat(timespec="milliseconds")
        shown = f"{self.source}#watch={self.run_id[:8]}&t={frame.time_s:.3f}"
        new = self._add(Evidence(
            id=hashes["sha256"], case=self.case.name, kind="video_frame", source_paths=(shown,),
            captured_at=frame.received_at,
            hashes={**hashes, "pdq": pdq, "pdq_quality": pdq_quality},
            metadata={"bytes": len(data), "format": "JPEG", "width": width, "height": height,
                      "parent_id": self.stream_id, "frame_time_s": frame.time_s,
                      "derived_path": str(relative), "status": "ok",
                      "frame_index": frame.index, "sample": frame.sample,
                      "sampled_because": frame.reason, "connection": frame.connection,
                      "segment": self.segment_index, "source": self.source,
                      "sources": {"captured_at": "time the stream frame was received"}}),
            shown)
        self._frames.append({"sha256": hashes["sha256"], "time_s": frame.time_s,
                             "received_at": captured, "sample": frame.sample,
                             "path": str(relative)})
        return KeptFrame(hashes["sha256"], str(relative), rgb, data, new)

    def forget(self, kept: KeptFrame) -> None:
        """Undo :meth:`keep` for a frame whose evidence row was rolled back."""
        self._frames = [f for f in self._frames if f["path"] != kept.path]
        (self.case.path / kept.path).unlink(missing_ok=True)

    def close_segment(self) -> dict[str, Any] | None:
        """Close the open segment: write its manifest and audit its SHA-256."""
        if not self._frames:
            return None
        index = self.segment_index
        manifest = {
            "type": "workbench.stream_segment", "run_id": self.run_id, "source": self.source,
            "stream_evidence": self.stream_id, "index": index,
            "start_s": self._frames[0]["time_s"], "end_s": self._frames[-1]["time_s"],
            "start_at": self._frames[0]["received_at"], "end_at": self._frames[-1]["received_at"],
            "previous_sha256": self._previous, "frames": self._frames,
        }
        data = json.dumps(manifest, indent=2, sort_keys=True).encode()
        name = self.relative / f"segment-{index:04d}.json"
        _write_atomic(self.case.path / name, data)
        sha = file_hashes_bytes(data)["sha256"]
        summary = {k: manifest[k] for k in ("index", "start_s", "end_s", "start_at", "end_at")}
        summary.update(frames=len(self._frames), path=str(name), sha256=sha)
        self.case.audit("stream.segment", target=sha, detail={
            **summary, "run_id": self.run_id, "previous_sha256": self._previous})
        self.segments.append(summary)
        self._previous = sha
        self._frames = []
        return summary


def stream_frames(case: Case) -> pd.DataFrame:
    """The frames every watch of ``case`` kept, in the order the watch analysed them.

    Returns:
        ``evidence_id, run_id, sample, min_track_frames`` rows (``min_track_frames``: the
        watch's setting), by watch run and sample; empty when the case watched nothing.
    """
    columns = ["evidence_id", "run_id", "sample", "min_track_frames"]
    sessions = case.evidence("video")
    if sessions.empty:
        return pd.DataFrame(columns=columns)
    sessions = sessions[sessions["format"] == STREAM_FORMAT]
    run_of = {row.sha256: (row.metadata.get("stream") or {}).get("run_id", "")
              for row in sessions.itertuples()}
    if not run_of:
        return pd.DataFrame(columns=columns)
    frames = case.evidence("video_frame")
    frames = frames[frames["parent_id"].isin(list(run_of))]
    minimum: dict[str, int] = {}
    for run_id in set(run_of.values()):
        try:
            minimum[run_id] = int(case.run(run_id).params.get("min_track_frames") or 1)
        except CaseError:  # a session item whose run is gone: every face counts
            minimum[run_id] = 1
    out = pd.DataFrame({
        "evidence_id": frames["sha256"].to_numpy(object),
        "run_id": frames["parent_id"].map(run_of).to_numpy(object),
        "sample": [int(m.get("sample", -1)) for m in frames["metadata"]],
    })
    out["min_track_frames"] = out["run_id"].map(minimum).astype(int)
    return out.sort_values(["run_id", "sample"], kind="stable").reset_index(drop=True)[columns]
