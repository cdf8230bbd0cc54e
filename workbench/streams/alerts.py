"""Tell the duty officer when a watched stream produces a hit at or above the threshold.

The channels, their settings file and their delivery are the missing-person alerts' own
(:class:`workbench.missing.alerts.AlertSettings`: ``--alerts FILE`` or
``$WORKBENCH_ALERTS``; email over SMTP, a JSON webhook, ``blur_crop``; sent by
:func:`workbench.missing.alerts.deliver`). A stream alert
carries the rule, score and conditions, the kept frame (evidence SHA-256, file, stream
time, time received) and the face crop from :mod:`workbench.media`, blurred unless the
settings turn that off. The watch sends each track's hit once; every alert and its
outcome per channel is written to the case's audit log.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from workbench.types import Hit, utc_now

if TYPE_CHECKING:
    from workbench.missing.alerts import AlertSettings
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


def send_stream_alert(case: Case, settings: AlertSettings, hit: Hit, frame: dict[str, Any],
                      face: dict[str, Any], jpeg: bytes) -> dict[str, str]:
    """Send one stream hit to every configured channel; returns ``channel -> outcome``.

    A channel that fails is reported (and audited), never raised: the watch goes on.
    """
    from workbench.media import ThumbnailError, thumbnail
    from workbench.missing.alerts import deliver

    blur = settings.blur_crop
    try:
        crop: bytes | None = thumbnail(jpeg, size=160, blur=blur, grey=False,
                                       box=face.get("box"))
    except ThumbnailError:
        crop = None
    payload = stream_payload(case, hit, frame, face, crop, blur)
    channels = deliver(settings, payload, crop, *stream_email(payload))
    case.audit("stream.alert", target=frame["evidence_id"], detail={
        "rule": hit.source, "face_id": hit.face_id, "track_id": face.get("track_id"),
        "score": hit.score, "channels": channels, "crop_blurred": blur})
    return channels
