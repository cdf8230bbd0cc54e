"""The live widget: headless, driven by click(); once with a fake watch, once for real."""

from __future__ import annotations

import io
import time

from PIL import Image

from workbench.streams.background import watch_in_background
from workbench.streams.preview import preview_png
from workbench.streams.reader import ReaderSettings
from workbench.streams.sources import live_sources
from workbench.streams.watch import WatchSettings, WatchStatus
from workbench.widgets.live import LiveWatch

from .helpers import box_analyzer


class FakeHandle:
    def __init__(self) -> None:
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


def test_buttons_and_numbers_with_a_fake_watch(tmp_path) -> None:
    handle = FakeHandle()
    started = []

    def start(case_dir, source, settings, analyzer, on_update):
        started.append((case_dir, source, settings))
        return handle

    widget = LiveWatch(tmp_path, "", start=start, render=lambda *a: b"png",
                       settings=lambda fps: {"fps": fps})
    widget.start_button.click()
    assert not started and "give a source" in widget.error
    widget.source.value = "rtsp://cam/1"
    widget.fps.value = 2.0
    widget.start_button.click()
    assert started == [(str(tmp_path), "rtsp://cam/1", {"fps": 2.0})] and widget.running
    status = WatchStatus(state="running", received=20, analysed=5, dropped=3, hits=1,
                         lag_s=0.4, rate_fps=2.0, last_jpeg=b"jpeg", last_width=100,
                         recent_hits=[{"rule": "r", "score": 0.9, "time_s": 1.5,
                                       "track_id": "st-1", "lag_s": 0.4}])
    widget.update(status)
    assert (widget.analysed, widget.dropped, widget.hits) == (5, 3, 1)
    assert bytes(widget.frame.value) == b"png" and "st-1" in widget.hit_table.value
    assert "alerts" not in widget.numbers.value          # no alert channels: nothing said
    status.alerts, status.alerts_pending, status.alerts_failed = 1, 2, 1
    widget.update(status)
    assert "alerts sent 1, waiting 2, failed 1" in widget.numbers.value
    widget.stop_button.click()
    assert handle.stopped
    status.state, status.stopped_by = "stopped", "stop requested"
    widget.update(status)
    assert not widget.running and "stop requested" in widget.message


def test_preview_is_blurred_with_boxes(clip) -> None:
    import cv2

    capture = cv2.VideoCapture(str(clip))
    _, frame = capture.read()
    capture.release()
    jpeg = cv2.imencode(".jpg", frame)[1].tobytes()
    png = preview_png(jpeg, [[10, 20, 34, 44]], width=320, size=160)  # as if from 320 px
    picture = Image.open(io.BytesIO(png)).convert("RGB")
    assert picture.size == (160, 120)  # thumbnails only shrink
    assert picture.getpixel((5, 15)) == (255, 170, 0)  # the box's edge, scaled by 1/2
    centre = picture.getpixel((22, 32))  # inside the white square: blurred, grey
    assert centre[0] == centre[1] == centre[2] and centre[0] < 250


def test_the_widget_runs_a_real_watch_and_stops_it(new_case, clip, rules_file) -> None:
    settings = WatchSettings(reader=ReaderSettings(fps=5), rules=str(rules_file))
    widget = LiveWatch(new_case.path, str(clip), start=watch_in_background,
                       settings=lambda fps: settings, analyzer=box_analyzer(), every_s=0.0)
    widget.start_button.click()
    deadline = time.monotonic() + 20
    while widget.hits < 1:
        assert time.monotonic() < deadline, "no hit shown"
        time.sleep(0.05)
    live = live_sources(new_case)  # what the supervisor dashboard lists
    assert live[["source", "state", "fps"]].values.tolist() == [[str(clip), "live", 5.0]]
    widget.stop_button.click()
    assert widget.handle.join(20)
    assert not widget.running and bytes(widget.frame.value).startswith(b"\x89PNG")
    assert "frightened_minor" in widget.hit_table.value
    assert widget.handle.status.stopped_by == "stop requested"
    assert live_sources(new_case)["state"].tolist() == ["done"]
