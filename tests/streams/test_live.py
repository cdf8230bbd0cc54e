"""`workbench watch` on a real loopback stream: ffmpeg serves MPEG-TS over HTTP.

The server is killed and restarted mid-watch (the watch must reconnect), then the watch,
which has no end of its own, is stopped by SIGTERM (the run must end cleanly, counted and
recorded).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from workbench.store import Case
from workbench.store.faces import load_faces

from .helpers import free_port, serve

TESTS = Path(__file__).resolve().parent.parent


def _watch(case_dir: Path, url: str, rules: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    return subprocess.Popen(
        [sys.executable, "-m", "workbench.cli", "watch", str(case_dir), url, "--json",
         "--rules", str(rules), "--analyzer", "streams.helpers:box_analyzer", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(10)


def _check_case(case_dir: Path, summary: dict) -> None:
    """Counts add up, every analysed frame is kept, and each track has its one hit."""
    assert summary["received"] == summary["skipped"] + summary["analysed"] + summary["dropped"]
    assert summary["sampled"] == summary["analysed"] + summary["dropped"]
    with Case.open(case_dir) as case:
        # identical frames (a still scene) are one evidence item with one path per sighting
        frames = case.evidence("video_frame")
        assert sum(map(len, frames["paths"])) == summary["kept"] == summary["analysed"]
        faces = load_faces(case)
        upper = {t for t, box in zip(faces.data["track_id"], faces.xyxy, strict=True)
                 if box[1] < 60}
        hits = case.hits("criterion")
        by_face = dict(zip(faces.data["face_id"], faces.data["track_id"], strict=True))
        hit_tracks = [by_face[f] for f in hits["face_id"]]
        assert len(hit_tracks) == len(set(hit_tracks)) == summary["hits"]  # once per track
        assert set(hit_tracks) == upper  # and every frightened track has one
        run = case.runs().iloc[-1]
        assert run["kind"] == "watch" and run["status"] == "done"
        assert json.loads(run["params"])["source"].startswith("http://127.0.0.1:")


def _wait_for(case_dir: Path, watcher: subprocess.Popen, connection: int, frames: int) -> None:
    """Until ``frames`` frames of connection ``connection`` or later are kept (or 60 s)."""
    deadline = time.monotonic() + 60
    while True:
        with Case.open(case_dir) as case:
            seen = [m["connection"] for m in case.evidence("video_frame")["metadata"]]
        if sum(c >= connection for c in seen) >= frames:
            return
        assert time.monotonic() < deadline and watcher.poll() is None, "no frame kept"
        time.sleep(0.2)


def test_watch_reconnects_after_the_server_is_killed_and_stops_on_sigterm(tmp_path, clip,
                                                                         rules_file):
    port = free_port()
    case_dir = tmp_path / "case"
    Case.init(case_dir).close()
    server = serve(clip, port, loops=-1)
    watcher = _watch(case_dir, f"http://127.0.0.1:{port}/live.ts", rules_file, "--fps", "5",
                     "--retries", "30")
    try:
        _wait_for(case_dir, watcher, connection=1, frames=3)
        server.kill()  # the camera goes away...
        server.wait(10)
        time.sleep(1.0)
        server = serve(clip, port, loops=-1)  # ...and comes back
        _wait_for(case_dir, watcher, connection=2, frames=3)
        watcher.send_signal(signal.SIGTERM)
        out, err = watcher.communicate(timeout=30)
    finally:
        _stop(watcher)
        _stop(server)
    assert watcher.returncode == 0, err
    summary = json.loads(out)
    assert summary["reconnects"] >= 1 and summary["stopped_by"] == "stopped by SIGTERM"
    assert summary["analysed"] >= 6 and summary["hits"] >= 1
    _check_case(case_dir, summary)
