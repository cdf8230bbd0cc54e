"""`workbench score` after `workbench watch`: a stream's faces stay scored per track.

The watch scores each track once (:class:`workbench.criteria.scoring.TrackScorer`); a
re-score replays that scorer over the kept frames, so it gives the watch's hits, while the
faces of an ingested image in the same case are still scored one by one.
"""

from __future__ import annotations

from pathlib import Path

from criteria.helpers import add_faces, add_image, face

from workbench.cli import main
from workbench.criteria.synthetic import fake_evidence_id
from workbench.store import Case
from workbench.store.faces import load_faces

from .helpers import RULES

COLUMNS = ["id", "evidence_id", "face_id", "source", "score", "conditions"]


def _hits(case_dir: Path) -> list[tuple]:
    with Case.open(case_dir) as case:
        hits = case.hits("criterion")[COLUMNS]
    return sorted(tuple(str(v) for v in row) for row in hits.itertuples(index=False))


def _watch(case_dir: Path, clip: Path, rules: Path) -> None:
    assert main(["watch", str(case_dir), str(clip), "--fps", "5", "--no-realtime",
                 "--buffer", "100", "--min-track-frames", "3", "--rules", str(rules),
                 "--analyzer", "streams.helpers:box_analyzer", "--json"]) == 0


def test_score_after_a_watch_gives_the_hits_the_watch_recorded(tmp_path, clip, rules_file,
                                                               capsys) -> None:
    case_dir = tmp_path / "case"
    Case.init(case_dir, name="rescore").close()
    _watch(case_dir, clip, rules_file)
    watched = _hits(case_dir)
    with Case.open(case_dir) as case:
        faces = load_faces(case)
        frames = case.evidence("video_frame")
    upper = [i for i, box in enumerate(faces.xyxy) if box[1] < 60]
    assert len(upper) == 15 and len(watched) == 1  # 15 frightened faces, one track, one hit
    # the hit is the one of the track's third face (--min-track-frames 3), in stream order
    sample = {row.sha256: row.metadata["sample"] for row in frames.itertuples()}
    third = sorted((sample[faces.evidence_id[i]], faces.data["face_id"][i]) for i in upper)[2]
    assert watched[0][2] == third[1]

    assert main(["score", str(case_dir), "--rules", str(rules_file), "--json"]) == 0
    assert _hits(case_dir) == watched  # same ids, frames, faces, scores and conditions

    # an edited rule that also fires on the calm square: one more hit, for its one track
    edited = tmp_path / "edited.yaml"
    edited.write_text(RULES.replace("stream-test-1", "stream-test-2")
                      .replace("value: 0.5, weight: 0.2, label: probability",
                               "value: 0.0, weight: 0.2, label: probability")
                      .replace("value: 0.5, weight: 0.2, label: fear",
                               "value: 0.0, weight: 0.2, label: fear"), encoding="utf-8")
    assert main(["score", str(case_dir), "--rules", str(edited), "--json"]) == 0
    rescored = _hits(case_dir)
    by_face = dict(zip(faces.data["face_id"], faces.data["track_id"], strict=True))
    assert len(rescored) == 2 and len({by_face[h[2]] for h in rescored}) == 2
    capsys.readouterr()


def test_an_image_beside_a_stream_is_still_scored_face_by_face(tmp_path, clip,
                                                               rules_file) -> None:
    case_dir = tmp_path / "case"
    with Case.init(case_dir, name="mixed") as case:
        add_image(case, "photo")
        frightened = {**face(9, 2, "fear"), "p_minor": 0.95, "emotion_fear": 0.8}
        add_faces(case, "photo", [frightened, frightened])  # two faces, no tracks
    _watch(case_dir, clip, rules_file)
    assert main(["score", str(case_dir), "--rules", str(rules_file), "--json"]) == 0
    hits = _hits(case_dir)
    photo = fake_evidence_id("photo")
    assert sorted(h[2] for h in hits if h[1] == photo) == [f"{photo}:0", f"{photo}:1"]
    assert len([h for h in hits if h[1] != photo]) == 1  # the stream's one track
