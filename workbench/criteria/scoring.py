"""Score a case: evaluate the rules over stored faces, signals and hits, store the hits.

No model runs here, so re-scoring after a rule edit is cheap. The rules file is copied into
the case (``criteria/rules-<version>-<sha>.yaml``) and named in the :class:`Run`, so every
hit can be traced to the exact rules that produced it.

Faces of images and video files are scored one by one. Faces a live watch tracked
(:mod:`workbench.streams`) are scored per track by :class:`TrackScorer`, the very scorer
the watch used, replayed over the stream's frames in the order they were analysed, so a
re-score keeps the watch's one hit per rule and track.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.criteria.apply import Inputs, evaluate, faces_frame
from workbench.criteria.rules import RuleSet, load_rules
from workbench.criteria.threshold import get_threshold, set_threshold
from workbench.store import Case
from workbench.store.evidence import image_ids
from workbench.store.faces import load_rule_faces
from workbench.store.hits import input_hits
from workbench.store.signals import read_signals
from workbench.types import Faces, Hit, Run

RULES_DIR = "criteria"


@dataclass(frozen=True)
class ScoreResult:
    """What a scoring run did.

    Attributes:
        run_id: the ``score`` run.
        rules_version: ``<version>+<sha12>`` of the rules used.
        rules_copy: the copy of the rules file inside the case.
        faces: faces evaluated.
        images: images evaluated.
        hits: hits stored.
        by_rule: hits per rule.
        queued: hits at or above the review threshold.
        threshold: the review threshold.
        seconds: wall time of the whole scoring (read, evaluate, store).
        timings: wall seconds of each step: ``read``, ``evaluate``, ``store``.
        without_explicit_scan: images with no explicit-content score (rules on the
            ``explicit`` signal cannot fire there until ``workbench explicit`` runs).
    """

    run_id: str
    rules_version: str
    rules_copy: str
    faces: int
    images: int
    hits: int
    by_rule: dict[str, int] = field(default_factory=dict)
    queued: int = 0
    threshold: float = 0.3
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    without_explicit_scan: int = 0


def copy_rules_into_case(case: Case, rules: RuleSet) -> Path:
    """Keep the exact rules text with the case (written once per distinct content)."""
    folder = case.path / RULES_DIR
    folder.mkdir(exist_ok=True)
    safe_version = "".join(c if c.isalnum() or c in "-_." else "_" for c in rules.version)
    target = folder / f"rules-{safe_version}-{rules.sha256[:12]}.yaml"
    if not target.exists():
        target.write_text(rules.text, encoding="utf-8")
    return target


# Always read: the queue shows the age and its uncertainty, and p_minor derives from them.
AGE_COLUMNS = ("age", "age_std", "p_minor")


def build_inputs(case: Case, rules: RuleSet | None = None) -> Inputs:
    """Gather the rule inputs of a case from its store (only the attributes rules read)."""
    return _inputs(_rule_faces(case, rules), case)


def _rule_faces(case: Case, rules: RuleSet | None) -> Faces:
    columns = None if rules is None else rules.attributes() | set(AGE_COLUMNS)
    return load_rule_faces(case, columns)


def _inputs(faces: Faces, case: Case) -> Inputs:
    return Inputs(faces=faces_frame(faces), signals=read_signals(case),
                  hits=input_hits(case), images=image_ids(case))


def _score(case: Case, rules: RuleSet, faces: Faces, inputs: Inputs, run_id: str) -> list[Hit]:
    """Every hit of the case: faces one by one, and the faces of watched streams per track.

    A frame a watch kept is scored with its stream (:class:`TrackScorer`, frames in the
    order the watch analysed them) when each of its faces still has its track id; a frame
    re-analysed since (faces without a track) is scored like any image.
    """
    from workbench.store.faces import faces_table
    from workbench.streams.keep import stream_frames

    frames = stream_frames(case)
    if frames.empty:
        return evaluate(rules, inputs, run_id=run_id)
    table = faces_table(case)
    stored = dict(zip(table["face_id"], table["track_id"], strict=True))
    face_ids = faces.data.get("face_id", np.empty(0, dtype=object)).tolist()
    tracks = np.array([stored.get(f) for f in face_ids], dtype=object)
    untracked = set(faces.evidence_id[pd.isna(tracks)].tolist())
    frames = frames[~frames["evidence_id"].isin(untracked)]
    streamed = frames["evidence_id"].to_numpy(object)
    plain = ~np.isin(faces.evidence_id, streamed)
    watched_ids = set(streamed.tolist())
    hits = evaluate(rules, Inputs(
        faces=inputs.faces[plain].reset_index(drop=True),
        signals=inputs.signals[~inputs.signals["evidence_id"].isin(streamed)],
        hits=inputs.hits[~inputs.hits["evidence_id"].isin(streamed)],
        images=[i for i in inputs.images if i not in watched_ids]), run_id=run_id)
    for (_, minimum), watched in frames.groupby(["run_id", "min_track_frames"], sort=False):
        ids = watched["evidence_id"].tolist()
        position = {e: n for n, e in enumerate(ids)}
        members = np.flatnonzero(~plain & np.isin(faces.evidence_id, ids))
        # frame after frame as the watch analysed them; the store's order within a frame
        members = members[np.argsort([position[e] for e in faces.evidence_id[members]],
                                     kind="stable")]
        scorer = TrackScorer(rules, int(minimum), run_id)
        hits += [hit for hit, _ in scorer.score(
            faces[members], tracks[members].tolist(), ids,
            signals=inputs.signals[inputs.signals["evidence_id"].isin(ids)],
            hits=inputs.hits[inputs.hits["evidence_id"].isin(ids)])]
    return hits


def score_hits(rules: RuleSet, faces: Faces, signals: pd.DataFrame | None = None,
               hits: pd.DataFrame | None = None, run_id: str = "") -> list[Hit]:
    """Evaluate rules on in-memory inputs (no case needed): the pure core of scoring.

    Args:
        rules: the rule set.
        faces: faces with the engine's attribute columns.
        signals: ``evidence_id, name, value`` rows (e.g. ``explicit``), or None.
        hits: ``evidence_id, face_id, kind, score`` rows of existing hits, or None.
        run_id: stamped on each hit.
    """
    signals = pd.DataFrame(columns=["evidence_id", "name", "value"]) if signals is None else signals
    hits = pd.DataFrame(columns=["evidence_id", "face_id", "kind", "score"]) if hits is None \
        else hits
    inputs = Inputs(faces=faces_frame(faces), signals=signals, hits=hits)
    return evaluate(rules, inputs, run_id=run_id)


# Columns that describe a face's identity or position, never averaged over a track.
_NOT_AVERAGED = {"face_id", "track_id", "cluster_id", "detected_by", "age_source",
                 "age_distribution", "track_frames"}


@dataclass
class TrackScorer:
    """Rules evaluated per track as a stream's frames come: one hit per rule and track.

    The one implementation of per-track scoring: a watch feeds it each frame as it is
    analysed, and :func:`score_case` feeds it a watched stream's stored frames in the same
    order, so both give the same hits. Each face's numeric attributes (age, p_minor,
    emotion probabilities...) are replaced by their mean over the face's track so far,
    which steadies single-frame misreadings; a face rule fires at most once per track
    (once the track has ``min_track_frames`` faces), an image rule at most once per set
    of tracks seen together.

    Attributes:
        rules: the rule set.
        min_track_frames: a track's face hits wait until it has this many faces.
        run_id: stamped on each hit.
        frames: faces seen so far per track id.
    """

    rules: RuleSet
    min_track_frames: int = 1
    run_id: str = ""
    frames: dict[str, int] = field(default_factory=dict)
    _sums: dict[str, dict[str, list[float]]] = field(default_factory=dict, repr=False)
    _fired: set[tuple[str, ...]] = field(default_factory=set, repr=False)

    def score(self, faces: Faces, track_ids: Sequence[str], images: Sequence[str],
              signals: pd.DataFrame | None = None, hits: pd.DataFrame | None = None,
              ) -> list[tuple[Hit, dict[str, Any]]]:
        """The new hits of ``images`` (frames, oldest first) and their faces.

        Args:
            faces: the frames' faces, frame after frame in the order of ``images`` (a
                track's faces oldest first), ``face_id`` in ``data``.
            track_ids: the track of each face (one face per track and frame).
            images: the frames' evidence ids, oldest first, faceless ones included.
            signals: ``evidence_id, name, value`` rows of these frames, or None.
            hits: ``evidence_id, face_id, kind, score`` rows of these frames' other hits.

        Returns:
            ``(hit, face)`` pairs, frame order within each rule; ``face`` holds
            ``face_id``, ``track_id``, ``track_frames`` and ``box`` (all None for an
            image rule's hit).
        """
        view = self._view(faces, list(track_ids))
        signals = pd.DataFrame(columns=["evidence_id", "name", "value"]) if signals is None \
            else signals
        hits = pd.DataFrame(columns=["evidence_id", "face_id", "kind", "score"]) if hits is None \
            else hits
        inputs = Inputs(faces=faces_frame(view), signals=signals, hits=hits, images=images)
        return self._first(evaluate(self.rules, inputs, run_id=self.run_id), view)

    def _view(self, faces: Faces, ids: list[str]) -> Faces:
        """``faces`` with each numeric attribute the running mean over the face's track."""
        columns = {name: np.asarray(column, dtype=np.float64).copy()
                   for name, column in faces.data.items()
                   if name not in _NOT_AVERAGED and column.ndim == 1
                   and column.dtype.kind in "fiu"}
        counts = np.zeros(len(ids), dtype=np.int64)
        for i, track in enumerate(ids):
            self.frames[track] = counts[i] = self.frames.get(track, 0) + 1
            sums = self._sums.setdefault(track, {})
            for name, means in columns.items():
                total = sums.setdefault(name, [0.0, 0])
                if means[i] == means[i]:  # NaN (not measured) does not count
                    total[0] += float(means[i])
                    total[1] += 1
                if total[1]:
                    means[i] = total[0] / total[1]
        data = {**faces.data, **columns, "track_id": np.array(ids, dtype=object),
                "track_frames": counts}
        return Faces(evidence_id=faces.evidence_id, xyxy=faces.xyxy, confidence=faces.confidence,
                     landmarks=faces.landmarks, embedding=faces.embedding,
                     embedding_key=faces.embedding_key, data=data, run_id=faces.run_id)

    def _first(self, hits: list[Hit], view: Faces) -> list[tuple[Hit, dict[str, Any]]]:
        """The hits not yet given for their track (face rules) or set of tracks (image)."""
        row = {f: i for i, f in enumerate(view.data["face_id"].tolist())}
        tracks = view.data["track_id"].tolist()
        lengths = view.data["track_frames"].tolist()
        together: dict[str, set[str]] = {}
        for evidence, track in zip(view.evidence_id.tolist(), tracks, strict=True):
            together.setdefault(evidence, set()).add(track)
        out = []
        for hit in hits:
            i = row.get(hit.face_id) if hit.face_id is not None else None
            if i is not None:
                if lengths[i] < self.min_track_frames:
                    continue
                key: tuple[str, ...] = (hit.source, tracks[i])
                face = {"face_id": hit.face_id, "track_id": tracks[i],
                        "track_frames": lengths[i], "box": [float(v) for v in view.xyxy[i]]}
            else:
                key = (hit.source, "image", *sorted(together.get(hit.evidence_id, ())))
                face = {"face_id": None, "track_id": None, "box": None}
            if key not in self._fired:
                self._fired.add(key)
                out.append((hit, face))
        return out


def score_case(
    case: Case, rules: RuleSet | str | Path | None = None, threshold: float | None = None,
) -> ScoreResult:
    """Score every face and image of ``case`` and replace its earlier criterion hits.

    Faces a watch tracked are scored per track, as the watch scored them (one hit per
    rule and track, see :class:`TrackScorer`); every other face on its own.

    Args:
        case: an open case.
        rules: a loaded rule set, a path to a rules YAML file, or None for the defaults.
        threshold: if given, becomes the case's review threshold (audited).

    Returns:
        A :class:`ScoreResult`. Review decisions are untouched: they are kept under the
        hit's id (rule, image and face), and hold while the evidence behind them is
        unchanged.
    """
    ruleset = rules if isinstance(rules, RuleSet) else load_rules(rules)
    copy = copy_rules_into_case(case, ruleset)
    if threshold is not None:
        set_threshold(case, threshold)
    run = Run.start(
        "score", models={"rules": ruleset.version_id},
        params={"rules_source": ruleset.source, "rules_copy": str(copy.relative_to(case.path)),
                "rules_sha256": ruleset.sha256, "rules_version": ruleset.version},
    )
    with case.recording(run) as rec:
        t0 = time.perf_counter()
        faces = _rule_faces(case, ruleset)
        inputs = _inputs(faces, case)
        t1 = time.perf_counter()
        hits = _score(case, ruleset, faces, inputs, run.id)
        t2 = time.perf_counter()
        case.add_hits(hits, replace={"kind": "criterion"})
        t3 = time.perf_counter()
        current = get_threshold(case)
        result = ScoreResult(
            run_id=run.id, rules_version=ruleset.version_id, rules_copy=str(copy),
            faces=len(inputs.faces), images=inputs.n_images, hits=len(hits),
            by_rule=dict(Counter(h.source for h in hits)),
            queued=sum(h.score >= current for h in hits), threshold=current,
            seconds=round(t3 - t0, 3),
            timings={"read": round(t1 - t0, 3), "evaluate": round(t2 - t1, 3),
                     "store": round(t3 - t2, 3)},
            without_explicit_scan=int(np.isnan(inputs.signal("explicit")).sum()),
        )
        rec.summary.update(hits=result.hits, queued=result.queued, by_rule=result.by_rule)
    return result
