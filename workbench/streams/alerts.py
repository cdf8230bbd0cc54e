"""Tell the duty officer when a watched stream produces a hit at or above the threshold.

The channels and their settings file are the missing-person alerts' own
(:class:`workbench.missing.alerts.AlertSettings`: ``--alerts FILE`` or
``$WORKBENCH_ALERTS``; email over SMTP, a JSON webhook, ``blur_crop``). A stream alert
carries the rule, score and conditions, the kept frame (evidence SHA-256, file, stream
time, time received) and the face crop from :mod:`workbench.media`, blurred unless the
settings turn that off. The watch sends each track's hit once; every alert and its
outcome per channel is written to the case's audit log.
"""

from __future__ import annotations

import base64
import os
from typing import TYPE_CHECKING, Any

from workbench.types import Hit, utc_now

if TYPE_CHECKING:
    from workbench.missing.alerts import AlertSettings, EmailSettings
    from workbench.store.case import Case

NOTE = ("A stream hit is a lead for a trained person to check on the kept frame, "
        "never a verdict. Age and emotion estimates are unreliable on children.")


def stream_payload(case: Case, hit: Hit, frame: dict[str, Any], face: dict[str, Any],
                   crop: bytes | None, blurred: bool) -> dict[str, Any]:
    """The JSON body of a stream alert (also the email's text)."""
    return {
        "type": "workbench.stream_hit", "sent_at": utc_now().isoformat(), "note": NOTE,
        "case": {"name": case.name, "path": str(case.path)},
        "rule": hit.source, "score": hit.score, "rules_version": hit.version,
        "conditions": [c.as_dict() for c in hit.conditions],
        "frame": frame,
        "face": {**face, "crop_blurred": blurred,
                 "crop_jpeg_base64": base64.b64encode(crop).decode() if crop else None},
    }


def send_stream_email(settings: EmailSettings, payload: dict[str, Any], crop: bytes | None
                      ) -> None:
    """Send a stream alert by email with the (blurred) crop attached."""
    import smtplib
    from email.message import EmailMessage

    frame = payload["frame"]
    message = EmailMessage()
    message["Subject"] = (f"[Case Workbench] stream hit: {payload['rule']} in case "
                          f"{payload['case']['name']}")
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    lines = [NOTE, "", f"Case: {payload['case']['name']} ({payload['case']['path']})",
             f"Source: {frame['source']}", f"Rule: {payload['rule']} (score {payload['score']})",
             f"Frame: {frame['evidence_id']} at {frame['time_s']} s, received "
             f"{frame['received_at']}", f"Kept as: {frame['path']}",
             f"Track: {payload['face'].get('track_id')}", "Conditions:",
             *[f"  - {c['name']}: {c['value']} ({'fired' if c['fired'] else 'not fired'})"
               for c in payload["conditions"]]]
    message.set_content("\n".join(lines))
    if crop:
        name = "face-blurred.jpg" if payload["face"]["crop_blurred"] else "face.jpg"
        message.add_attachment(crop, maintype="image", subtype="jpeg", filename=name)
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s) as smtp:
        if settings.starttls:
            smtp.starttls()
        if settings.username:
            smtp.login(settings.username, os.environ.get(settings.password_env or "", ""))
        smtp.send_message(message)


def send_stream_alert(case: Case, settings: AlertSettings, hit: Hit, frame: dict[str, Any],
                      face: dict[str, Any], jpeg: bytes) -> dict[str, str]:
    """Send one stream hit to every configured channel; returns ``channel -> outcome``.

    A channel that fails is reported (and audited), never raised: the watch goes on.
    """
    from workbench.media import ThumbnailError, thumbnail
    from workbench.missing.alerts import send_webhook

    blur = settings.blur_crop
    try:
        crop: bytes | None = thumbnail(jpeg, size=160, blur=blur, grey=False,
                                       box=face.get("box"))
    except ThumbnailError:
        crop = None
    payload = stream_payload(case, hit, frame, face, crop, blur)
    channels: dict[str, str] = {}
    for name, setting in (("email", settings.email), ("webhook", settings.webhook)):
        if setting is None:
            continue
        try:
            if name == "email":
                send_stream_email(setting, payload, crop)
            else:
                send_webhook(setting, payload)
            channels[name] = "sent"
        except Exception as error:  # noqa: BLE001 - smtplib/requests errors vary; never stop
            channels[name] = f"failed: {type(error).__name__}: {error}"
    case.audit("stream.alert", target=frame["evidence_id"], detail={
        "rule": hit.source, "face_id": hit.face_id, "track_id": face.get("track_id"),
        "score": hit.score, "channels": channels, "crop_blurred": blur})
    return channels
