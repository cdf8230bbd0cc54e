"""Tell the duty officer when a watched stream produces a hit at or above the threshold.

The channels, their settings file and their delivery are the missing-person alerts' own
(:class:`workbench.missing.alerts.AlertSettings`: ``--alerts FILE`` or
``$WORKBENCH_ALERTS``; email over SMTP, a JSON webhook, ``blur_crop``; sent by
:func:`workbench.missing.alerts.deliver`). A stream alert
carries the rule, score and conditions, the kept frame (evidence SHA-256, file, stream
time, time received) and the face crop from :mod:`workbench.media`, blurred unless the
settings turn that off. The watch sends each track's hit once; every alert and its
outcome per channel is written to the case's audit log.

A watch never waits for a channel: it hands each alert to an :class:`AlertSender` (one
daemon thread, a bounded queue), which sends it with :func:`deliver_stream_alert` and hands
the outcome back; the watch's own thread writes the audit entry with
:func:`audit_stream_alert` (see :class:`AlertSender` for why).
"""

from __future__ import annotations

import base64
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workbench.types import Hit, utc_now

if TYPE_CHECKING:
    from workbench.missing.alerts import AlertSettings
    from workbench.store.case import Case

NOTE = ("A stream hit is a lead for a trained person to check on the kept frame, "
        "never a verdict. Age and emotion estimates are unreliable on children.")


@dataclass(frozen=True)
class StreamAlert:
    """One alert to send: everything delivery needs, so it never touches the case.

    Attributes:
        case: the case's ``name`` and ``path`` (read on the thread that owns the case).
        hit: the track's hit.
        frame: the kept frame (evidence_id, path, time_s, received_at, source).
        face: the face (track_id, box, ...).
        jpeg: the kept frame's JPEG bytes (the crop is cut from them).
        queued: ``time.monotonic()`` when it was handed over.
    """

    case: dict[str, str]
    hit: Hit
    frame: dict[str, Any]
    face: dict[str, Any]
    jpeg: bytes = field(repr=False)
    queued: float = field(default_factory=time.monotonic)

    @classmethod
    def of(cls, case: Case, hit: Hit, frame: dict[str, Any], face: dict[str, Any],
           jpeg: bytes) -> StreamAlert:
        return cls({"name": case.name, "path": str(case.path)}, hit, frame, face, jpeg)


def stream_payload(alert: StreamAlert, crop: bytes | None, blurred: bool) -> dict[str, Any]:
    """The JSON body of a stream alert (also the email's text)."""
    hit = alert.hit
    return {
        "type": "workbench.stream_hit", "sent_at": utc_now().isoformat(), "note": NOTE,
        "case": dict(alert.case),
        "rule": hit.source, "score": hit.score, "rules_version": hit.version,
        "conditions": [c.as_dict() for c in hit.conditions],
        "frame": alert.frame,
        "face": {**alert.face, "crop_blurred": blurred,
                 "crop_jpeg_base64": base64.b64encode(crop).decode() if crop else None},
    }


def stream_email(payload: dict[str, Any]) -> tuple[str, list[str]]:
    """The subject and text lines of a stream alert's email."""
    frame = payload["frame"]
    subject = (f"[Case Workbench] stream hit: {payload['rule']} in case "
               f"{payload['case']['name']}")
    lines = [NOTE, "", f"Case: {payload['case']['name']} ({payload['case']['path']})",
             f"Source: {frame['source']}", f"Rule: {payload['rule']} (score {payload['score']})",
             f"Frame: {frame['evidence_id']} at {frame['time_s']} s, received "
             f"{frame['received_at']}", f"Kept as: {frame['path']}",
             f"Track: {payload['face'].get('track_id')}", "Conditions:",
             *[f"  - {c['name']}: {c['value']} ({'fired' if c['fired'] else 'not fired'})"
               for c in payload["conditions"]]]
    return subject, lines


def channel_names(settings: AlertSettings) -> list[str]:
    """The configured channels' names, in the order they are tried."""
    return [name for name, _ in settings.channels()]


def drain_seconds(settings: AlertSettings) -> float:
    """How long a stopping watch waits for its alerts: one alert's worst case, plus 5 s."""
    return sum(setting.timeout_s for _, setting in settings.channels()) + 5.0


