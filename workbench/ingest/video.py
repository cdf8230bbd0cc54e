"""Video: read with OpenCV, sample frames at a fixed rate plus on scene changes.

Each sampled frame is written losslessly as PNG under the case's
``derived/frames/<video_sha256>/`` and becomes an Evidence of kind ``video_frame``
whose id is the SHA-256 of that PNG. The video file itself is never written to.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import EvidenceError
from workbench.ingest.hashing import file_hashes_bytes

# Frames are compared on a small HSV histogram: robust to noise and compression,
# sensitive to cuts.
_HIST_BINS = (8, 8, 8)
_HIST_WIDTH = 160


@dataclass(frozen=True)
class FrameSampling:
    """How frames are chosen from a video.

    Attributes:
        fps: regular samples per second of video.
        scene_threshold: Bhattacharyya distance between consecutive frames' HSV
            histograms above which a frame counts as a scene change (0-1).
        min_scene_gap_s: no two scene-change samples closer than this.
        max_frames: cap on sampled frames per video (a long video cannot fill the disk).
    """

    fps: float = 1.0
    scene_threshold: float = 0.5
    min_scene_gap_s: float = 0.5
    max_frames: int = 2000


@dataclass
class SampledFrame:
    """One frame written to ``derived/``: its record fields and where it lives."""

    sha256: str
    md5: str
    sha1: str
    png_bytes: int
    derived_path: str      # relative to the case folder
    frame_index: int
    time_s: float
    width: int
    height: int
    reason: str            # "rate" or "scene"
    rgb: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))


def scene_histogram(frame_bgr: np.ndarray) -> np.ndarray:
    """The frame's scene signature: a normalised 8x8x8 HSV histogram of a 160-px-wide copy.

    Two frames' signatures compared with ``cv2.compareHist(a, b,
    cv2.HISTCMP_BHATTACHARYYA)`` give the distance that :class:`FrameSampling`'s
    ``scene_threshold`` is measured in; the video ingest and the live stream reader
    (:mod:`workbench.streams.reader`) both sample scene changes on it.

    Args:
        frame_bgr: an ``H x W x 3`` uint8 frame in OpenCV's BGR order.

    Returns:
        A flat float32 array of 512 bins.
    """
    import cv2

    height, width = frame_bgr.shape[:2]
    scale = _HIST_WIDTH / max(width, 1)
    small = cv2.resize(frame_bgr, (_HIST_WIDTH, max(1, int(height * scale))),
                       interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1, 2], None, list(_HIST_BINS), [0, 180, 0, 256, 0, 256])
    return cv2.normalize(hist, hist).flatten()


def video_info(path: str) -> dict[str, Any]:
    """Width, height, fps, frame count, duration and codec of a readable video."""
    import cv2

    capture = cv2.VideoCapture(path)
    try:
        if not capture.isOpened():
            raise EvidenceError("video_unreadable", "OpenCV cannot open the video container")
        fourcc = int(capture.get(cv2.CAP_PROP_FOURCC))
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        return {
            "width": int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            "height": int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            "fps": fps, "frame_count": count,
            "duration_s": count / fps if fps > 0 else None,
            "codec": "".join(chr((fourcc >> (8 * i)) & 0xFF) for i in range(4)).strip("\x00"),
        }
    finally:
        capture.release()


class FrameSampler:
    """Which frames of a video or stream to sample, frame by frame in time order.

    One frame every ``1 / fps`` seconds of the video's own time (``fps <= 0``: the first
    frame only), plus a scene change: a frame whose :func:`scene_histogram` is further than
    ``scene_threshold`` from the previous frame's, at least ``min_scene_gap_s`` after the
    last scene-change sample. ``scene_threshold=None`` samples by rate alone and computes
    no histograms. The video ingest and the live stream reader both decide with this.
    """

    def __init__(self, fps: float, scene_threshold: float | None,
                 min_scene_gap_s: float) -> None:
        self._step = 1.0 / fps if fps > 0 else float("inf")
        self._scene_threshold = scene_threshold
        self._min_scene_gap_s = min_scene_gap_s
        self._next_rate_t = 0.0
        self._last_scene_t = -1e9
        self._previous_hist: np.ndarray | None = None

    def reason(self, frame_bgr: np.ndarray, t: float) -> str:
        """``rate``, ``scene`` or ``""`` (not sampled) for the frame at ``t`` seconds."""
        reason = ""
        if t + 1e-9 >= self._next_rate_t:
            reason = "rate"
            while self._next_rate_t <= t + 1e-9:
                self._next_rate_t += self._step
        if self._scene_threshold is None:
            return reason
        import cv2

        hist = scene_histogram(frame_bgr)
        previous, self._previous_hist = self._previous_hist, hist
        if reason or previous is None or t - self._last_scene_t < self._min_scene_gap_s:
            return reason
        if cv2.compareHist(previous, hist, cv2.HISTCMP_BHATTACHARYYA) > self._scene_threshold:
            self._last_scene_t = t
            return "scene"
        return ""


def sample_frames(path: str, video_sha256: str, case_dir: Path,
                  sampling: FrameSampling = FrameSampling()) -> list[SampledFrame]:
    """Decode ``path`` sequentially and write the sampled frames as PNG in the case.

    Args:
        path: a readable video file (a zip member is first copied to ``derived/tmp``).
        video_sha256: SHA-256 of the video file (names the frames folder).
        case_dir: the case folder.
        sampling: rate, scene-change threshold and caps.

    Returns:
        The sampled frames in time order, each with its RGB pixels for hashing.

    Raises:
        EvidenceError: ``video_unreadable`` if no frame can be decoded.
    """
    import cv2

    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        raise EvidenceError("video_unreadable", "OpenCV cannot open the video container")
    relative = Path("derived") / "frames" / video_sha256
    out_dir = case_dir / relative
    out_dir.mkdir(parents=True, exist_ok=True)
    fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0) or 25.0
    sampler = FrameSampler(sampling.fps, sampling.scene_threshold, sampling.min_scene_gap_s)
    frames: list[SampledFrame] = []
    index = -1
    try:
        while len(frames) < sampling.max_frames:
            ok, frame = capture.read()
            if not ok or frame is None:
                break
            index += 1
            t = index / fps
            reason = sampler.reason(frame, t)
            if reason:
                frames.append(_write_frame(frame, index, t, reason, out_dir, relative))
    finally:
        capture.release()
    if index < 0:
        raise EvidenceError("video_unreadable", "no frame could be decoded")
    return frames


def _write_frame(frame: np.ndarray, index: int, t: float, reason: str, out_dir: Path,
                 relative: Path) -> SampledFrame:
    import cv2

    ok, encoded = cv2.imencode(".png", frame)
    if not ok:
        raise EvidenceError("video_unreadable", f"frame {index} could not be encoded as PNG")
    data = encoded.tobytes()
    hashes = file_hashes_bytes(data)
    sha = hashes["sha256"]
    name = f"f{index:07d}.png"
    target = out_dir / name
    if not target.exists():
        # Write then rename so a kill mid-write never leaves a half PNG under its final name.
        partial = target.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(data)
        os.replace(partial, target)
    height, width = frame.shape[:2]
    return SampledFrame(sha256=sha, md5=hashes["md5"], sha1=hashes["sha1"], png_bytes=len(data),
                        derived_path=str(relative / name),
                        frame_index=index, time_s=round(t, 3), width=width, height=height,
                        reason=reason, rgb=cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
