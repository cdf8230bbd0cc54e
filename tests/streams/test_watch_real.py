"""The shipped face engine on a real clip streamed over HTTP (slow: real model weights)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import pytest

from workbench.store import Case
from workbench.store.faces import load_faces

from .helpers import ffmpeg, free_port

ANY_FACE = """
version: any-face-1
rules:
  - name: any_face
    description: fires on every face (so that every track must give exactly one hit)
    level: face
    base: 0.5
    conditions:
      - {attr: quality, op: ">=", value: 0.0, label: any face}
"""


@pytest.mark.slow
def test_real_faces_are_tracked_and_hit_once_per_track(tmp_path, shared_data):
    clip = shared_data / "video" / "face_recognition_short_hamilton_clip.mp4"
    rules = tmp_path / "rules.yaml"
    rules.write_text(ANY_FACE, encoding="utf-8")
    Case.init(tmp_path / "case").close()
    port = free_port()
    server = subprocess.Popen([ffmpeg(), "-hide_banner", "-loglevel", "error", "-re", "-i",
                               str(clip), "-t", "6", "-c", "copy", "-f", "mpegts", "-listen",
                               "1", f"http://127.0.0.1:{port}/live.ts"])
    try:
        done = subprocess.run(
            [sys.executable, "-m", "workbench.cli", "watch", str(tmp_path / "case"),
             f"http://127.0.0.1:{port}/live.ts", "--fps", "2", "--retries", "3", "--json",
             "--rules", str(rules)], capture_output=True, text=True, timeout=300,
            env=os.environ)
    finally:
        server.kill()
        server.wait(10)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["received"] == summary["skipped"] + summary["analysed"] + summary["dropped"]
    assert summary["analysed"] >= 4 and summary["faces"] >= 4
    with Case.open(tmp_path / "case") as case:
        faces = load_faces(case)
        tracks = Counter(faces.data["track_id"])
        hits = case.hits("criterion")
        by_face = dict(zip(faces.data["face_id"], faces.data["track_id"], strict=True))
        hit_tracks = Counter(by_face[f] for f in hits["face_id"])
    # the same people across frames: far fewer tracks than faces, one hit per track
    assert len(tracks) < len(faces)
    assert set(hit_tracks) == set(tracks) and set(hit_tracks.values()) == {1}
    assert summary["hits"] == len(tracks)
