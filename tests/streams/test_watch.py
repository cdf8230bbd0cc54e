"""A file played live into a case: counts add up, frames kept and hashed, one hit per track."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from workbench.faces.tracks import TrackSettings
from workbench.review.queue import queue_items
from workbench.store.faces import load_faces
from workbench.streams.reader import ReaderSettings
from workbench.streams.watch import WatchSettings, watch

from .helpers import box_analyzer


def _frames(case):
    return case.evidence("video_frame")


def test_watch_keeps_frames_tracks_faces_and_hits_once_per_track(new_case, clip, rules_file):
    settings = WatchSettings(reader=ReaderSettings(fps=5, realtime=False, buffer=100),
                             rules=str(rules_file), segment_s=1.0)
    status = watch(new_case, str(clip), settings, box_analyzer())

    # every frame accounted for
    assert status.received == 30
    assert status.received == status.skipped + status.analysed + status.dropped
    assert status.sampled == status.analysed + status.dropped == 15 and status.dropped == 0
    # every analysed frame kept as hashed evidence under derived/, child of the stream item
    frames = _frames(new_case)
    assert len(frames) == status.kept == status.analysed
    stream = new_case.evidence("video")
    assert len(stream) == 1 and stream.iloc[0]["format"] == "STREAM"
    assert set(frames["parent_id"]) == {stream.iloc[0]["sha256"]}
    for row in frames.itertuples():
        data = (new_case.path / row.derived_path).read_bytes()
        assert row.derived_path.startswith("derived/streams/")
        assert hashlib.sha256(data).hexdigest() == row.sha256
    assert sorted(frames["frame_time_s"]) == pytest.approx([0.2 * i for i in range(15)])
    # segments: manifests whose SHA-256 the audit chain holds, covering every kept frame
    audits = new_case.query("SELECT target, detail FROM audit WHERE action='stream.segment'")
    listed = []
    for target, detail in audits.itertuples(index=False):
        detail = json.loads(detail)
        data = (new_case.path / detail["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == target
        listed += [f["sha256"] for f in json.loads(data)["frames"]]
    assert len(audits) == status.segments == 3
    assert sorted(listed) == sorted(frames["sha256"])
    assert new_case.audit_verify().ok
    # two squares, two tracks; the frightened-minor rule fires once, on the upper square's
    faces = load_faces(new_case)
    assert len(faces) == 30 and len(set(faces.data["track_id"])) == 2 == status.tracks
    hits = new_case.hits("criterion")
    assert len(hits) == 1 == status.hits and hits.iloc[0]["source"] == "frightened_minor"
    face = hits.iloc[0]["face_id"]
    upper = faces.xyxy[list(faces.data["face_id"]).index(face)]
    assert upper[1] < 60 and hits.iloc[0]["evidence_id"] in set(frames["sha256"])
    assert [item.rule for item in queue_items(new_case)] == ["frightened_minor"]
    # the run: source and times recorded, done, summary consistent
    run = new_case.runs().iloc[-1]
    params, status_row = json.loads(run["params"]), run["status"]
    assert run["kind"] == "watch" and status_row == "done" and params["source"] == str(clip)
    assert status.stopped_by == "end of file" and status.first_frame_at <= status.last_frame_at


def test_max_frames_and_duration_end_the_watch(new_case, clip, rules_file):
    settings = WatchSettings(reader=ReaderSettings(fps=0, realtime=True), max_frames=5,
                             rules=str(rules_file))
    status = watch(new_case, str(clip), settings, box_analyzer())
    assert status.analysed == 5 and status.stopped_by == "max frames reached"
    assert status.sampled == status.analysed + status.dropped
    assert len(_frames(new_case)) == 5
    settings = WatchSettings(reader=ReaderSettings(fps=2, realtime=True), duration_s=1.0,
                             rules=str(rules_file))
    status = watch(new_case, str(clip), settings, box_analyzer())
    assert status.stopped_by == "duration reached" and 1.0 <= status.elapsed_s < 2.0
    assert status.received < 30 and status.sampled == status.analysed + status.dropped


def test_hits_go_to_the_alert_channels_once(new_case, clip, rules_file, tmp_path, smtp_server,
                                            webhook):
    port, inbox = smtp_server
    url, received, _status = webhook
    alerts = tmp_path / "alerts.json"
    alerts.write_text(json.dumps({
        "email": {"host": "127.0.0.1", "port": port, "recipients": ["duty@agency.example"]},
        "webhook": {"url": url}}))
    settings = WatchSettings(reader=ReaderSettings(fps=5, realtime=False, buffer=100),
                             rules=str(rules_file), alerts=str(alerts))
    status = watch(new_case, str(clip), settings, box_analyzer())
    assert status.hits == 1 and status.alerts == 1
    assert len(received) == 1 and len(inbox.messages) == 1
    payload = received[0]
    assert payload["type"] == "workbench.stream_hit" and payload["rule"] == "frightened_minor"
    assert payload["face"]["crop_blurred"] is True and payload["face"]["crop_jpeg_base64"]
    assert payload["frame"]["evidence_id"] == new_case.hits().iloc[0]["evidence_id"]
    message = inbox.messages[0]
    assert "frightened_minor" in message["Subject"]
    parts = {p.get_filename(): p for p in message.walk() if p.get_filename()}
    assert list(parts) == ["face-blurred.jpg"]  # the shared delivery attaches the crop
    body = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    assert f"Track: {payload['face']['track_id']}" in body.get_payload(decode=True).decode()
    logged = new_case.query("SELECT detail FROM audit WHERE action='stream.alert'")
    assert json.loads(logged.iloc[0]["detail"])["channels"] == {"email": "sent", "webhook": "sent"}


def test_the_dashboard_lists_watched_sources(new_case, clip, rules_file):
    from workbench.apps.overview import summary_html

    settings = WatchSettings(reader=ReaderSettings(fps=5, realtime=False), max_frames=2,
                             rules=str(rules_file))
    watch(new_case, str(clip), settings, box_analyzer())
    page = summary_html(new_case)
    table = page[page.index('data-testid="live-sources"'):]
    table = table[:table.index("</table>")]
    assert str(clip) in table and ">done<" in table


class SlowHook:
    """A real webhook on 127.0.0.1 that answers each POST after ``delay_s`` (or, when
    ``delay_s`` is None, only once ``release`` is set): a slow or hanging alert receiver."""

    def __init__(self, delay_s: float | None) -> None:
        self.delay_s, self.release = delay_s, threading.Event()
        self.received: list[dict] = []
        self.windows: list[tuple[float, float]] = []  # (arrived, answered), monotonic
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                arrived = time.monotonic()
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if hook.delay_s is None:
                    hook.release.wait(15)
                else:
                    time.sleep(hook.delay_s)
                hook.received.append(body)
                hook.windows.append((arrived, time.monotonic()))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def slow_hook():
    hooks: list[SlowHook] = []

    def make(delay_s: float | None) -> SlowHook:
        hooks.append(SlowHook(delay_s))
        return hooks[-1]

    yield make
    for hook in hooks:
        hook.close()


def _stream_alerts(case):
    rows = case.query("SELECT detail FROM audit WHERE action='stream.alert' ORDER BY seq")
    return [json.loads(d) for d in rows["detail"]]


def _every_frame_a_track(tmp_path, rules_file, alerts, max_frames, **more):
    """Settings where each frame's upper square is a new track, so each frame alerts."""
    path = tmp_path / "alerts.json"
    path.write_text(json.dumps(alerts))
    return WatchSettings(reader=ReaderSettings(fps=5, realtime=False, buffer=100),
                         rules=str(rules_file), alerts=str(path), max_frames=max_frames,
                         track=TrackSettings(min_iou=1.01), **more)


