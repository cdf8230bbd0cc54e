"""Vectorised scoring of a :class:`RuleSet` over all faces and images of a case.

Every condition is computed once over whole columns (numpy), image-level aggregates with
``bincount`` over integer image codes, so re-scoring 100,000 faces takes well under a
second; Python objects are built only for the rows that fire.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.criteria.minor import minor_probability
from workbench.criteria.rules import Rule, RuleCondition, RuleSet
from workbench.types import Condition, Faces, Hit

_NUMERIC_OPS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt,
    "==": operator.eq, "!=": operator.ne,
}
_NOT_ATTRIBUTES = {"evidence_id", "face_id", "run_id", "x1", "y1", "x2", "y2"}


def faces_frame(faces: Faces) -> pd.DataFrame:
    """One row per face with ``face_id`` and ``p_minor`` (computed from age if absent)."""
    frame = faces.to_frame()
    if "face_id" not in frame:
        # The case store names a face ``<evidence_id>:<index within the image>``.
        index = frame.groupby("evidence_id", sort=False).cumcount().astype(str)
        frame["face_id"] = frame["evidence_id"].astype(str) + ":" + index
    if "age" in frame:
        # Faces analysed before the age head (or by a backend without it) have an age but
        # no p_minor: they get the age-based estimate, face by face, so a case mixing
        # both still fires the p_minor rules on every face.
        known = (frame["p_minor"].to_numpy(float) if "p_minor" in frame
                 else np.full(len(frame), np.nan))
        if np.isnan(known).any():
            std = frame["age_std"].to_numpy(float) if "age_std" in frame else None
            estimate = minor_probability(frame["age"].to_numpy(float), std)
            frame["p_minor"] = np.where(np.isnan(known), estimate, known)
    return frame.reset_index(drop=True)


@dataclass
class Inputs:
    """What rules are evaluated on: faces, image signals and existing hits.

    Attributes:
        faces: one row per face (see :func:`faces_frame`).
        signals: ``evidence_id, name, value`` rows (e.g. ``explicit``).
        hits: ``evidence_id, face_id, kind, score`` rows of non-criterion hits.
        images: every evidence id image-level rules consider (faces' images are added).
    """

    faces: pd.DataFrame
    signals: pd.DataFrame
    hits: pd.DataFrame
    images: Iterable[str] = ()

    def __post_init__(self) -> None:
        ids = pd.Index(pd.unique(np.concatenate([
            np.asarray(list(self.images), dtype=object),
            self.faces["evidence_id"].to_numpy(object),
            self.signals["evidence_id"].to_numpy(object),
            self.hits["evidence_id"].to_numpy(object),
        ])))
        self.image_index = ids
        self.face_image = ids.get_indexer(self.faces["evidence_id"])
        self.n_images = len(ids)
        self._signals = self.signals.pivot_table(
            index="evidence_id", columns="name", values="value", aggfunc="max"
        ) if len(self.signals) else pd.DataFrame()

    def signal(self, name: str) -> np.ndarray:
        """Per image, the signal's value (NaN where it was not measured)."""
        if name not in self._signals:
            return np.full(self.n_images, np.nan)
        return self._signals[name].reindex(self.image_index).to_numpy(float)

    def hit_scores(self, kind: str, level: str) -> tuple[np.ndarray, np.ndarray]:
        """Best score of ``kind`` hits, and the source (list, registry) that gave it.

        Per image: over every such hit on the image. Per face: over the face's own hits and
        the hits of its image that name no face. No hit counts as 0.
        """
        rows = self.hits[self.hits["kind"] == kind]
        rows = rows.assign(source=rows["source"] if "source" in rows else kind)
        rows = rows.sort_values("score", ascending=False, kind="stable")
        if level == "image":
            best = rows.drop_duplicates("evidence_id").set_index("evidence_id")
            return _lookup(best, self.image_index)
        image_wide = rows[rows["face_id"].isna()].drop_duplicates("evidence_id")
        score, source = _lookup(image_wide.set_index("evidence_id"),
                                pd.Index(self.faces["evidence_id"]))
        own = rows.dropna(subset=["face_id"]).drop_duplicates("face_id").set_index("face_id")
        own_score, own_source = _lookup(own, pd.Index(self.faces["face_id"]))
        better = own_score > score
        return np.where(better, own_score, score), np.where(better, own_source, source)


def _lookup(best: pd.DataFrame, keys: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """``(score, source)`` of ``best`` (indexed by key) for each key; 0 and "" when absent."""
    if best.empty:
        return np.zeros(len(keys)), np.full(len(keys), "", dtype=object)
    found = best.index.get_indexer(keys)
    has = found >= 0
    score = np.where(has, best["score"].to_numpy(float)[found], 0.0)
    source = np.where(has, best["source"].to_numpy(object)[found], "")
    return score, source.astype(object)


@dataclass
class RuleResult:
    """The evaluation of one rule: rows that fired, their scores and condition values."""

    rule: Rule
    rows: np.ndarray                   # indices into faces (face rules) or images
    scores: np.ndarray
    values: list[np.ndarray]           # per condition, the observed value of each row
    fired: list[np.ndarray]            # per condition, whether it held for each row
    details: list[np.ndarray | None]   # per condition, e.g. which emotion was largest


def evaluate_rule(rule: Rule, inputs: Inputs) -> RuleResult:
    """Evaluate one rule over every face or image."""
    n = len(inputs.faces) if rule.level == "face" else inputs.n_images
    values, fired, details = [], [], []
    for cond in rule.conditions:
        value, ok, detail = _condition(cond, inputs, rule.level)
        values.append(value)
        fired.append(ok)
        details.append(detail)
    passes = np.ones(n, dtype=bool)
    score = np.full(n, rule.base)
    for cond, value, ok in zip(rule.conditions, values, fired, strict=True):
        if cond.required:
            passes &= ok
        if cond.weight:
            gain = cond.weight * np.clip(np.nan_to_num(value.astype(float)), 0, 1) if cond.scale \
                else np.full(n, cond.weight)
            score += np.where(ok, gain, 0.0)
    rows = np.flatnonzero(passes)
    return RuleResult(
        rule=rule, rows=rows, scores=np.clip(score[rows], 0.0, 1.0),
        values=[v[rows] for v in values], fired=[f[rows] for f in fired],
        details=[None if d is None else d[rows] for d in details],
    )


def _condition(cond: RuleCondition, inputs: Inputs, level: str
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(observed value, whether it holds, optional detail) for every row of ``level``."""
    if cond.kind in ("attr", "any_attr"):
        return _face_condition(cond, inputs.faces)
    if cond.kind == "signal":
        value = inputs.signal(str(cond.target))
        value = value[inputs.face_image] if level == "face" else value
        return value, _compare(value, cond), None
    if cond.kind == "hit":
        value, source = inputs.hit_scores(str(cond.target), level)
        return value, _compare(value, cond), source
    match = np.ones(len(inputs.faces), dtype=bool)
    for sub in cond.sub:
        match &= _face_condition(sub, inputs.faces)[1]
    counts = np.bincount(inputs.face_image[match], minlength=inputs.n_images).astype(float)
    value = counts[inputs.face_image] if level == "face" else counts
    return value, _compare(value, cond), None


def _face_condition(cond: RuleCondition, faces: pd.DataFrame
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    if cond.kind == "attr":
        name = str(cond.target)
        if name not in faces:
            value = np.full(len(faces), np.nan)
        else:
            value = faces[name].to_numpy()
        return value, _compare(value, cond), None
    names = [t for t in cond.target if t in faces]
    if not names:
        value = np.full(len(faces), np.nan)
        return value, np.zeros(len(faces), dtype=bool), None
    stack = np.column_stack([faces[t].to_numpy(float) for t in names])
    filled = np.where(np.isnan(stack), -np.inf, stack)
    best = filled.argmax(axis=1)
    value = filled[np.arange(len(faces)), best]
    value = np.where(np.isinf(value), np.nan, value)
    return value, _compare(value, cond), np.asarray(names, dtype=object)[best]


def _compare(value: np.ndarray, cond: RuleCondition) -> np.ndarray:
    """Apply the condition's operator; unknown values (NaN, None) never hold."""
    if cond.op == "in" or isinstance(cond.value, str):
        wanted = [str(v).lower() for v in (cond.value if cond.op == "in" else (cond.value,))]
        words = pd.Series(value, dtype=object).astype(str).str.lower()
        known = pd.notna(pd.Series(value, dtype=object)).to_numpy()
        hold = words.isin(wanted).to_numpy()
        return known & (hold if cond.op in ("in", "==") else ~hold)
    numeric = pd.to_numeric(pd.Series(value), errors="coerce").to_numpy(float)
    with np.errstate(invalid="ignore"):
        result = _NUMERIC_OPS[cond.op](numeric, float(cond.value))
    return result & ~np.isnan(numeric)


def evaluate(rules: RuleSet, inputs: Inputs, run_id: str = "") -> list[Hit]:
    """Evaluate every enabled rule; return the hits (each with its stable :attr:`Hit.id`:
    the same rule, image and face give the same id in every run)."""
    out: list[Hit] = []
    for rule in rules:
        if rule.enabled:
            out.extend(_hits(evaluate_rule(rule, inputs), inputs, rules.version_id, run_id))
    return out


def _hits(result: RuleResult, inputs: Inputs, version: str, run_id: str) -> Iterable[Hit]:
    rule = result.rule
    if rule.level == "face":
        evidence = inputs.faces["evidence_id"].to_numpy(object)[result.rows].tolist()
        face_ids = inputs.faces["face_id"].to_numpy(object)[result.rows].tolist()
    else:
        evidence = inputs.image_index.to_numpy(object)[result.rows].tolist()
        face_ids = [None] * len(result.rows)
    # Whole columns are converted to Python values at once; the loop only assembles.
    columns = [
        list(zip(_plain_column(result.values[c], cond), result.fired[c].tolist(),
                 _detail_column(cond, result.details[c], len(result.rows)), strict=True))
        for c, cond in enumerate(rule.conditions)
    ]
    names = [cond.name for cond in rule.conditions]
    scores = np.round(result.scores, 4).tolist()
    for i in range(len(result.rows)):
        conditions = tuple(
            Condition(name=names[c], value=column[i][0], fired=column[i][1], detail=column[i][2])
            for c, column in enumerate(columns)
        )
        face_id = None if face_ids[i] is None else str(face_ids[i])
        yield Hit(evidence_id=str(evidence[i]), kind="criterion", source=rule.name,
                  score=scores[i], conditions=conditions, run_id=run_id, face_id=face_id,
                  version=version)


def _detail_column(cond: RuleCondition, details: np.ndarray | None, n: int) -> list[str]:
    text = cond.text
    if details is None:
        return [text] * n
    if cond.kind == "hit":
        return [f"{text} (from {d})" if d else text for d in details.tolist()]
    return [f"{text} (largest: {d})" for d in details.tolist()]


def _plain_column(values: np.ndarray, cond: RuleCondition) -> list[object]:
    """JSON-friendly values: floats rounded, NaN as None, face counts as integers."""
    if values.dtype == object:
        return [None if v is None or (isinstance(v, float) and v != v) else v
                for v in values.tolist()]
    numbers = values.astype(float)
    if cond.kind in ("any_face", "count_faces"):
        return numbers.astype(int).tolist()
    return [None if v != v else v for v in np.round(numbers, 4).tolist()]
