"""Tracks on synthetic boxes: one moving person is one track; two people stay apart."""

from __future__ import annotations

import numpy as np

from faces_eval.helpers import people_vectors
from workbench.faces.tracks import TrackSettings, iou_matrix, link_tracks


def test_iou_matrix() -> None:
    a = np.array([[0, 0, 10, 10]], float)
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]], float)
    assert np.allclose(iou_matrix(a, b), [[1.0, 50 / 150, 0.0]])


def test_two_walkers_two_tracks_with_gap() -> None:
    frames, boxes, emb = [], [], []
    people, _ = people_vectors(2, 1, noise=0.0)
    for f in range(20):
        if f in (8, 9):        # person 0 occluded for two frames
            pass
        else:
            frames.append(f)
            boxes.append([10 + 3 * f, 10, 60 + 3 * f, 60])
            emb.append(people[0])
        frames.append(f)
        boxes.append([300 - 3 * f, 10, 350 - 3 * f, 60])
        emb.append(people[1])
    labels = link_tracks(np.array(frames), np.array(boxes, float), np.array(emb))
    assert len(set(labels)) == 2
    first = labels[np.array([e is people[0] or np.allclose(e, people[0]) for e in emb])]
    assert len(set(first)) == 1


def test_crossing_people_kept_apart_by_embedding() -> None:
    people, _ = people_vectors(2, 1, noise=0.0, seed=2)
    frames, boxes, emb, who = [], [], [], []
    for f in range(15):
        for p, x in ((0, 10 + 10 * f), (1, 150 - 10 * f)):
            frames.append(f)
            boxes.append([x, 10, x + 50, 60])
            emb.append(people[p])
            who.append(p)
    labels = link_tracks(np.array(frames), np.array(boxes, float), np.array(emb))
    who = np.array(who)
    assert len(set(labels[who == 0])) == 1 and len(set(labels[who == 1])) == 1
    assert set(labels[who == 0]).isdisjoint(labels[who == 1])


def test_gap_longer_than_tolerance_starts_new_track() -> None:
    boxes = np.array([[0, 0, 10, 10]] * 3, float)
    assert len(set(link_tracks(np.array([0, 1, 10]), boxes,
                               settings=TrackSettings(max_gap=3)))) == 2
    assert len(set(link_tracks(np.array([0, 1, 4]), boxes,
                               settings=TrackSettings(max_gap=3)))) == 1


def test_track_case_stores_track_ids(new_case) -> None:
    from faces_eval.helpers import mock_faces
    from workbench.faces.tracks import track_case
    from workbench.store.case import _now

    video = "f" * 64
    frames = [f"{i:064x}" for i in range(6)]
    people, _ = people_vectors(2, 1, noise=0.0, seed=4)
    with new_case.transaction() as conn:
        conn.execute("INSERT INTO evidence (id, kind, added_at) VALUES (?, 'video', ?)",
                     (video, _now()))
        for i, e in enumerate(frames):
            conn.execute("INSERT INTO evidence (id, kind, parent_id, frame_time_s, added_at) "
                         "VALUES (?, 'video_frame', ?, ?, ?)", (e, video, 0.5 * i, _now()))
    evidence = [e for e in frames for _ in range(2)]
    faces = mock_faces(np.stack([people[0], people[1]] * len(frames)), evidence)
    faces.xyxy[0::2] = [[10, 10, 60, 60]]
    faces.xyxy[1::2] = [[200, 10, 250, 60]]
    with new_case.transaction() as conn:
        conn.executemany("INSERT INTO faces (id, evidence_id, idx) VALUES (?, ?, ?)",
                         [(f, e, int(f.split(":")[1])) for f, e in
                          zip(faces.data["face_id"], faces.evidence_id, strict=True)])
    summary = track_case(new_case, faces)
    assert summary == {"run_id": summary["run_id"], "tracks": 2, "faces": 12}
    stored = new_case.query("SELECT idx, track_id FROM faces")
    assert stored.groupby("idx")["track_id"].nunique().tolist() == [1, 1]
    assert stored["track_id"].nunique() == 2