def test_a_slow_alert_channel_never_stalls_the_analysis(new_case, clip, rules_file, tmp_path,
                                                        smtp_server, slow_hook):
    port, inbox = smtp_server
    hook = slow_hook(0.8)
    settings = _every_frame_a_track(tmp_path, rules_file, {
        "email": {"host": "127.0.0.1", "port": port, "recipients": ["duty@agency.example"]},
        "webhook": {"url": hook.url}}, max_frames=4)
    analysed_at: list[float] = []

    def seen(status) -> None:
        if status.analysed > len(analysed_at):
            analysed_at.append(time.monotonic())

    status = watch(new_case, str(clip), settings, box_analyzer(), on_update=seen)

    assert status.analysed == 4 and status.hits == 4
    # no frame waited for an alert (each alert takes 0.8 s to answer) ...
    assert max(status.frame_seconds) < 0.8
    # ... so all four were analysed before the webhook had answered the first alert
    # (analysing waiting for each alert would finish after the fourth answer)
    assert len(analysed_at) == 4 and analysed_at[-1] < hook.windows[0][1]
    # by the end (the stop waits for them), every alert was delivered and audited as sent
    assert status.alerts == 4 and status.alerts_failed == 0 and status.alerts_pending == 0
    assert len(hook.received) == 4 and len(inbox.messages) == 4
    assert {p["frame"]["evidence_id"] for p in hook.received} == set(new_case.hits()
                                                                     ["evidence_id"])
    logged = _stream_alerts(new_case)
    assert [d["channels"] for d in logged] == [{"email": "sent", "webhook": "sent"}] * 4
    assert new_case.audit_verify().ok
    finish = new_case.query("SELECT detail FROM audit WHERE action='run.finish'")
    summary = json.loads(finish["detail"].iloc[-1])  # the run's summary counts them too
    assert summary["alerts"] == 4 and summary["alerts_failed"] == 0


