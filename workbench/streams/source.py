"""Where a watched stream comes from: a network URL, a capture device or a file.

A source is given as text on the command line (``rtsp://...``, ``http://...``,
``/dev/video0``, ``clip.mp4``); :func:`parse_source` says which kind it is, and
:func:`open_capture` opens it with OpenCV (FFmpeg backend for URLs and files, V4L2 for
devices) with open and read timeouts, so a dead camera never hangs the watch.

Passwords in URLs (``rtsp://user:secret@camera/...``) are never recorded or printed:
:attr:`Source.shown` is the URL with the password replaced by ``***``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from workbench.errors import WorkbenchError

# URL schemes FFmpeg reads live; anything else with "://" is refused with a hint.
NETWORK_SCHEMES = ("rtsp", "rtsps", "rtp", "http", "https", "udp", "tcp", "srt", "rtmp")
_DEVICE = re.compile(r"^/dev/video\d+$")


class StreamError(WorkbenchError):
    """A stream could not be opened or read, or its source is not one the workbench reads."""


@dataclass(frozen=True)
class Source:
    """A stream source.

    Attributes:
        target: what OpenCV opens (the URL with its password, a device path or a file).
        kind: ``network``, ``device`` or ``file``.
        shown: the target safe to record and print (URL password masked).
    """

    target: str
    kind: str
    shown: str

    @property
    def live(self) -> bool:
        """A live source is reconnected when it drops; a file simply ends."""
        return self.kind != "file"


def mask_password(url: str) -> str:
    """The URL with any password replaced by ``***`` (``rtsp://u:***@host/x``)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    netloc = f"{parts.username or ''}:***@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def parse_source(text: str) -> Source:
    """Classify a source given as text.

    Raises:
        StreamError: an unknown URL scheme, or a path that is neither a device nor a file.

    Example:
        >>> parse_source("rtsp://cam:pw@10.0.0.5/stream1").shown
        'rtsp://cam:***@10.0.0.5/stream1'
    """
    text = str(text).strip()
    if "://" in text:
        scheme = text.split("://", 1)[0].lower()
        if scheme not in NETWORK_SCHEMES:
            raise StreamError(f"unsupported stream scheme {scheme!r}; use one of "
                              f"{', '.join(NETWORK_SCHEMES)}, a /dev/videoN device or a file")
        return Source(text, "network", mask_password(text))
    if _DEVICE.match(text):
        return Source(text, "device", text)
    path = Path(text).expanduser()
    if path.is_file():
        resolved = os.fspath(path.resolve())
        return Source(resolved, "file", resolved)
    raise StreamError(f"{text} is not a stream URL, a /dev/videoN device or a readable file; "
                      "check the path or the camera's address")


def open_capture(source: Source, open_timeout_s: float = 10.0, read_timeout_s: float = 10.0
                 ) -> Any:
    """An opened ``cv2.VideoCapture`` for ``source``, or None when it cannot be opened.

    None (not an exception) because a live source that is down is retried by the reader.
    """
    import cv2

    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(open_timeout_s * 1000),
              cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(read_timeout_s * 1000)]
    if source.kind == "device":
        capture = cv2.VideoCapture(source.target, cv2.CAP_V4L2)
    else:
        capture = cv2.VideoCapture(source.target, cv2.CAP_FFMPEG, params)
    if not capture.isOpened():
        capture.release()
        return None
    return capture
