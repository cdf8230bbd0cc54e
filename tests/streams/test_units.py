"""Sources, the reader's accounting and the per-track book, on small real inputs."""

from __future__ import annotations

import time

import numpy as np
import pytest

from workbench.streams.reader import FrameReader, ReaderSettings
from workbench.streams.source import StreamError, mask_password, parse_source
from workbench.streams.tracking import TrackBook
from workbench.types import Faces


def test_sources_are_classified_and_passwords_masked(clip) -> None:
    rtsp = parse_source("rtsp://cam:s3cret@10.0.0.5:554/stream1")
    assert rtsp.kind == "network" and rtsp.live
    assert "s3cret" not in rtsp.shown and rtsp.shown == "rtsp://cam:***@10.0.0.5:554/stream1"
    assert mask_password("http://example/x.ts") == "http://example/x.ts"
    assert parse_source("/dev/video0").kind == "device"
    local = parse_source(str(clip))
    assert local.kind == "file" and not local.live
    with pytest.raises(StreamError, match="scheme"):
        parse_source("ftp://host/x")
    with pytest.raises(StreamError, match="readable file"):
        parse_source("/nowhere/clip.mp4")


def test_reader_drops_the_oldest_when_nobody_reads(clip) -> None:
    """A file read at full speed into a 2-frame buffer nobody empties: every frame counted."""
    reader = FrameReader(parse_source(str(clip)), ReaderSettings(fps=0, buffer=2, realtime=False))
    reader.start()
    assert reader.ended.wait(20)
    c = reader.counters()
    assert c.received == 30 and c.skipped == 0 and c.sampled == 30
    assert c.dropped == 28 and reader.waiting() == 2
    kept = [reader.get(0.1), reader.get(0.1)]
    assert [f.sample for f in kept] == [28, 29]  # the freshest frames stay
    assert reader.stop() == 0 and reader.end_reason == "end of file"


def test_reader_samples_by_stream_time_and_paces_a_file(clip) -> None:
    reader = FrameReader(parse_source(str(clip)), ReaderSettings(fps=2, buffer=100))
    t0 = time.monotonic()
    reader.start()
    assert reader.ended.wait(20)
    elapsed = time.monotonic() - t0
    c = reader.counters()
    assert elapsed > 2.5  # 3 s of video played at its own rate, not read at once
    assert c.received == 30 and c.sampled == 6 and c.skipped == 24
    times = [reader.get(0.1).time_s for _ in range(6)]
    assert times == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0, 2.5], abs=0.051)
    reader.stop()


def _faces(boxes: list[list[float]], p_minor: list[float], evidence: str) -> Faces:
    n = len(boxes)
    return Faces(evidence_id=np.array([evidence] * n, dtype=object),
                 xyxy=np.array(boxes, np.float32).reshape(-1, 4), confidence=np.ones(n),
                 data={"p_minor": np.array(p_minor, float),
                       "face_id": np.array([f"{evidence}:{i}" for i in range(n)], dtype=object)})


MINOR_RULE = """
version: t
rules:
  - name: minor
    description: a face probably under 18 (test rule)
    level: face
    base: 0.5
    conditions:
      - {attr: p_minor, op: ">=", value: 0.6, weight: 0.5, scale: true, label: minor}
"""


def test_track_book_links_across_frames_and_the_scorer_averages_per_track() -> None:
    from workbench.criteria.rules import parse_rules
    from workbench.criteria.scoring import TrackScorer

    book = TrackBook("st-test")
    scorer = TrackScorer(parse_rules(MINOR_RULE), min_track_frames=2)
    frame_a = _faces([[0, 0, 20, 20], [100, 100, 120, 120]], [0.9, 0.1], "a")
    first = book.assign(0, frame_a)
    assert scorer.score(frame_a, first, ["a"]) == []  # 0.9 is a minor, but a 1-face track
    frame_b = _faces([[102, 101, 122, 121], [2, 1, 22, 21]], [0.3, 0.5], "b")
    second = book.assign(1, frame_b)
    assert second == [first[1], first[0]]  # order in the frame does not matter
    gone = book.assign(9, _faces([[1, 1, 21, 21]], [0.2], "c"))  # beyond max_gap: new track
    assert gone[0] not in first and book.count == 3
    (hit, face), = scorer.score(frame_b, second, ["b"])
    # the upper-left track's mean is (0.9 + 0.5) / 2 = 0.7, its frame's own value 0.5
    assert face["track_id"] == first[0] and face["track_frames"] == 2
    assert hit.conditions[0].value == pytest.approx(0.7) and hit.face_id == "b:1"
    assert scorer.frames == {first[0]: 2, first[1]: 2}
    # the same track again: no second hit; a new minor track: its own hit
    boxes = [[3, 2, 23, 22], [200, 0, 220, 20]]
    assert scorer.score(_faces(boxes, [0.9, 0.9], "d"), [first[0], "other"], ["d"]) == []
    later = scorer.score(_faces(boxes, [0.9, 0.9], "e"), [first[0], "other"], ["e"])
    assert [f["track_id"] for _, f in later] == ["other"]  # its second face: now it counts


def test_scene_changes_are_sampled_between_rate_samples(tmp_path) -> None:
    from .helpers import make_cuts

    clip = make_cuts(tmp_path / "cuts.mp4")
    reader = FrameReader(parse_source(str(clip)),
                         ReaderSettings(fps=0.1, scene_threshold=0.5, buffer=100, realtime=False))
    reader.start()
    assert reader.ended.wait(20)
    frames = [reader.get(0.1) for _ in range(reader.waiting())]
    reader.stop()
    assert [(f.time_s, f.reason) for f in frames] == [(0.0, "rate"), (1.0, "scene"),
                                                       (2.0, "scene")]
