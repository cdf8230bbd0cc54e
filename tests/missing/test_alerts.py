"""Alerts: once per match, real SMTP (aiosmtpd) and a real local webhook, in the audit log."""

from __future__ import annotations

import email
import hashlib
import json
import shutil
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from workbench.missing.alerts import (
    Alerter,
    AlertSettings,
    EmailSettings,
    WebhookSettings,
    deliver,
)
from workbench.missing.backends import open_registry
from workbench.missing.case_lookup import lookup_case
from workbench.missing.records import RegistryPhoto
from workbench.missing.threshold import Threshold
from workbench.store.faces import save_faces
from workbench.types import Faces

from .helpers import KEY, near, person, unit


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture()
def smtp_server():
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:  # aiosmtpd needs a concrete port to check readiness
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


@pytest.fixture()
def webhook():
    received: list[dict] = []
    status = {"code": 200}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(status["code"])
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received, status
    server.shutdown()
    server.server_close()


def _case_with_face(new_case, shared_data, tmp_path, embedding):
    src = shared_data / "faces" / "labelled" / "face_recognition" / "examples" / "obama-480p.jpg"
    if not src.exists():
        src = next((shared_data / "faces" / "labelled").rglob("*.jpg"))
    image = tmp_path / "evidence.jpg"
    shutil.copy(src, image)
    sha = hashlib.sha256(image.read_bytes()).hexdigest()
    with new_case.transaction():
        new_case.add_evidence({"id": sha, "kind": "image"}, str(image))
    faces = Faces(evidence_id=np.array([sha], dtype=object), xyxy=[[20, 20, 120, 120]],
                  confidence=[0.99], embedding=embedding[None], embedding_key=KEY,
                  data={"age": np.array([13.0], np.float32), "age_std": np.array([3.0]),
                        "gender": np.array(["female"], dtype=object),
                        "gender_confidence": np.array([0.95], np.float32)})
    save_faces(new_case, faces, [sha])
    return sha


def test_verified_match_alerts_once_by_email_and_webhook(tmp_path, new_case, shared_data,
                                                        smtp_server, webhook) -> None:
    port, inbox = smtp_server
    url, received, _ = webhook
    rng = np.random.default_rng(9)
    target = unit(rng, 1)[0]
    sha = _case_with_face(new_case, shared_data, tmp_path, near(target, rng))
    settings = AlertSettings(
        email=EmailSettings("127.0.0.1", ("duty@agency.test",), port=port),
        webhook=WebhookSettings(url))
    with open_registry(tmp_path / "reg") as reg:
        reg.upsert([person(1, "female", 12, last_seen="2023-01-01")])
        reg.add_photo(RegistryPhoto("test:1", KEY, sha256="c" * 64), target)
        alerter = Alerter(reg, settings)
        for _ in range(2):  # the second lookup finds the same match again
            result = lookup_case(new_case, reg, Threshold(0.8, "test"), on_verified=alerter)
            assert len(result.verified) == 1
        assert len(alerter.sent) == 1 and len(alerter.suppressed) == 1
        assert reg.alerts()[0]["status"] == "sent"
    assert len(inbox.messages) == 1 and len(received) == 1
    message = inbox.messages[0]
    assert "Fictional Person 1" in message["Subject"]
    parts = {p.get_filename(): p for p in message.walk() if p.get_filename()}
    assert list(parts) == ["face-blurred.jpg"]
    body = received[0]
    assert body["candidate"]["record_id"] == "test:1" and body["face"]["crop_blurred"]
    assert body["face"]["evidence_id"] == sha and body["similarity"] >= 0.8
    assert body["face"]["crop_jpeg_base64"]
    actions = new_case.audit_log().action.tolist()
    assert actions.count("registry.alert") == 1
    assert actions.count("registry.alert.duplicate") == 1


def test_failed_webhook_is_retried_next_time(tmp_path, new_case, shared_data, webhook) -> None:
    url, received, status = webhook
    rng = np.random.default_rng(10)
    target = unit(rng, 1)[0]
    _case_with_face(new_case, shared_data, tmp_path, near(target, rng))
    with open_registry(tmp_path / "reg") as reg:
        reg.upsert([person(1, "female", 12, last_seen="2023-01-01")])
        reg.add_photo(RegistryPhoto("test:1", KEY, sha256="c" * 64), target)
        alerter = Alerter(reg, AlertSettings(webhook=WebhookSettings(url), blur_crop=False))
        status["code"] = 500
        lookup_case(new_case, reg, Threshold(0.8, "test"), on_verified=alerter)
        assert reg.alerts()[0]["status"] == "failed"
        status["code"] = 200
        lookup_case(new_case, reg, Threshold(0.8, "test"), on_verified=alerter)
        assert reg.alerts()[0]["status"] == "sent" and alerter.sent
    assert len(received) == 2 and received[1]["face"]["crop_blurred"] is False


def test_delivery_reports_a_failed_channel_and_still_sends_the_other(webhook) -> None:
    url, received, _ = webhook
    with socket.socket() as probe:  # a port nobody listens on: the SMTP connection fails
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    settings = AlertSettings(email=EmailSettings("127.0.0.1", ("duty@agency.test",), port=dead,
                                                 timeout_s=5),
                             webhook=WebhookSettings(url))
    channels = deliver(settings, {"type": "test"}, b"jpeg", "subject", ["line"])
    assert channels["webhook"] == "sent" and received == [{"type": "test"}]
    assert channels["email"].startswith("failed: ConnectionRefusedError")
