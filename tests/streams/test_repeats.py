"""A picture seen again (a freeze, a looped file) is one evidence item with one more sighting.

Its faces are stored and scored once, at the first sighting: a repeat moves the tracker on
but adds no observation, so a second track over the same picture gives no second hit, and
`workbench score` replays exactly what the watch scored.
"""

from __future__ import annotations

from workbench.criteria.scoring import score_case
from workbench.store.faces import load_faces
from workbench.streams.reader import ReaderSettings
from workbench.streams.watch import WatchSettings, watch

from .helpers import box_analyzer, make_repeats


def test_a_repeated_picture_is_one_item_scored_once(new_case, tmp_path, rules_file) -> None:
    clip = make_repeats(tmp_path / "repeats.mp4")
    settings = WatchSettings(reader=ReaderSettings(fps=5, realtime=False, buffer=100),
                             rules=str(rules_file))
    status = watch(new_case, str(clip), settings, box_analyzer())

    assert status.analysed == status.kept == 20  # every sampled frame kept as a sighting
    frames = new_case.evidence("video_frame")
    assert len(frames) == 2 and status.repeats == 18  # the square and the black picture
    faces = load_faces(new_case)
    (face_id,) = faces.data["face_id"]  # stored once, not once per sighting
    sightings = frames.set_index("sha256")["paths"][faces.evidence_id[0]]
    assert len(sightings) == 10 and all("&t=" in p for p in sightings)  # 5 + 5 sightings
    assert status.tracks == 2  # the tracker saw the square leave and come back
    # the face keeps its first sighting's track, and that track has the one hit
    (track,) = faces.data["track_id"]
    assert track.endswith("-0000")
    hits = new_case.hits("criterion")
    assert status.hits == 1 and hits["face_id"].tolist() == [face_id]
    watched = hits[["id", "score"]].values.tolist()

    score_case(new_case, rules_file)
    assert new_case.hits("criterion")[["id", "score"]].values.tolist() == watched