def deliver_stream_alert(settings: AlertSettings, alert: StreamAlert) -> dict[str, str]:
    """Send one stream alert to every configured channel; returns ``channel -> outcome``.

    Safe on any thread (it reads nothing from the case). A channel that fails is
    reported, never raised.
    """
    from workbench.media import ThumbnailError, thumbnail
    from workbench.missing.alerts import deliver

    blur = settings.blur_crop
    try:
        crop: bytes | None = thumbnail(alert.jpeg, size=160, blur=blur, grey=False,
                                       box=alert.face.get("box"))
    except ThumbnailError:
        crop = None
    payload = stream_payload(alert, crop, blur)
    return deliver(settings, payload, crop, *stream_email(payload))


def audit_stream_alert(case: Case, settings: AlertSettings, alert: StreamAlert,
                       channels: dict[str, str]) -> None:
    """The ``stream.alert`` audit entry of one alert and its outcome per channel."""
    hit = alert.hit
    case.audit("stream.alert", target=alert.frame["evidence_id"], detail={
        "rule": hit.source, "face_id": hit.face_id, "track_id": alert.face.get("track_id"),
        "score": hit.score, "channels": channels, "crop_blurred": settings.blur_crop,
        "delay_s": round(time.monotonic() - alert.queued, 3)})


def sent(channels: dict[str, str]) -> bool:
    """Whether an alert reached every channel (and there was one)."""
    return bool(channels) and all(v == "sent" for v in channels.values())


class AlertSender:
    """Stream alerts sent by one daemon thread from a bounded queue.

    The sender never touches the case: a case holds one database connection, made on the
    thread that opened it (SQLite refuses it on another thread, and neither backend's
    connection is guarded by a lock), so the audit entry is written by the owner's thread
    from :meth:`collect`, which hands back each finished alert with its outcome.

    Example:
        >>> sender = AlertSender(settings).start()                   # doctest: +SKIP
        >>> sender.submit(StreamAlert.of(case, hit, frame, face, jpeg))  # doctest: +SKIP
        True
        >>> sender.collect()   # later, on the case's thread          # doctest: +SKIP
        [(StreamAlert(...), {'webhook': 'sent'})]

    Args:
        settings: the channels.
        size: the most alerts waiting (not counting the one being sent).
    """

    def __init__(self, settings: AlertSettings, size: int = 100) -> None:
        if size < 1:
            raise ValueError(f"an alert queue holds at least 1 alert, not {size}")
        self.settings, self.size = settings, size
        self._cond = threading.Condition()
        self._queue: deque[StreamAlert] = deque()
        self._sending: StreamAlert | None = None
        self._finished: list[tuple[StreamAlert, dict[str, str]]] = []
        self._closing = self._abandoned = False
        self._thread = threading.Thread(target=self._work, name="workbench-stream-alerts",
                                        daemon=True)

    def start(self) -> AlertSender:
        self._thread.start()
        return self

    def submit(self, alert: StreamAlert) -> bool:
        """Queue ``alert``; False (nothing queued) when the queue is full or closed."""
        with self._cond:
            if self._closing or len(self._queue) >= self.size:
                return False
            self._queue.append(alert)
            self._cond.notify_all()
            return True

    @property
    def pending(self) -> int:
        """Alerts queued or being sent."""
        with self._cond:
            return len(self._queue) + (self._sending is not None)

    def collect(self) -> list[tuple[StreamAlert, dict[str, str]]]:
        """The alerts finished since the last call, each with ``channel -> outcome``."""
        with self._cond:
            done, self._finished = self._finished, []
            return done

    def wait(self, timeout_s: float) -> bool:
        """Take no more alerts; wait up to ``timeout_s`` for the queued ones to be sent.

        Returns:
            True when nothing is left to send.
        """
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            return self._cond.wait_for(lambda: not self._queue and self._sending is None,
                                       timeout=timeout_s)

    def abandon(self) -> tuple[list[StreamAlert], StreamAlert | None]:
        """Stop sending: the alerts never started, and the one whose sending went on.

        An alert still being sent may yet arrive (the thread cannot be interrupted in a
        socket call), but its outcome is no longer reported.
        """
        with self._cond:
            self._closing = self._abandoned = True
            unsent, self._queue = list(self._queue), deque()
            self._cond.notify_all()
            return unsent, self._sending

    def _work(self) -> None:
        names = channel_names(self.settings)
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._closing)
                if self._abandoned or not self._queue:
                    return
                alert = self._sending = self._queue.popleft()
            try:
                channels = deliver_stream_alert(self.settings, alert)
            except Exception as error:  # noqa: BLE001 - a fault must not end the thread
                channels = {name: f"failed: {type(error).__name__}: {error}" for name in names}
            with self._cond:
                self._sending = None
                if not self._abandoned:
                    self._finished.append((alert, channels))
                self._cond.notify_all()
