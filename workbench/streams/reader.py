"""A reader thread that keeps a stream drained into a small bounded buffer.

The analysis is slower than most streams, and a network stream that is not read fills
the sender's buffers until frames arrive late or the connection drops. So one thread
reads every frame as it comes, picks the frames to analyse (``fps`` samples per second
of stream time, plus scene changes when asked), and puts them in a bounded buffer. When
the analysis falls behind and the buffer is full, the *oldest* waiting frame is dropped
(a live watch wants the freshest picture) and counted.

Every frame is accounted for: ``received = skipped + sampled`` (skipped: not chosen by
the sampling) and, once the watch has stopped and the buffer is drained,
``sampled = analysed + dropped``.

A live source (URL, device) that drops is reopened with exponential backoff; a file is
played at its own frame rate (``realtime``) and simply ends.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from workbench.ingest.video import FrameSampler
from workbench.streams.source import Source, open_capture
from workbench.types import utc_now


@dataclass(frozen=True)
class ReaderSettings:
    """How frames are read, sampled and buffered.

    Attributes:
        fps: frames sampled per second of stream time; 0 or less samples every frame.
        scene_threshold: also sample a frame whose colour histogram differs from the
            previous frame's by more than this Bhattacharyya distance (0-1); None: off.
        min_scene_gap_s: no two scene-change samples closer than this.
        buffer: sampled frames waiting for the analysis; beyond it the oldest is dropped.
        realtime: play a file at its own frame rate (as a camera would deliver it).
        open_timeout_s: how long opening a source may take.
        read_timeout_s: how long a read may wait for the next frame.
        backoff_s: first wait before reconnecting a dropped live source (doubles).
        backoff_max_s: longest wait between reconnection attempts.
        max_retries: consecutive failed reconnections before the reader gives up.
    """

    fps: float = 1.0
    scene_threshold: float | None = None
    min_scene_gap_s: float = 0.5
    buffer: int = 8
    realtime: bool = True
    open_timeout_s: float = 10.0
    read_timeout_s: float = 10.0
    backoff_s: float = 0.5
    backoff_max_s: float = 8.0
    max_retries: int = 10


@dataclass
class Frame:
    """One sampled frame on its way to the analysis.

    Attributes:
        bgr: the decoded pixels (OpenCV's BGR order).
        index: frames received before this one (all connections together).
        sample: sampled frames before this one, dropped ones included (tracks use it:
            a dropped sample is a gap in time).
        time_s: seconds of stream time since the watch started (a file's own clock;
            the receiving clock for live sources).
        received_at: wall-clock time (UTC) the frame was read.
        received_mono: ``time.monotonic()`` when it was read (for lag).
        reason: ``rate`` or ``scene``.
        connection: which connection delivered it (1 for the first, +1 per reconnect).
    """

    bgr: np.ndarray = field(repr=False)
    index: int
    sample: int
    time_s: float
    received_at: datetime
    received_mono: float
    reason: str
    connection: int


@dataclass
class Counters:
    """What the reader has seen; read them through :meth:`FrameReader.counters`."""

    received: int = 0
    skipped: int = 0
    sampled: int = 0
    dropped: int = 0
    reconnects: int = 0
    connections: int = 0
    failed_opens: int = 0
    first_mono: float = 0.0
    last_mono: float = 0.0


class FrameReader:
    """Reads ``source`` on its own thread into a bounded buffer.

    Example:
        >>> reader = FrameReader(parse_source("clip.mp4"))       # doctest: +SKIP
        >>> reader.start(); frame = reader.get(timeout=1.0)      # doctest: +SKIP
        >>> reader.stop()                                        # doctest: +SKIP
    """

    def __init__(self, source: Source, settings: ReaderSettings | None = None) -> None:
        self.source = source
        self.settings = settings or ReaderSettings()
        self.ended = threading.Event()
        self.end_reason = ""
        self.state = "connecting"
        self._stop = threading.Event()
        self._buffer: deque[Frame] = deque()
        self._lock = threading.Condition()
        self._counters = Counters()
        self._thread = threading.Thread(target=self._run, name="stream-reader", daemon=True)
        self._start_mono = 0.0
        self._sampler = FrameSampler(self.settings.fps, self.settings.scene_threshold,
                                     self.settings.min_scene_gap_s)

    # -- the consumer's side ---------------------------------------------------------

    def start(self) -> FrameReader:
        self._start_mono = time.monotonic()
        self._thread.start()
        return self

    def get(self, timeout: float = 0.5) -> Frame | None:
        """The oldest waiting frame, or None if none came within ``timeout`` seconds."""
        with self._lock:
            if not self._buffer:
                self._lock.wait(timeout)
            return self._buffer.popleft() if self._buffer else None

    def counters(self) -> Counters:
        """A consistent copy of the counters."""
        with self._lock:
            return Counters(**self._counters.__dict__)

    def waiting(self) -> int:
        with self._lock:
            return len(self._buffer)

    def stop(self, join_s: float | None = None) -> int:
        """Stop reading; the frames still waiting count as dropped. Returns how many.

        Args:
            join_s: how long to wait for the thread (a blocked read ends by its timeout).
        """
        self._stop.set()
        wait = self.settings.read_timeout_s + 1.0 if join_s is None else join_s
        self._thread.join(wait)
        with self._lock:
            left = len(self._buffer)
            self._buffer.clear()
            self._counters.dropped += left
        return left

    # -- the reading thread -------------------------------------------------------------

    def _run(self) -> None:
        s = self.settings
        failures, connection = 0, 0
        try:
            while not self._stop.is_set():
                capture = open_capture(self.source, s.open_timeout_s, s.read_timeout_s)
                if capture is None:
                    with self._lock:
                        self._counters.failed_opens += 1
                    failures += 1
                    if not self.source.live:
                        self.end_reason = "the file could not be opened"
                        return
                    if failures > s.max_retries:
                        self.end_reason = f"gave up after {s.max_retries} failed reconnections"
                        return
                    self.state = "reconnecting"
                    self._stop.wait(min(s.backoff_max_s, s.backoff_s * 2 ** (failures - 1)))
                    continue
                connection += 1
                with self._lock:
                    self._counters.connections = connection
                    if connection > 1:
                        self._counters.reconnects += 1
                self.state = "running"
                got = self._drain(capture, connection)
                if got:
                    failures = 0
                if self._stop.is_set():
                    break
                if not self.source.live:
                    self.end_reason = "end of file"
                    return
                failures += 1  # the stream dropped (or ended): retry with backoff
                if failures > s.max_retries:
                    self.end_reason = f"gave up after {s.max_retries} failed reconnections"
                    return
                self.state = "reconnecting"
                self._stop.wait(min(s.backoff_max_s, s.backoff_s * 2 ** (failures - 1)))
            self.end_reason = self.end_reason or "stopped"
        finally:
            self.state = "stopped"
            self.ended.set()
            with self._lock:
                self._lock.notify_all()

    def _drain(self, capture: Any, connection: int) -> int:
        """Read one connection until it fails or the reader stops; returns frames read."""
        import cv2

        file_fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0) or 25.0
        pace = self.source.kind == "file" and self.settings.realtime
        opened = time.monotonic()
        got = 0
        try:
            while not self._stop.is_set():
                ok, bgr = capture.read()
                if not ok or bgr is None:
                    return got
                now = time.monotonic()
                if self.source.kind == "file":
                    t = got / file_fps
                    if pace and opened + t > now:
                        # a camera delivers frame n at n/fps: so does a file played live
                        self._stop.wait(opened + t - now)
                        now = time.monotonic()
                else:
                    t = now - self._start_mono
                got += 1
                self._offer(bgr, t, now, connection)
        finally:
            capture.release()
        return got

    def _offer(self, bgr: np.ndarray, t: float, now: float, connection: int) -> None:
        reason = self._reason(bgr, t)
        with self._lock:
            c = self._counters
            c.received += 1
            c.first_mono = c.first_mono or now
            c.last_mono = now
            if not reason:
                c.skipped += 1
                return
            frame = Frame(bgr=bgr, index=c.received - 1, sample=c.sampled, time_s=round(t, 3),
                          received_at=utc_now(), received_mono=now, reason=reason,
                          connection=connection)
            c.sampled += 1
            if len(self._buffer) >= max(1, self.settings.buffer):
                self._buffer.popleft()  # the analysis is behind: the oldest frame goes
                c.dropped += 1
            self._buffer.append(frame)
            self._lock.notify()

    def _reason(self, bgr: np.ndarray, t: float) -> str:
        """``rate``, ``scene`` or '' (not sampled), as the ingest samples video files;
        ``fps <= 0`` offers every frame."""
        if self.settings.fps <= 0:
            return "rate"
        return self._sampler.reason(bgr, t)
