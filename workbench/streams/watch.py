"""Watch a stream: read, sample, keep, analyse, track, score per track, alert, all live.

The reader thread (:mod:`workbench.streams.reader`) keeps the stream drained; this
module's loop, on the calling thread, takes the sampled frames one by one: keeps the
frame in the case (:mod:`workbench.streams.keep`), finds and describes its faces (the
workbench's :class:`~workbench.faces.engine.FaceEngine` by default), links them into
tracks (:mod:`workbench.streams.tracking`), evaluates the rules on each track
(:class:`workbench.criteria.scoring.TrackScorer`, which ``workbench score`` replays over
the kept frames, so a re-score gives the watch's hits) and stores each rule's hit once per
track as a criterion hit, which the review queue shows like any other, and sends it to
the alert channels when the settings name some and the hit reaches the review threshold.

Alerts never hold the analysis up: a background sender
(:class:`~workbench.streams.alerts.AlertSender`, one thread, a queue of ``alert_queue``)
sends them, and this loop writes each one's ``stream.alert`` audit entry when it is done.
An alert that finds the queue full, or that is still unsent when the watch stops and has
waited ``alert_drain_s`` for it, is audited as failed with the reason: none is lost
without a trace.

A frame byte for byte identical to one the case already holds (a frozen picture, a
looped file) is one more sighting of that evidence item (:mod:`workbench.streams.keep`):
its faces still feed the tracker, so a track runs on through a freeze, but they are
neither stored again nor scored again. The item keeps the faces and track ids of its first
sighting and a repeat adds no observation to a track's means or length, which is what
``workbench score`` replays; ``repeats`` counts such sightings.

The whole watch is one run (``kind='watch'``): source (password masked), sampling and
engine settings in its parameters; frames received, skipped, analysed and dropped,
reconnections, segments, first and last frame times and why it stopped in its summary.
Ctrl-C, SIGTERM, the widget's stop button, ``duration_s`` and ``max_frames`` all end it
the same clean way (the run is ``done``; the summary says what stopped it).
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.faces.tracks import TrackSettings
from workbench.streams.reader import Frame, FrameReader, ReaderSettings
from workbench.streams.source import Source, parse_source
from workbench.types import Faces, Hit, Run

if TYPE_CHECKING:
    from workbench.faces.settings import FaceSettings
    from workbench.store.case import Case
    from workbench.streams.alerts import AlertSender, StreamAlert
    from workbench.streams.keep import KeptFrame


@dataclass(frozen=True)
class Analyzer:
    """What finds faces in a kept frame: ``analyze(rgb, evidence_id, run_id) -> Faces``.

    Attributes:
        analyze: the analysis of one RGB frame.
        models: model names and versions (recorded in the run).
        params: analysis settings (recorded in the run).
        signature: the analysis signature (``analyze`` then skips the kept frames).
    """

    analyze: Callable[[np.ndarray, str, str], Faces]
    models: Mapping[str, str]
    params: Mapping[str, Any] = field(default_factory=dict)
    signature: str = ""


def engine_analyzer(settings: FaceSettings | None = None) -> Analyzer:
    """The face engine as an :class:`Analyzer` (models loaded now, once)."""
    from workbench.faces.engine import FaceEngine

    engine = FaceEngine(settings).load()
    run = engine.new_run()
    return Analyzer(lambda rgb, eid, rid: engine.analyze_image(rgb, evidence_id=eid, run_id=rid),
                    models=dict(run.models), params=dict(run.params),
                    signature=engine.signature())


@dataclass(frozen=True)
class WatchSettings:
    """What a watch does besides reading (see :class:`ReaderSettings` for that).

    Attributes:
        reader: sampling, buffer, pacing and reconnection.
        duration_s: stop after this many seconds (None: until stopped).
        max_frames: stop after analysing this many frames (None: no limit).
        segment_s: seconds of stream time per kept segment.
        jpeg_quality: quality of the kept frames.
        min_track_frames: a track is scored once it has this many frames.
        track: the tracker's knobs.
        rules: a rules YAML file (None: the default rules).
        alerts: alert settings JSON (None: ``$WORKBENCH_ALERTS``, else no alerts).
        alert_queue: the most alerts waiting to be sent; one more is audited as failed.
        alert_drain_s: how long a stopping watch waits for unsent alerts (None: the
            channels' timeouts plus 5 s); those left are audited as failed.
    """

    reader: ReaderSettings = field(default_factory=ReaderSettings)
    duration_s: float | None = None
    max_frames: int | None = None
    segment_s: float = 60.0
    jpeg_quality: int = 90
    min_track_frames: int = 1
    track: TrackSettings = field(default_factory=TrackSettings)
    rules: str | None = None
    alerts: str | None = None
    alert_queue: int = 100
    alert_drain_s: float | None = None


@dataclass
class WatchStatus:
    """The live state of a watch (what the CLI prints and the widget shows)."""

    run_id: str = ""
    source: str = ""
    state: str = "starting"
    received: int = 0
    skipped: int = 0
    sampled: int = 0
    analysed: int = 0
    dropped: int = 0
    waiting: int = 0
    reconnects: int = 0
    kept: int = 0
    repeats: int = 0
    faces: int = 0
    tracks: int = 0
    hits: int = 0
    alerts: int = 0
    alerts_pending: int = 0
    alerts_failed: int = 0
    segments: int = 0
    errors: int = 0
    rate_fps: float = 0.0
    lag_s: float = 0.0
    elapsed_s: float = 0.0
    receive_span_s: float = 0.0
    stopped_by: str = ""
    first_frame_at: str | None = None
    last_frame_at: str | None = None
    frame_lags: list[float] = field(default_factory=list, repr=False)
    hit_lags: list[float] = field(default_factory=list, repr=False)
    frame_seconds: list[float] = field(default_factory=list, repr=False)
    recent_hits: list[dict[str, Any]] = field(default_factory=list, repr=False)
    last_jpeg: bytes = field(default=b"", repr=False)
    last_boxes: list[list[float]] = field(default_factory=list, repr=False)
    last_width: int = 0

    def summary(self) -> dict[str, Any]:
        """The counts, times and lag figures (no pixels), JSON-friendly."""
        skip = {"frame_lags", "hit_lags", "frame_seconds", "recent_hits", "last_jpeg",
                "last_boxes", "last_width"}
        out = {k: v for k, v in self.__dict__.items() if k not in skip}
        out.update(lag_median_s=_percentile(self.frame_lags, 50),
                   lag_p95_s=_percentile(self.frame_lags, 95),
                   hit_lag_median_s=_percentile(self.hit_lags, 50),
                   hit_lag_p95_s=_percentile(self.hit_lags, 95),
                   frame_s_median=_percentile(self.frame_seconds, 50),
                   # what one frame costs (keep, analyse, store) sets the most fps it keeps up
                   sustainable_fps=round(len(self.frame_seconds) / sum(self.frame_seconds), 3)
                   if self.frame_seconds else None)
        return out


def settings_for_fps(fps: float) -> WatchSettings:
    """Default watch settings sampling ``fps`` frames a second (what the live widget uses)."""
    return WatchSettings(reader=ReaderSettings(fps=fps))


def _percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


def watch(case: Case | str | os.PathLike[str], source: str | Source,
          settings: WatchSettings | None = None, analyzer: Analyzer | None = None,
          stop: threading.Event | None = None,
          on_update: Callable[[WatchStatus], None] | None = None) -> WatchStatus:
    """Watch ``source`` into ``case`` until it ends or is stopped.

    Args:
        case: an open case or a case folder.
        source: a URL, ``/dev/videoN`` or a file, or a parsed :class:`Source`.
        settings: what to do (defaults: 1 fps, default rules, no limits).
        analyzer: the face analysis (default: the face engine with default settings).
        stop: set it to stop the watch (the widget's stop button).
        on_update: called with the status after every frame and while waiting.

    Returns:
        The final status (its :meth:`WatchStatus.summary` is the run's summary).
    """
    from workbench.store import Case

    own = not isinstance(case, Case)
    opened = Case.open(case) if own else case
    try:
        return _Watch(opened, source if isinstance(source, Source) else parse_source(source),
                      settings or WatchSettings(), analyzer or engine_analyzer(),
                      stop or threading.Event(), on_update).run()
    finally:
        if own:
            opened.close()


class _Watch:
    def __init__(self, case: Case, source: Source, settings: WatchSettings, analyzer: Analyzer,
                 stop: threading.Event, on_update: Callable[[WatchStatus], None] | None) -> None:
        from workbench.criteria.rules import load_rules
        from workbench.criteria.threshold import get_threshold
        from workbench.missing.alerts import AlertSettings

        self.case, self.source, self.settings, self.analyzer = case, source, settings, analyzer
        self.stop, self.on_update = stop, on_update
        self.rules = load_rules(settings.rules)
        self.threshold = get_threshold(case)
        self.alert_settings = AlertSettings.load(settings.alerts)
        self.sender: AlertSender | None = None
        if self.alert_settings is not None:
            from workbench.streams.alerts import AlertSender

            self.sender = AlertSender(self.alert_settings, settings.alert_queue)
        self.status = WatchStatus(source=source.shown)
        self._done: deque[float] = deque(maxlen=10)

    def run(self) -> WatchStatus:
        from workbench.criteria.scoring import TrackScorer
        from workbench.parallel import Stopped, stop_on_signals
        from workbench.streams.keep import FrameKeeper
        from workbench.streams.tracking import TrackBook

        s, status = self.settings, self.status
        run = Run.start("watch", models=dict(self.analyzer.models), params={
            "source": self.source.shown, "source_kind": self.source.kind,
            "reader": asdict(s.reader), "duration_s": s.duration_s, "max_frames": s.max_frames,
            "segment_s": s.segment_s, "jpeg_quality": s.jpeg_quality,
            "min_track_frames": s.min_track_frames, "track": asdict(s.track),
            "rules_version": self.rules.version_id, "rules_sha256": self.rules.sha256,
            "review_threshold": self.threshold, "alerts": self.alert_settings is not None,
            "analysis": dict(self.analyzer.params), "signature": self.analyzer.signature})
        status.run_id = run.id
        self.keeper = FrameKeeper(self.case, run.id, self.source.shown, s.segment_s,
                                  s.jpeg_quality)
        self.book = TrackBook(f"st-{run.id[:8]}", s.track, window=max(30, 4 * s.track.max_gap))
        self.scorer = TrackScorer(self.rules, s.min_track_frames, run.id)
        reader = FrameReader(self.source, s.reader)
        with self.case.recording(run) as rec:
            rec.summarize = status.summary
            self.keeper.open(run.started_at.isoformat())
            start = time.monotonic()
            reader.start()
            if self.sender is not None:
                self.sender.start()
            try:
                with stop_on_signals():
                    status.stopped_by = self._loop(reader, start)
            except Stopped as signal_stop:
                status.stopped_by = signal_stop.args[0] if signal_stop.args else "signal"
            except KeyboardInterrupt:
                status.stopped_by = "Ctrl-C"
            finally:
                reader.stop()
                self._drain_alerts()
                self._count(reader, start)
                # A signal may land between taking a frame and finishing it: what was kept
                # is what was analysed, every other sampled frame counts as dropped.
                status.analysed = self.keeper.kept
                status.dropped = status.sampled - status.analysed
                self.keeper.close_segment()
                status.segments = len(self.keeper.segments)
                status.state = "stopped"
                self._notify()
        return status

    def _loop(self, reader: FrameReader, start: float) -> str:
        s = self.settings
        while True:
            if self.stop.is_set():
                return "stop requested"
            if s.duration_s is not None and time.monotonic() - start >= s.duration_s:
                return "duration reached"
            if s.max_frames is not None and self.status.analysed >= s.max_frames:
                return "max frames reached"
            frame = reader.get(timeout=0.2)
            if frame is None:
                if reader.ended.is_set() and not reader.waiting():
                    return reader.end_reason or "stream ended"
            else:
                self._process(frame)
            self._collect_alerts()
            self.status.state = reader.state
            self._count(reader, start)
            self._notify()

    def _count(self, reader: FrameReader, start: float) -> None:
        c, st = reader.counters(), self.status
        st.received, st.skipped, st.sampled, st.dropped = c.received, c.skipped, c.sampled, \
            c.dropped
        st.reconnects, st.waiting = c.reconnects, reader.waiting()
        # longer than the content's duration: the reader itself fell behind the stream
        st.receive_span_s = round(c.last_mono - c.first_mono, 3)
        st.elapsed_s = round(time.monotonic() - start, 3)

    def _notify(self) -> None:
        if self.on_update is not None:
            self.on_update(self.status)

    def _process(self, frame: Frame) -> None:
        st = self.status
        kept = None
        began = time.monotonic()
        try:
            with self.case.transaction():
                kept = self.keeper.keep(frame)
                faces, ids, new = self._analyse(frame, kept)
        except BaseException:
            if kept is not None:  # rolled back: the segment must not list the frame
                self.keeper.forget(kept)
            raise
        now = time.monotonic()
        st.analysed += 1
        st.kept, st.faces, st.tracks = self.keeper.kept, st.faces + len(faces), self.book.count
        st.segments = len(self.keeper.segments)
        st.first_frame_at = st.first_frame_at or frame.received_at.isoformat()
        st.last_frame_at = frame.received_at.isoformat()
        st.lag_s = round(now - frame.received_mono, 3)
        st.frame_lags.append(st.lag_s)
        st.frame_seconds.append(now - began)
        self._done.append(now)
        if len(self._done) > 1:
            st.rate_fps = round((len(self._done) - 1) / max(self._done[-1] - self._done[0], 1e-6),
                                2)
        st.last_jpeg, st.last_boxes = kept.jpeg, np.asarray(faces.xyxy, float).tolist()
        st.last_width = int(kept.rgb.shape[1])
        frame_info = {"evidence_id": kept.evidence_id, "path": kept.path,
                      "time_s": frame.time_s, "received_at": frame.received_at.isoformat(),
                      "source": self.source.shown}
        for hit, face in new:
            st.hits += 1
            st.hit_lags.append(round(now - frame.received_mono, 3))
            st.recent_hits.append({"rule": hit.source, "score": hit.score,
                                   "track_id": face.get("track_id"), **frame_info,
                                   "lag_s": st.hit_lags[-1]})
            if self.sender is not None and hit.score >= self.threshold:
                from workbench.streams.alerts import StreamAlert

                self._alert(self.sender, StreamAlert.of(self.case, hit, frame_info, face,
                                                        kept.jpeg))
        del st.recent_hits[:-50]

    def _alert(self, sender: AlertSender, alert: StreamAlert) -> None:
        """Hand the alert to the sender; a full queue is audited as a failure now."""
        if sender.submit(alert):
            self.status.alerts_pending = sender.pending
        else:
            self._audit_alert(sender, alert, f"alert queue full ({sender.size} waiting)")

    def _audit_alert(self, sender: AlertSender, alert: StreamAlert,
                     outcome: dict[str, str] | str) -> None:
        """Audit one alert (on this thread, the case's) and count it sent or failed."""
        from workbench.streams.alerts import audit_stream_alert, channel_names, sent

        channels = outcome if isinstance(outcome, dict) else {
            name: f"failed: {outcome}" for name in channel_names(sender.settings)}
        audit_stream_alert(self.case, sender.settings, alert, channels)
        if sent(channels):
            self.status.alerts += 1
        else:
            self.status.alerts_failed += 1

    def _collect_alerts(self) -> None:
        if (sender := self.sender) is None:
            return
        for alert, channels in sender.collect():
            self._audit_alert(sender, alert, channels)
        self.status.alerts_pending = sender.pending

    def _drain_alerts(self) -> None:
        """On stop: wait (bounded) for the queued alerts; audit what is left as failed."""
        from workbench.streams.alerts import drain_seconds

        if (sender := self.sender) is None:
            return
        bound = self.settings.alert_drain_s
        bound = drain_seconds(sender.settings) if bound is None else bound
        if sender.pending:
            self.status.state = "sending alerts"
            self._notify()
        try:
            sender.wait(bound)
        finally:  # a second Ctrl-C while waiting still leaves every alert audited
            # abandon first: from then on nothing more finishes, so one collect gets all
            unsent, sending = sender.abandon()
            self._collect_alerts()
            if sending is not None:
                self._audit_alert(sender, sending, f"no answer within {bound:g} s of the "
                                                   "watch stopping (it may still arrive)")
            for alert in unsent:
                self._audit_alert(sender, alert,
                                  f"not sent: the watch stopped and waited {bound:g} s")
            self.status.alerts_pending = 0

    def _analyse(self, frame: Frame, kept: KeptFrame
                 ) -> tuple[Faces, list[str], list[tuple[Hit, dict[str, Any]]]]:
        """Faces of the kept frame, stored with their tracks; the track hits, stored.

        A repeated picture (``kept.new`` False) only moves the tracker on: its item keeps
        the faces, tracks and hits of its first sighting.
        """
        from workbench.store.faces import save_faces, set_track_ids

        run_id, evidence_id = self.status.run_id, kept.evidence_id
        errors: dict[str, str] = {}
        try:
            faces = self.analyzer.analyze(kept.rgb, evidence_id, run_id)
        except (ValueError, RuntimeError) as error:
            # as in `analyze`: a frame the models cannot process is recorded, not fatal
            faces = Faces.empty(run_id=run_id)
            errors[evidence_id] = f"analysis failed: {type(error).__name__}: {error}"
            self.status.errors += 1
        faces.run_id = run_id
        if "face_id" not in faces.data:  # the store's naming, so hits point at stored faces
            faces.data["face_id"] = np.array([f"{evidence_id}:{i}" for i in range(len(faces))],
                                             dtype=object)
        ids = self.book.assign(frame.sample, faces)
        if not kept.new:
            self.status.repeats += 1
            return faces, ids, []
        save_faces(self.case, faces, [evidence_id], self.analyzer.signature, errors)
        set_track_ids(self.case, list(zip(ids, faces.data["face_id"].tolist(), strict=True)))
        new = self.scorer.score(faces, ids, [evidence_id])
        if new:
            self.case.add_hits([h for h, _ in new])
        return faces, ids, new
