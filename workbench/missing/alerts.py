"""Tell the right people, once, when a case face verifies against a missing person.

An alert carries the case, the face crop (blurred unless ``blur_crop`` is off: the crop
may show a victim), the similarity and the candidate record, and goes to every configured
channel: email over SMTP and a JSON webhook (:func:`deliver`, which stream alerts use
too). Each alert is claimed in the registry's
``alerts`` table under a key of (case, face, record) before sending, so the same match is
never sent twice; a failed send is retried on the next lookup. Every alert, and every
suppressed duplicate, is written to the case's audit log.

Settings are a JSON file (``--alerts FILE`` or ``$WORKBENCH_ALERTS``)::

    {"email": {"host": "smtp.agency.example", "port": 25, "sender": "workbench@agency",
               "recipients": ["duty-officer@agency"], "username": null,
               "password_env": "WORKBENCH_SMTP_PASSWORD", "starttls": false},
     "webhook": {"url": "https://alerts.agency.example/hook", "headers": {}},
     "blur_crop": true}

Passwords are never stored in the file: ``password_env`` names the environment variable.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench import settings
from workbench.missing.lookup import Candidate, FaceQuery
from workbench.missing.records import MissingPersonsError
from workbench.missing.store import Registry
from workbench.types import utc_now

NOTE = ("This is a lead for a trained person to check against the record, "
        "never an identification.")


@dataclass(frozen=True)
class EmailSettings:
    """SMTP delivery."""

    host: str
    recipients: tuple[str, ...]
    sender: str = "workbench@localhost"
    port: int = 25
    username: str | None = None
    password_env: str | None = None
    starttls: bool = False
    timeout_s: float = 30.0


@dataclass(frozen=True)
class WebhookSettings:
    """JSON POST delivery."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    timeout_s: float = 30.0


