"""Test helpers for streams: a synthetic clip, a loopback ffmpeg server, a box "detector".

No imagery of people is needed for the logic of a watch: the clip shows two white squares
crossing a black frame, and the analyzer below finds them by thresholding (a real
measurement on the streamed pixels) and gives them synthetic attributes, the way the
criteria tests use synthetic detector outputs. The upper square reads as a frightened
minor, the lower one as a calm adult.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import numpy as np
import pytest

from workbench.streams.watch import Analyzer
from workbench.types import Faces

RULES = """
version: stream-test-1
rules:
  - name: frightened_minor
    description: a face probably under 18 showing fear (test rule)
    level: face
    base: 0.5
    conditions:
      - {attr: p_minor, op: ">=", value: 0.5, weight: 0.2, label: probability under 18}
      - {attr: emotion_fear, op: ">=", value: 0.5, weight: 0.2, label: fear}
"""


def ffmpeg() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        pytest.fail("ffmpeg is missing: `make system-deps` installs it (Debian package ffmpeg)")
    return path


def make_clip(path: Path, seconds: float = 3.0, fps: int = 10) -> Path:
    """A 160x120 H.264 clip of two white squares moving 10 px/s in opposite directions."""
    subprocess.run([
        ffmpeg(), "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"color=c=black:s=160x120:r={fps}:d={seconds}",
        "-f", "lavfi", "-i", f"color=c=white:s=24x24:r={fps}",
        "-f", "lavfi", "-i", f"color=c=white:s=24x24:r={fps}",
        "-filter_complex", "[0][1]overlay=x='10+t*10':y=20:shortest=1[a];"
        "[a][2]overlay=x='120-t*10':y=70:shortest=1",
        "-c:v", "libx264", "-preset", "ultrafast", "-g", str(fps), "-pix_fmt", "yuv420p",
        str(path)], check=True, timeout=60)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(clip: Path, port: int, loops: int = 0) -> subprocess.Popen[bytes]:
    """ffmpeg serving ``clip`` in real time as MPEG-TS over HTTP on 127.0.0.1 (one client).

    Re-encoded with a little noise, as a camera's sensor gives: without it a looped clip
    repeats frames byte for byte, and identical frames are one evidence item.
    """
    return subprocess.Popen([
        ffmpeg(), "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", str(loops),
        "-i", str(clip), "-vf", "noise=alls=8:allf=t", "-c:v", "libx264", "-preset",
        "ultrafast", "-tune", "zerolatency", "-g", "10", "-f", "mpegts", "-listen", "1",
        f"http://127.0.0.1:{port}/live.ts"], stdin=subprocess.DEVNULL)


def box_faces(rgb: np.ndarray, evidence_id: str, run_id: str) -> Faces:
    """The white squares of a frame as faces with synthetic attributes."""
    import cv2

    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    count, _, stats, _ = cv2.connectedComponentsWithStats((grey > 128).astype(np.uint8))
    boxes = [s for s in stats[1:count] if s[4] >= 100]
    xyxy = np.array([[x, y, x + w, y + h] for x, y, w, h, _ in boxes], np.float32).reshape(-1, 4)
    upper = xyxy[:, 1] < 60
    n = len(xyxy)
    data = {
        "face_id": np.array([f"{evidence_id}:{i}" for i in range(n)], dtype=object),
        "age": np.where(upper, 10.0, 40.0), "age_std": np.full(n, 3.0),
        "p_minor": np.where(upper, 0.95, 0.01),
        "emotion_fear": np.where(upper, 0.8, 0.05), "emotion_neutral": np.where(upper, 0.1, 0.9),
        "quality": np.full(n, 0.9),
    }
    return Faces(evidence_id=np.array([evidence_id] * n, dtype=object), xyxy=xyxy,
                 confidence=np.ones(n, np.float32), data=data, run_id=run_id)


def box_analyzer() -> Analyzer:
    """The ``--analyzer`` the CLI tests name (``tests.streams.helpers:box_analyzer``)."""
    return Analyzer(box_faces, models={"test": "white-square threshold"},
                    params={"threshold": 128}, signature="")


def make_cuts(path: Path) -> Path:
    """A 3 s clip of three plain colours, one second each: two scene changes."""
    subprocess.run([
        ffmpeg(), "-hide_banner", "-loglevel", "error", "-y",
        *[arg for colour in ("red", "blue", "green")
          for arg in ("-f", "lavfi", "-i", f"color=c={colour}:s=64x48:r=10:d=1")],
        "-filter_complex", "[0][1][2]concat=n=3:v=1:a=0", "-c:v", "libx264", "-preset",
        "ultrafast", "-pix_fmt", "yuv420p", str(path)], check=True, timeout=60)
    return path


def make_repeats(path: Path) -> Path:
    """4 s at 10 fps, lossless: a still white square (1 s), black (2 s), the same square.

    Lossless H.264 decodes every still frame to the same pixels, so the kept JPEGs repeat
    byte for byte: the picture of the last second is the first second's, seen again.
    """
    subprocess.run([
        ffmpeg(), "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", "color=c=black:s=160x120:r=10:d=4",
        "-f", "lavfi", "-i", "color=c=white:s=24x24:r=10",
        "-filter_complex", "[0][1]overlay=x=20:y=20:shortest=1:enable='lt(t,1)+gte(t,3)'",
        "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-g", "10",
        "-pix_fmt", "yuv420p", str(path)], check=True, timeout=60)
    return path
