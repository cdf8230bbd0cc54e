"""Link faces in consecutive sampled video frames into tracks: one person, one track.

Frame by frame, open tracks and new detections are matched by the Hungarian algorithm
(``scipy.optimize.linear_sum_assignment``) on a cost mixing box overlap (IoU, after the
track's last box) and embedding similarity (to the track's running mean embedding). A
pair may only match if it overlaps enough and does not look like someone else, or looks
clearly like the same person (which bridges jumps and short occlusions). A track survives
``max_gap`` frames without a detection before it is closed.

Example:
    >>> import numpy as np
    >>> boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [2, 0, 12, 10]], float)
    >>> link_tracks(np.array([0, 1, 2]), boxes).tolist()
    [0, 0, 0]
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.errors import ValidationError
from workbench.store.evidence import video_frames
from workbench.store.faces import set_track_ids
from workbench.types import Faces, Run

if TYPE_CHECKING:
    from workbench.store.case import Case


@dataclass(frozen=True)
class TrackSettings:
    """Knobs of the tracker.

    Attributes:
        min_iou: least overlap with the track's last box for a match on position.
        min_similarity: a position match is refused below this embedding similarity
            (two people whose boxes overlap).
        strong_similarity: at or above this similarity a match needs no overlap.
        max_gap: sampled frames a track may miss before it is closed.
        iou_weight: weight of (1 - IoU) in the cost; the rest is (1 - similarity).
        momentum: how much of the running embedding is kept at each update.
    """

    min_iou: float = 0.2
    min_similarity: float = 0.35
    strong_similarity: float = 0.6
    max_gap: int = 5
    iou_weight: float = 0.5
    momentum: float = 0.8


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise intersection over union of ``(n, 4)`` and ``(m, 4)`` xyxy boxes."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


@dataclass
class _Track:
    box: np.ndarray
    last: int
    embedding: np.ndarray | None


def link_tracks(frame: np.ndarray, xyxy: np.ndarray, embedding: np.ndarray | None = None,
                settings: TrackSettings | None = None) -> np.ndarray:
    """Track label (``0..k-1``) of every face.

    Args:
        frame: ``(n,)`` sampled-frame index of each face (consecutive samples differ by 1).
        xyxy: ``(n, 4)`` boxes.
        embedding: ``(n, d)`` unit vectors, or None to track on position only.
        settings: tracker knobs.
    """
    from scipy.optimize import linear_sum_assignment

    s = settings or TrackSettings()
    frame = np.asarray(frame).reshape(-1)
    xyxy = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    if len(frame) != len(xyxy) or (embedding is not None and len(embedding) != len(xyxy)):
        raise ValidationError("frame, xyxy and embedding must have one row per face")
    labels = np.full(len(frame), -1)
    tracks: list[_Track] = []
    for f in np.unique(frame):
        det = np.flatnonzero(frame == f)
        live = [k for k, t in enumerate(tracks) if f - t.last <= s.max_gap + 1]
        matched: set[int] = set()
        if live:
            iou = iou_matrix(np.stack([tracks[k].box for k in live]), xyxy[det])
            if embedding is not None:
                track_emb = np.stack([tracks[k].embedding for k in live])
                sim = track_emb @ embedding[det].T
                ok = ((iou >= s.min_iou) & (sim >= s.min_similarity)) | (sim >= s.strong_similarity)
                cost = s.iou_weight * (1 - iou) + (1 - s.iou_weight) * (1 - sim)
            else:
                ok = iou >= s.min_iou
                cost = 1 - iou
            cost = np.where(ok, cost, 1e6)
            rows, cols = linear_sum_assignment(cost)
            for r, c in zip(rows, cols, strict=True):
                if not ok[r, c]:
                    continue
                t, d = tracks[live[r]], det[c]
                labels[d] = live[r]
                matched.add(int(d))
                t.box, t.last = xyxy[d], int(f)
                if embedding is not None and t.embedding is not None:
                    mixed = s.momentum * t.embedding + (1 - s.momentum) * embedding[d]
                    t.embedding = mixed / max(float(np.linalg.norm(mixed)), 1e-12)
        for d in det:
            if int(d) not in matched:
                labels[d] = len(tracks)
                tracks.append(_Track(xyxy[d], int(f),
                                     None if embedding is None else embedding[d].copy()))
    return labels


def track_faces(faces: Faces, frame: np.ndarray, settings: TrackSettings | None = None
                ) -> np.ndarray:
    """:func:`link_tracks` on ``Faces`` (embeddings used when present)."""
    return link_tracks(frame, faces.xyxy, faces.embedding, settings)


def track_case(case: Case, faces: Faces, settings: TrackSettings | None = None,
               fps: float | None = None) -> dict[str, Any]:
    """Link the faces of every video of a case into tracks; stores ``faces.track_id``.

    Frames are ordered by ``frame_time_s`` within each parent video; the sampling step is
    the smallest time difference between sampled frames (or ``1 / fps`` when given).

    Args:
        case: the open case.
        faces: faces with ``data['face_id']`` (faces of still images are ignored).
        settings: tracker knobs.
        fps: sampling rate, when known.
    """
    from workbench.faces.cluster import _face_ids

    s = settings or TrackSettings()
    frames = video_frames(case).set_index("id")
    ids = _face_ids(faces)
    in_video = np.array([e in frames.index for e in faces.evidence_id], dtype=bool)
    run = Run.start("faces.track", models={"embedding": faces.embedding_key},
                    params={**asdict(s), "fps": fps})
    with case.recording(run) as rec:
        updates: list[tuple[str, str]] = []
        n_tracks = 0
        for parent in frames["parent_id"].dropna().unique():
            mask = in_video & np.array([frames.at[e, "parent_id"] == parent if in_video[i] else False
                                        for i, e in enumerate(faces.evidence_id)])
            if not mask.any():
                continue
            sub = faces[mask]
            times = np.array([frames.at[e, "frame_time_s"] for e in sub.evidence_id], dtype=float)
            distinct = np.unique(times)
            step = 1.0 / fps if fps else (np.min(np.diff(distinct)) if len(distinct) > 1 else 1.0)
            index = np.round((times - distinct[0]) / step).astype(int)
            labels = track_faces(sub, index, s)
            for face_id, label in zip(ids[mask], labels, strict=True):
                updates.append((f"tr-{run.id[:8]}-{n_tracks + label:04d}", face_id))
            n_tracks += int(labels.max()) + 1
        set_track_ids(case, updates)
        rec.summary.update(tracks=n_tracks, faces=len(updates))
    return {"run_id": run.id, **rec.summary}


def track_video(path: str, analyze: Any, step: int = 1, max_frames: int | None = None,
                settings: TrackSettings | None = None) -> tuple[Faces, np.ndarray, np.ndarray]:
    """Analyse every ``step``-th frame of a video file and link the faces into tracks.

    Args:
        path: video file (read with OpenCV).
        analyze: ``rgb -> Faces`` (e.g. ``FaceEngine(...).analyze_array``).
        step: sample one frame in ``step``.
        max_frames: stop after this many sampled frames.
        settings: tracker knobs.

    Returns:
        The faces of all sampled frames, the sampled-frame index of each, and track labels.
    """
    import cv2

    from workbench.errors import EvidenceError

    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise EvidenceError("unreadable video", str(path))
    parts, frames = [], []
    index = sampled = 0
    try:
        while max_frames is None or sampled < max_frames:
            ok, bgr = capture.read()
            if not ok:
                break
            if index % step == 0:
                faces = analyze(np.ascontiguousarray(bgr[:, :, ::-1]))
                parts.append(faces)
                frames.append(np.full(len(faces), sampled))
                sampled += 1
            index += 1
    finally:
        capture.release()
    faces = Faces.merge(parts)
    frame = np.concatenate(frames) if frames else np.empty(0, int)
    return faces, frame, track_faces(faces, frame, settings)
