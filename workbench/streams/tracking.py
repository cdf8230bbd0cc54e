"""Faces of a live stream linked into tracks as frames arrive.

The linking is the workbench's tracker, :func:`workbench.faces.tracks.link_tracks`, run
over the last ``window`` sampled frames each time a frame arrives. That tracker works
frame by frame in time order and never revisits an earlier frame, so the newest frame's
labels follow from the frames before it; a new face joins the track of the latest
earlier face that carries its label in the window, or starts a new track. The window
bounds the cost on a long watch; it must exceed the tracker's ``max_gap`` (a track
unseen for longer is closed anyway).

The rules are evaluated on a track, not on one frame, by
:class:`workbench.criteria.scoring.TrackScorer` (each face's numeric attributes the mean
over its track so far; each rule fires at most once per track), the scorer that
``workbench score`` replays over the stored tracks.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from workbench.faces.tracks import TrackSettings, link_tracks
from workbench.types import Faces


@dataclass
class _Seen:
    sample: int
    xyxy: np.ndarray
    embedding: np.ndarray | None
    tracks: list[str]


@dataclass
class TrackBook:
    """The track ids of a watch.

    Attributes:
        prefix: start of every track id (``st-<run8>``).
        settings: the tracker's knobs.
        window: sampled frames the tracker looks back over.
    """

    prefix: str
    settings: TrackSettings = field(default_factory=TrackSettings)
    window: int = 30
    _history: deque[_Seen] = field(default_factory=deque)
    frames: dict[str, int] = field(default_factory=dict)

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
        return ids
