"""Watch a live source from a notebook: the current frame (blurred, with face boxes), the
rate, lag and drops, the hits as they come, and a stop button."""

from __future__ import annotations

import html
import os
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import traitlets

from workbench.widgets.base import WorkbenchWidget, lazy, limits_banner, table_html

HIT_COLUMNS = ["time_s", "rule", "score", "track_id", "lag_s"]


class LiveWatch(WorkbenchWidget):
    """Start, watch and stop a live stream into a case.

    Args:
        case_dir: the case folder the watch writes to.
        source: the initial source (URL, ``/dev/videoN`` or file).
        fps: the initial sampling rate.
        start: ``start(case_dir, source, settings, analyzer, on_update) -> handle`` with
            ``stop()`` and ``running`` (default: the streams package's background watch).
        render: ``render(jpeg, boxes, width) -> PNG`` of the current frame (default:
            blurred preview with the boxes drawn).
        settings: how to build the watch settings from ``fps`` (default: the package's).
        analyzer: passed through to ``start`` (None: the face engine).
        every_s: least time between two redraws of the frame.

    Example:
        >>> LiveWatch("cases/c1", "rtsp://camera.local/stream1")      # doctest: +SKIP
    """

    running = traitlets.Bool(False)
    analysed = traitlets.Int(0)
    dropped = traitlets.Int(0)
    hits = traitlets.Int(0)
    lag = traitlets.Float(0.0)
    rate = traitlets.Float(0.0)
    title = "Live source"

    def __init__(self, case_dir: str | os.PathLike[str], source: str = "", fps: float = 1.0,
                 start: Callable[..., Any] | None = None,
                 render: Callable[..., bytes] | None = None,
                 settings: Callable[[float], Any] | None = None, analyzer: Any = None,
                 every_s: float = 0.5) -> None:
        super().__init__()
        self.case_dir = os.fspath(case_dir)
        self._start = start or lazy("workbench.streams.background:watch_in_background")
        self._render = render or lazy("workbench.streams.preview:preview_png")
        self._settings = settings or lazy("workbench.streams.watch:settings_for_fps")
        self._analyzer = analyzer
        self._every = every_s
        self._drawn = 0.0
        self.handle: Any = None
        self.source = w.Text(value=source, description="Source",
                             placeholder="rtsp://... or /dev/video0 or a file",
                             layout=w.Layout(width="420px"))
        self.fps = w.BoundedFloatText(value=fps, min=0.0, max=60.0, step=0.5, description="fps")
        self.start_button = w.Button(description="Start", icon="play", button_style="primary")
        self.stop_button = w.Button(description="Stop", icon="stop", button_style="danger",
                                    disabled=True)
        self.start_button.on_click(self._on_start)
        self.stop_button.on_click(self._on_stop)
        self.frame = w.Image(format="png", layout=w.Layout(max_width="480px"))
        self.numbers = w.HTML()
        self.hit_table = w.HTML()
        self.children = [limits_banner(),
                         w.HBox([self.source, self.fps, self.start_button, self.stop_button]),
                         self.numbers, self.frame, self.hit_table, self.status]

    def _on_start(self, _button: w.Button | None = None) -> None:
        if self.running or not self.source.value.strip():
            self.error = "" if self.running else "give a source: a URL, /dev/videoN or a file"
            return
        settings = self.call(self._settings, float(self.fps.value))
        if settings is None:
            return
        self.handle = self.call(self._start, self.case_dir, self.source.value.strip(), settings,
                                self._analyzer, self.update)
        if self.handle is not None:
            self.running = True
            self.start_button.disabled, self.stop_button.disabled = True, False
            self.message = "watching; frames are blurred, boxes show the faces found"

    def _on_stop(self, _button: w.Button | None = None) -> None:
        if self.handle is not None:
            self.handle.stop()
        self.message = "stopping after the frame in hand"
        self.stop_button.disabled = True

    def update(self, status: Any) -> None:
        """What the watch calls with its status (from its own thread)."""
        self.analysed, self.dropped, self.hits = status.analysed, status.dropped, status.hits
        self.lag, self.rate = float(status.lag_s), float(status.rate_fps)
        self.numbers.value = html.escape(
            f"{status.state}: received {status.received}, analysed {status.analysed} "
            f"({status.rate_fps:.1f}/s), lag {status.lag_s:.2f} s, dropped {status.dropped}, "
            f"reconnects {status.reconnects}, tracks {status.tracks}, hits {status.hits}"
            + (f", alerts sent {status.alerts}, waiting {status.alerts_pending}, "
               f"failed {status.alerts_failed}"
               if status.alerts or status.alerts_pending or status.alerts_failed else ""))
        rows = [dict(h) for h in reversed(status.recent_hits[-20:])]
        self.hit_table.value = table_html(rows, HIT_COLUMNS) if rows else ""
        now = time.monotonic()
        if status.last_jpeg and (now - self._drawn >= self._every or status.state == "stopped"):
            self._drawn = now
            png = self.quiet(self._render, status.last_jpeg, status.last_boxes, status.last_width)
            if png is not None:
                self.frame.value = png
        if status.state == "stopped":
            self.running = False
            self.start_button.disabled, self.stop_button.disabled = False, True
            self.message = f"stopped ({status.stopped_by}); run {status.run_id}"

    def snapshot_body(self) -> str:
        return f"<p>{self.numbers.value}</p>{self.hit_table.value}"
