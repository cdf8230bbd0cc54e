"""Faces of a live stream linked into tracks as frames arrive, with per-track attributes.

The linking is the workbench's tracker, :func:`workbench.faces.tracks.link_tracks`, run
over the last ``window`` sampled frames each time a frame arrives. That tracker works
frame by frame in time order and never revisits an earlier frame, so the newest frame's
labels follow from the frames before it; a new face joins the track of the latest
earlier face that carries its label in the window, or starts a new track. The window
bounds the cost on a long watch; it must exceed the tracker's ``max_gap`` (a track
unseen for longer is closed anyway).

The rules are evaluated on a track, not on one frame: each face's numeric attributes
(age, p_minor, emotion probabilities...) are replaced by the mean over its track so far,
which steadies single-frame misreadings, and each rule fires at most once per track.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from workbench.faces.tracks import TrackSettings, link_tracks
from workbench.types import Faces

# Columns that describe a face's identity or position, never averaged.
_NOT_AVERAGED = {"face_id", "track_id", "cluster_id", "detected_by", "age_source",
                 "age_distribution"}


@dataclass
class _Seen:
    sample: int
    xyxy: np.ndarray
    embedding: np.ndarray | None
    tracks: list[str]


@dataclass
class TrackBook:
    """Track ids and running attribute means of a watch.

    Attributes:
        prefix: start of every track id (``st-<run8>``).
        settings: the tracker's knobs.
        window: sampled frames the tracker looks back over.
    """

    prefix: str
    settings: TrackSettings = field(default_factory=TrackSettings)
    window: int = 30
    _history: deque[_Seen] = field(default_factory=deque)
    _sums: dict[str, dict[str, float]] = field(default_factory=dict)
    frames: dict[str, int] = field(default_factory=dict)
    _fired: set[tuple[str, ...]] = field(default_factory=set)

    @property
    def count(self) -> int:
        return len(self.frames)

    def assign(self, sample: int, faces: Faces) -> list[str]:
        """The track id of each face of the frame with sampled index ``sample``."""
        while self._history and sample - self._history[0].sample >= self.window:
            self._history.popleft()
        past = [h for h in self._history if len(h.tracks)]
        with_embedding = faces.embedding is not None and all(h.embedding is not None for h in past)
        frame = np.concatenate([np.full(len(h.tracks), h.sample) for h in past]
                               + [np.full(len(faces), sample)]).astype(int)
        xyxy = np.concatenate([h.xyxy for h in past] + [np.asarray(faces.xyxy, float)])
        embedding = np.concatenate([h.embedding for h in past] + [faces.embedding]
                                   ) if with_embedding and len(faces) else None
        ids: list[str] = []
        if len(faces):
            labels = link_tracks(frame, xyxy, embedding, self.settings)
            earlier = [t for h in past for t in h.tracks]
            by_label: dict[int, str] = {}
            for label, track in zip(labels[:len(earlier)], earlier, strict=True):
                by_label[int(label)] = track  # the latest earlier face of the label wins
            for label in labels[len(earlier):]:
                track = by_label.get(int(label))
                if track is None or track in ids:
                    track = f"{self.prefix}-{len(self.frames):04d}"
                    self.frames[track] = 0
                ids.append(track)
                self.frames[track] += 1
        self._history.append(_Seen(sample, np.asarray(faces.xyxy, float).reshape(-1, 4),
                                   None if faces.embedding is None else faces.embedding, ids))
        self._add(faces, ids)
        return ids

    def _add(self, faces: Faces, ids: list[str]) -> None:
        for name, column in faces.data.items():
            if name in _NOT_AVERAGED or column.ndim != 1 or column.dtype.kind not in "fiu":
                continue
            for i, track in enumerate(ids):
                value = float(column[i])
                if value == value:  # NaN (not measured) does not count
                    sums = self._sums.setdefault(track, {})
                    sums[name] = sums.get(name, 0.0) + value
                    sums[f"#{name}"] = sums.get(f"#{name}", 0.0) + 1

    def track_view(self, faces: Faces, ids: list[str]) -> Faces:
        """The frame's faces with each numeric attribute the mean over the face's track.

        ``data['track_id']`` and ``data['track_frames']`` are added.
        """
        data = dict(faces.data)
        for name, column in faces.data.items():
            if name in _NOT_AVERAGED or column.ndim != 1 or column.dtype.kind not in "fiu":
                continue
            means = np.asarray(column, dtype=np.float64).copy()
            for i, track in enumerate(ids):
                sums = self._sums.get(track, {})
                if sums.get(f"#{name}"):
                    means[i] = sums[name] / sums[f"#{name}"]
            data[name] = means
        data["track_id"] = np.array(ids, dtype=object)
        data["track_frames"] = np.array([self.frames[t] for t in ids], dtype=np.int64)
        return Faces(evidence_id=faces.evidence_id, xyxy=faces.xyxy, confidence=faces.confidence,
                     landmarks=faces.landmarks, embedding=faces.embedding,
                     embedding_key=faces.embedding_key, data=data, run_id=faces.run_id)

    def first_time(self, key: tuple[str, ...]) -> bool:
        """True the first time ``key`` (rule and track) is seen: a hit fires once."""
        if key in self._fired:
            return False
        self._fired.add(key)
        return True