def test_alerts_still_unsent_at_stop_are_audited_as_failed(new_case, clip, rules_file,
                                                           tmp_path, slow_hook):
    hook = slow_hook(None)  # answers only when released: a hanging receiver
    settings = _every_frame_a_track(tmp_path, rules_file,
                                    {"webhook": {"url": hook.url, "timeout_s": 20}},
                                    max_frames=3, alert_drain_s=0.3)
    began = time.monotonic()
    status = watch(new_case, str(clip), settings, box_analyzer())
    assert time.monotonic() - began < 10  # the stop waited 0.3 s, not the 20 s timeout

    assert status.hits == 3 and status.alerts == 0 and status.alerts_pending == 0
    assert status.alerts_failed == 3
    outcomes = [d["channels"]["webhook"] for d in _stream_alerts(new_case)]
    assert len(outcomes) == 3 and all(o.startswith("failed: ") for o in outcomes)
    assert sum("no answer within 0.3 s" in o for o in outcomes) == 1  # the one being sent
    assert sum("not sent: the watch stopped" in o for o in outcomes) == 2
    assert new_case.audit_verify().ok


def test_a_full_alert_queue_is_audited_not_dropped(new_case, clip, rules_file, tmp_path,
                                                   slow_hook):
    hook = slow_hook(None)
    settings = _every_frame_a_track(tmp_path, rules_file,
                                    {"webhook": {"url": hook.url, "timeout_s": 20}},
                                    max_frames=5, alert_queue=1, alert_drain_s=0.3)
    status = watch(new_case, str(clip), settings, box_analyzer())

    assert status.hits == 5 and status.alerts_failed == 5 and status.alerts == 0
    outcomes = [d["channels"]["webhook"] for d in _stream_alerts(new_case)]
    assert len(outcomes) == 5
    assert sum("alert queue full (1 waiting)" in o for o in outcomes) >= 2


def test_the_cli_refuses_an_empty_alert_queue(new_case, clip, capsys):
    from workbench.cli import main

    assert main(["watch", str(new_case.path), str(clip), "--alert-queue", "0"]) == 2
    assert "--alert-queue must be at least 1" in capsys.readouterr().err
