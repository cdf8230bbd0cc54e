"""The stream alert sender: a bounded queue sent by one thread, to a real local webhook."""

from __future__ import annotations

import io
import socket
import time

import pytest
from PIL import Image

from workbench.missing.alerts import AlertSettings, WebhookSettings
from workbench.streams.alerts import AlertSender, StreamAlert, drain_seconds
from workbench.types import Hit


def _alert(n: int = 0) -> StreamAlert:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(out, format="JPEG")
    frame = {"evidence_id": f"e{n}", "path": f"derived/streams/r/{n}.jpg", "time_s": n * 0.2,
             "received_at": "2024-01-01T00:00:00+00:00", "source": "test.mp4"}
    return StreamAlert({"name": "demo", "path": "/cases/demo"},
                       Hit(evidence_id=f"e{n}", kind="criterion", source="rule", score=0.9),
                       frame, {"track_id": f"t{n}", "box": [8, 8, 40, 40]}, out.getvalue())


def _wait_for(sender: AlertSender, count: int) -> list:
    done: list = []
    deadline = time.monotonic() + 10
    while len(done) < count and time.monotonic() < deadline:
        done += sender.collect()
        time.sleep(0.02)
    return done


def test_the_sender_delivers_in_order_and_hands_back_each_outcome(webhook):
    url, received, _status = webhook
    sender = AlertSender(AlertSettings(webhook=WebhookSettings(url=url))).start()
    assert all(sender.submit(_alert(n)) for n in range(3))
    done = _wait_for(sender, 3)
    assert [a.frame["evidence_id"] for a, _ in done] == ["e0", "e1", "e2"]
    assert [c for _, c in done] == [{"webhook": "sent"}] * 3
    assert [p["frame"]["evidence_id"] for p in received] == ["e0", "e1", "e2"]
    assert received[0]["case"] == {"name": "demo", "path": "/cases/demo"}
    assert received[0]["face"]["crop_jpeg_base64"] and sender.pending == 0
    assert sender.wait(1.0) and not sender.submit(_alert(9))  # closed: takes no more


def test_a_refused_channel_is_an_outcome_not_an_error():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = AlertSettings(webhook=WebhookSettings(url=f"http://127.0.0.1:{port}/hook",
                                                     timeout_s=2))
    sender = AlertSender(settings).start()
    sender.submit(_alert())
    [(_, channels)] = _wait_for(sender, 1)
    assert channels["webhook"].startswith("failed: ")
    assert drain_seconds(settings) == 7.0


def test_the_queue_is_bounded_and_abandon_returns_what_was_never_sent():
    sender = AlertSender(AlertSettings(webhook=WebhookSettings(url="http://127.0.0.1:9/")),
                         size=2)  # not started: nothing leaves the queue
    assert [sender.submit(_alert(n)) for n in range(3)] == [True, True, False]
    assert sender.pending == 2
    assert sender.wait(0.1) is False
    unsent, sending = sender.abandon()
    assert [a.frame["evidence_id"] for a in unsent] == ["e0", "e1"] and sending is None
    assert sender.pending == 0 and sender.collect() == []
    with pytest.raises(ValueError, match="at least 1"):
        AlertSender(AlertSettings(), size=0)