@dataclass(frozen=True)
class AlertSettings:
    """Who is told, and whether the face crop is blurred."""

    email: EmailSettings | None = None
    webhook: WebhookSettings | None = None
    blur_crop: bool = True

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AlertSettings:
        email = data.get("email")
        hook = data.get("webhook")
        return cls(
            email=EmailSettings(**{**email, "recipients": tuple(email["recipients"])})
            if email else None,
            webhook=WebhookSettings(**hook) if hook else None,
            blur_crop=bool(data.get("blur_crop", True)),
        )

    def channels(self) -> list[tuple[str, EmailSettings | WebhookSettings]]:
        """The configured channels, ``(name, settings)``, in the order they are tried."""
        return [(name, setting) for name, setting in (("email", self.email),
                                                      ("webhook", self.webhook))
                if setting is not None]

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> AlertSettings | None:
        """From a JSON file (or ``$WORKBENCH_ALERTS``); None when nothing is configured."""
        where = path or settings.read(settings.ALERTS)
        if not where:
            return None
        try:
            return cls.from_dict(json.loads(Path(where).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError) as error:
            raise MissingPersonsError(f"cannot read alert settings {where}: {error}; see "
                                "`workbench lookup --help` for the format") from error


def alert_key(case: Any, query: FaceQuery, candidate: Candidate) -> str:
    """Same case, face and record: same key (that is what makes duplicates detectable)."""
    raw = f"{case.name}|{case.path}|{query.face_id}|{candidate.record.id}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def face_crop_jpeg(case: Any, query: FaceQuery, blur: bool = True, size: int = 160) -> bytes:
    """The face, with a margin, as JPEG bytes; heavily blurred unless ``blur`` is False."""
    import cv2
    from PIL import Image

    from workbench.ingest.images import load_rgb

    rgb = load_rgb(case.get_evidence(query.evidence_id), case=case)
    h, w = rgb.shape[:2]
    x1, y1, x2, y2 = query.xyxy or (0, 0, w, h)
    pad = 0.25 * max(x2 - x1, y2 - y1)
    box = (int(max(0, x1 - pad)), int(max(0, y1 - pad)), int(min(w, x2 + pad)),
           int(min(h, y2 + pad)))
    crop = rgb[box[1]:box[3], box[0]:box[2]]
    if crop.size == 0:
        crop = rgb
    scale = size / max(crop.shape[:2])
    crop = cv2.resize(crop, (max(1, int(crop.shape[1] * scale)), max(1, int(crop.shape[0] *
                                                                           scale))))
    if blur:
        k = max(3, (min(crop.shape[:2]) // 4) | 1)
        crop = cv2.GaussianBlur(crop, (k, k), 0)
    out = io.BytesIO()
    Image.fromarray(crop).save(out, format="JPEG", quality=85)
    return out.getvalue()


def alert_payload(case: Any, query: FaceQuery, candidate: Candidate, crop: bytes | None,
                  blurred: bool) -> dict[str, Any]:
    """The JSON body of an alert (also the text of the email)."""
    return {
        "type": "workbench.registry_match", "sent_at": utc_now().isoformat(), "note": NOTE,
        "case": {"name": case.name, "path": str(case.path)},
        "face": {"face_id": query.face_id, "evidence_id": query.evidence_id,
                 "box": list(query.xyxy) if query.xyxy else None, "estimated_age": query.age,
                 "sex": query.sex, "crop_blurred": blurred,
                 "crop_jpeg_base64": base64.b64encode(crop).decode() if crop else None},
        "similarity": round(candidate.similarity, 4),
        "threshold": round(candidate.threshold, 4),
        "candidate": candidate.as_dict(),
    }


def match_email(payload: dict[str, Any]) -> tuple[str, list[str]]:
    """The subject and text lines of a registry-match alert's email."""
    cand = payload["candidate"]
    subject = (f"[Case Workbench] possible match: {cand['name'] or cand['record_id']}"
               f" in case {payload['case']['name']}")
    lines = [NOTE, "", f"Case: {payload['case']['name']} ({payload['case']['path']})",
             f"Face: {payload['face']['face_id']}",
             f"Candidate: {cand['record_id']} {cand['name']} {cand['record'].get('case_url', '')}",
             f"Similarity: {payload['similarity']} (threshold {payload['threshold']})",
             "Why:", *[f"  - {r}" for r in cand["reasons"]]]
    return subject, lines


def send_mail(settings: EmailSettings, subject: str, lines: list[str], crop: bytes | None,
              blurred: bool) -> None:
    """Send one alert email over SMTP with the face crop attached.

    The one SMTP client of the workbench's alerts (registry matches here, stream hits in
    :mod:`workbench.streams.alerts`): STARTTLS and login as the settings say, the password
    read from the environment variable ``password_env`` names, never from a file.

    Args:
        settings: the SMTP server, sender and recipients.
        subject: the subject line.
        lines: the text, one line each.
        crop: JPEG bytes attached as ``face-blurred.jpg`` (or ``face.jpg``), or None.
        blurred: whether the crop is blurred (names the attachment).
    """
    import smtplib
    from email.message import EmailMessage

    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message.set_content("\n".join(lines))
    if crop:
        name = "face-blurred.jpg" if blurred else "face.jpg"
        message.add_attachment(crop, maintype="image", subtype="jpeg", filename=name)
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s) as smtp:
        if settings.starttls:
            smtp.starttls()
        if settings.username:
            smtp.login(settings.username, os.environ.get(settings.password_env or "", ""))
        smtp.send_message(message)


def deliver(settings: AlertSettings, payload: dict[str, Any], crop: bytes | None,
            subject: str, lines: list[str]) -> dict[str, str]:
    """Send one alert to every configured channel; returns ``channel -> outcome``.

    Email gets ``subject`` and ``lines`` with the crop attached, the webhook the
    ``payload`` as JSON. An outcome is ``sent`` or ``failed: <why>``: a channel that fails
    never stops the others, nor the caller (a lookup, a watch).
    """
    channels: dict[str, str] = {}
    for name, setting in settings.channels():
        try:
            if isinstance(setting, EmailSettings):
                send_mail(setting, subject, lines, crop, settings.blur_crop)
            else:
                send_webhook(setting, payload)
            channels[name] = "sent"
        except Exception as error:  # noqa: BLE001 - smtplib/requests errors vary; never stop
            channels[name] = f"failed: {type(error).__name__}: {error}"
    return channels


def send_webhook(settings: WebhookSettings, payload: dict[str, Any]) -> None:
    """POST the alert as JSON; any non-2xx answer is a failure."""
    import requests

    response = requests.post(settings.url, json=payload, headers=settings.headers,
                             timeout=settings.timeout_s)
    if not 200 <= response.status_code < 300:
        raise MissingPersonsError(f"webhook answered HTTP {response.status_code}")


class Alerter:
    """The ``on_verified`` hook of a lookup: ``Alerter(registry, settings)(case, q, cand)``."""

    def __init__(self, registry: Registry, settings: AlertSettings) -> None:
        if settings.email is None and settings.webhook is None:
            raise MissingPersonsError("alerts need an email or webhook setting; see "
                                "workbench.missing.alerts for the format")
        self.registry = registry
        self.settings = settings
        self.sent: list[str] = []
        self.suppressed: list[str] = []

    def __call__(self, case: Any, query: FaceQuery, candidate: Candidate) -> str:
        """Send once; returns ``sent``, ``failed`` or ``duplicate``."""
        key = alert_key(case, query, candidate)
        detail = {"record_id": candidate.record.id, "case": str(case.path),
                  "face_id": query.face_id, "similarity": round(candidate.similarity, 4)}
        if not self.registry.claim_alert(key, detail):
            self.suppressed.append(key)
            case.audit("registry.alert.duplicate", target=candidate.record.id,
                       detail={**detail, "key": key})
            return "duplicate"
        blur = self.settings.blur_crop
        try:
            crop = face_crop_jpeg(case, query, blur=blur)
        except Exception as error:  # noqa: BLE001 - an alert must go out even without a crop
            crop, detail["crop_error"] = None, f"{type(error).__name__}: {error}"
        payload = alert_payload(case, query, candidate, crop, blur)
        channels = deliver(self.settings, payload, crop, *match_email(payload))
        status = "sent" if all(v == "sent" for v in channels.values()) else "failed"
        self.registry.finish_alert(key, status, channels)
        case.audit("registry.alert", target=candidate.record.id,
                   detail={**detail, "key": key, "status": status, "channels": channels,
                           "crop_blurred": blur})
        if status == "sent":
            self.sent.append(key)
        return status
