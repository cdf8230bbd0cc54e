"""Video: the file is Evidence of kind video; sampled frames are lossless PNGs in derived/."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from workbench.ingest.images import load_rgb

from .helpers import ingest_quiet

CLIP = "face_recognition_short_hamilton_clip.mp4"  # 640x360, 29.97 fps, 275 frames (9.2 s)


def test_frames_sampled_and_stored(shared_data: Path, new_case) -> None:
    clip = shared_data / "video" / CLIP
    report = ingest_quiet(new_case, [clip], fps=1.0)
    videos = new_case.evidence(kind="video")
    frames = new_case.evidence(kind="video_frame")
    assert len(videos) == 1 and report.frames == len(frames)
    video = videos.iloc[0]
    assert video["width"] == 640 and video["height"] == 360
    assert video["paths"] == [str(clip)]
    # one frame a second over 9.2 s (t = 0..9) plus any scene changes
    rate_frames = [m for m in frames["metadata"] if m["sampled_because"] == "rate"]
    assert len(rate_frames) == 10
    assert set(frames["parent_id"]) == {video["sha256"]}
    times = sorted(frames["frame_time_s"])
    assert times[0] == 0.0 and times[-1] == pytest.approx(9.0, abs=0.1)
    for row in frames.to_dict(orient="records"):
        png = new_case.path / row["derived_path"]
        assert row["derived_path"].startswith(f"derived/frames/{video['sha256']}/")
        assert hashlib.sha256(png.read_bytes()).hexdigest() == row["sha256"]
        assert row["pdq"] and row["pdq_quality"] >= 50
    first = new_case.get_evidence(frames.iloc[0]["sha256"])
    rgb = load_rgb(first, case=new_case)
    assert rgb.shape == (360, 640, 3) and rgb.dtype == np.uint8


def test_higher_rate_gives_more_frames(shared_data: Path, new_case) -> None:
    ingest_quiet(new_case, [shared_data / "video" / CLIP], fps=2.0, workers=1)
    rate = [m for m in new_case.evidence(kind="video_frame")["metadata"]
            if m["sampled_because"] == "rate"]
    assert len(rate) == 19


def test_unreadable_video_quarantined(tmp_path: Path, new_case) -> None:
    bad = tmp_path / "src" / "broken.mp4"
    bad.parent.mkdir()
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x13" * 5000)
    ingest_quiet(new_case, [bad.parent])
    assert list(new_case.quarantined()["reason"]) == ["video_unreadable"]
