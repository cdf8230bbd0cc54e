"""Re-scoring a case with no watched stream is unchanged by per-track stream scoring.

`score_case` scores the faces a watch tracked per track (see tests/streams/test_rescore.py);
every other face, including the tracked faces of an ingested video file, is scored one by
one exactly as before: the hits are those of the plain rule evaluation over the case.
"""

from __future__ import annotations

import numpy as np

from workbench.criteria import load_rules, score_case
from workbench.criteria.apply import evaluate
from workbench.criteria.scoring import build_inputs
from workbench.criteria.synthetic import fake_evidence_id, random_faces
from workbench.store.faces import save_faces, set_track_ids
from workbench.store.signals import write_signals

from .helpers import add_faces, add_hash_hit, add_image, face


def test_a_case_without_streams_keeps_its_hits(new_case) -> None:
    faces = random_faces(1500, seed=4)
    images = list(dict.fromkeys(faces.evidence_id.tolist()))
    with new_case.transaction():
        for n, eid in enumerate(images):
            new_case.add_evidence({"id": eid, "kind": "image"}, path=f"/nonexistent/{n}.jpg")
    save_faces(new_case, faces, images)
    rng = np.random.default_rng(5)
    write_signals(new_case, [(e, "explicit", float(rng.beta(0.3, 8)), {}) for e in images], None)
    add_image(new_case, "listed")
    add_hash_hit(new_case, "listed")
    # a video file's frames, one track over both: its faces are still scored one by one
    video = fake_evidence_id("video-file")
    frame_ids = []
    with new_case.transaction():
        new_case.add_evidence({"id": video, "kind": "video", "format": "MP4"}, path="/v.mp4")
        for n in range(2):
            eid = fake_evidence_id(f"video-frame-{n}")
            new_case.add_evidence({"id": eid, "kind": "video_frame", "parent_id": video,
                                   "frame_time_s": float(n)}, path=f"/v.mp4#t={n}")
            frame_ids.append(eid)
    tracked = [add_faces(new_case, f"video-frame-{n}", [face(9, 2, "fear", p_minor=0.99)])[0]
               for n in range(2)]
    set_track_ids(new_case, [("file-track-1", f) for f in tracked])

    rules = load_rules()
    before = evaluate(rules, build_inputs(new_case, rules))  # the scoring streams came after
    expected = {h.id: (h.score, h.face_id) for h in before}
    result = score_case(new_case, rules)
    stored = new_case.hits("criterion")
    face_ids = [f if isinstance(f, str) else None for f in stored["face_id"]]  # NaN: no face
    got = dict(zip(stored["id"], zip(stored["score"], face_ids, strict=True), strict=True))
    assert got == expected and result.hits == len(expected) > 100
    assert {"known_hash", "minor_distress"} <= set(stored["source"])
    video_hits = stored[stored["evidence_id"].isin(frame_ids)]
    assert sorted(set(video_hits["face_id"])) == sorted(tracked)  # each frame's face, not once
