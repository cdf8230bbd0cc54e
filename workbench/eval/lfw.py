"""The LFW verification protocol on any pairs file in the official format.

Pairs files: the first line is ``folds pairs_per_class`` (the 10-fold view: each fold is
``pairs_per_class`` matched pairs then as many mismatched ones) or a single count (the
development view: that many matched pairs, then that many mismatched). Then one pair a
line: ``name i j`` (same person) or ``name1 i name2 j`` (different people). Image ``i`` of
``name`` is ``name/name_000i.jpg`` under the images folder.

Accuracy is 10-fold: the threshold is chosen on the nine other folds and applied to the
held-out one. The development view has no folds, so its pairs are split into 10
stratified folds (pair ``k`` of each class goes to fold ``k % 10``); the result says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import ValidationError


class PairsFormatError(ValidationError):
    """A pairs file does not follow the LFW format."""


@dataclass(frozen=True)
class Pairs:
    """Parsed pairs: image paths of both sides, labels and fold of each pair."""

    left: tuple[str, ...]
    right: tuple[str, ...]
    same: np.ndarray
    fold: np.ndarray
    folds_from_file: bool
    source: str = ""

    def __len__(self) -> int:
        return len(self.same)

    @property
    def images(self) -> list[str]:
        """Every distinct image, in first-seen order."""
        return list(dict.fromkeys(self.left + self.right))


def image_path(images: Path, name: str, number: int) -> Path:
    """Where LFW keeps image ``number`` of ``name``."""
    return Path(images) / name / f"{name}_{number:04d}.jpg"


def parse_pairs(path: str | Path, images: str | Path, n_folds: int = 10) -> Pairs:
    """Read a pairs file (10-fold or development view) into :class:`Pairs`.

    Raises:
        PairsFormatError: on a malformed header or line, or counts that do not add up.
    """
    lines = [ln.split() for ln in Path(path).read_text().splitlines() if ln.strip()]
    if not lines:
        raise PairsFormatError(f"{path} is empty; expected an LFW pairs file")
    header = lines[0]
    try:
        counts = [int(x) for x in header]
    except ValueError as err:
        raise PairsFormatError(f"{path}: first line {header} is not 'folds pairs' or a count"
                               ) from err
    left: list[str] = []
    right: list[str] = []
    same: list[bool] = []
    for number, parts in enumerate(lines[1:], start=2):
        try:
            if len(parts) == 3:
                left.append(str(image_path(Path(images), parts[0], int(parts[1]))))
                right.append(str(image_path(Path(images), parts[0], int(parts[2]))))
                same.append(True)
            elif len(parts) == 4:
                left.append(str(image_path(Path(images), parts[0], int(parts[1]))))
                right.append(str(image_path(Path(images), parts[2], int(parts[3]))))
                same.append(False)
            else:
                raise ValueError(f"{len(parts)} fields")
        except ValueError as err:
            raise PairsFormatError(f"{path} line {number}: {' '.join(parts)!r} is not "
                                   f"'name i j' or 'name1 i name2 j' ({err})") from err
    labels = np.array(same, dtype=bool)
    if len(counts) == 2:
        folds, per_class = counts
        if len(labels) != folds * 2 * per_class:
            raise PairsFormatError(f"{path}: header says {folds} folds x {per_class} pairs per "
                                   f"class but the file has {len(labels)} pairs")
        fold = np.repeat(np.arange(folds), 2 * per_class)
        from_file = True
    elif len(counts) == 1:
        if len(labels) != 2 * counts[0] or labels[: counts[0]].sum() != counts[0]:
            raise PairsFormatError(f"{path}: header says {counts[0]} matched then {counts[0]} "
                                   f"mismatched pairs; the file has {len(labels)} pairs")
        fold = stratified_folds(labels, n_folds)
        from_file = False
    else:
        raise PairsFormatError(f"{path}: first line {header} has {len(counts)} numbers")
    return Pairs(tuple(left), tuple(right), labels, fold, from_file, str(path))


def stratified_folds(same: np.ndarray, n_folds: int = 10) -> np.ndarray:
    """Fold of each pair: the k-th pair of each class goes to fold ``k % n_folds``."""
    fold = np.empty(len(same), dtype=int)
    for cls in (True, False):
        idx = np.flatnonzero(same == cls)
        fold[idx] = np.arange(len(idx)) % n_folds
    return fold


# -- protocol math on scores (higher score = more likely the same person) ----------------


def accuracy_at(scores: np.ndarray, same: np.ndarray, threshold: float) -> float:
    """Fraction of pairs decided right when ``score >= threshold`` means "same"."""
    return float(np.mean((scores >= threshold) == same))


def best_threshold(scores: np.ndarray, same: np.ndarray) -> float:
    """The threshold maximising accuracy (midpoint between neighbouring scores)."""
    values = np.unique(scores)
    candidates = np.concatenate([[values[0] - 1e-6], (values[:-1] + values[1:]) / 2,
                                 [values[-1] + 1e-6]])
    order = np.argsort(scores)
    s, y = scores[order], same[order]
    # Accuracy at each candidate: positives at or above it plus negatives below it.
    pos_below = np.searchsorted(s[y], candidates, side="left")
    neg_below = np.searchsorted(s[~y], candidates, side="left")
    correct = (y.sum() - pos_below) + neg_below
    return float(candidates[int(np.argmax(correct))])


def kfold_accuracy(scores: np.ndarray, same: np.ndarray, fold: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per-fold accuracy and threshold, each threshold chosen on the other folds."""
    accs, thresholds = [], []
    for k in np.unique(fold):
        test = fold == k
        t = best_threshold(scores[~test], same[~test])
        thresholds.append(t)
        accs.append(accuracy_at(scores[test], same[test], t))
    return np.array(accs), np.array(thresholds)


def threshold_at_far(scores: np.ndarray, same: np.ndarray, far: float) -> float:
    """Lowest threshold whose false-accept rate on the mismatched pairs is at most ``far``.

    With ``n`` mismatched pairs the finest measurable FAR is ``1/n``; below that the
    threshold sits just above the highest mismatched score (zero false accepts).
    """
    neg = np.sort(scores[~same])[::-1]
    allowed = int(np.floor(far * len(neg) + 1e-9))
    if allowed >= len(neg):
        return float(neg[-1])
    return float(np.nextafter(neg[allowed], np.inf))


def tar_at_far(scores: np.ndarray, same: np.ndarray, far: float) -> tuple[float, float]:
    """(TAR, threshold) at the threshold of :func:`threshold_at_far`."""
    t = threshold_at_far(scores, same, far)
    return float(np.mean(scores[same] >= t)), t


def roc_points(scores: np.ndarray, same: np.ndarray, max_points: int = 200
               ) -> list[tuple[float, float, float]]:
    """ROC as ``(far, tar, threshold)`` points, from strictest to loosest threshold."""
    thresholds = np.unique(scores)[::-1]
    if len(thresholds) > max_points:
        thresholds = thresholds[np.linspace(0, len(thresholds) - 1, max_points).astype(int)]
    pos, neg = scores[same], scores[~same]
    return [(float(np.mean(neg >= t)), float(np.mean(pos >= t)), float(t)) for t in thresholds]


def auc(points: list[tuple[float, float, float]]) -> float:
    """Area under an ROC given as points (trapezoids, with (0,0) and (1,1) added)."""
    far = np.array([0.0] + [p[0] for p in points] + [1.0])
    tar = np.array([0.0] + [p[1] for p in points] + [1.0])
    return float(np.sum(np.diff(far) * (tar[1:] + tar[:-1]) / 2))


@dataclass
class LfwResult:
    """What ``workbench eval lfw`` reports."""

    pairs_file: str
    embedding_key: str
    pairs: int
    pairs_scored: int
    no_face: int
    folds_from_file: bool
    accuracy: float
    accuracy_std: float
    fold_accuracies: list[float]
    fold_thresholds: list[float]
    tar_at_far: dict[str, float]
    far_resolution: float
    auc: float
    roc: list[tuple[float, float, float]] = field(repr=False)
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        folds = "folds from the file" if self.folds_from_file else "10 stratified folds"
        tars = ", ".join(f"TAR@FAR={k}: {v:.4f}" for k, v in self.tar_at_far.items())
        return (f"LFW {Path(self.pairs_file).name}: accuracy {self.accuracy:.4f} "
                f"+/- {self.accuracy_std:.4f} ({folds}), {tars}, AUC {self.auc:.4f}; "
                f"{self.pairs} pairs, {self.no_face} images without a face "
                f"[{self.embedding_key}]")


def score_pairs(pairs: Pairs, vectors: dict[str, np.ndarray]) -> np.ndarray:
    """Cosine similarity of each pair; a pair with a missing face scores -1 (a miss
    counts against the system rather than being dropped)."""
    a = np.stack([vectors[p] for p in pairs.left])
    b = np.stack([vectors[p] for p in pairs.right])
    s = np.sum(a * b, axis=1)
    return np.where(np.isnan(s), -1.0, s)


def evaluate_scores(pairs: Pairs, scores: np.ndarray, embedding_key: str, no_face: int,
                    far_targets: tuple[float, ...] = (1e-3, 1e-2)) -> LfwResult:
    """The protocol's numbers for given pair scores."""
    accs, ts = kfold_accuracy(scores, pairs.same, pairs.fold)
    points = roc_points(scores, pairs.same)
    n_neg = int((~pairs.same).sum())
    tars = {f"{f:g}": tar_at_far(scores, pairs.same, f)[0] for f in far_targets}
    note = "" if pairs.folds_from_file else (
        "development view: no folds in the file, pairs split into 10 stratified folds")
    if 1e-3 * n_neg < 1:
        note += f"; FAR below 1/{n_neg} is not measurable here: TAR@1e-3 means zero false accepts"
    return LfwResult(
        pairs_file=pairs.source, embedding_key=embedding_key, pairs=len(pairs),
        pairs_scored=int(np.sum(scores > -1.0)), no_face=no_face,
        folds_from_file=pairs.folds_from_file, accuracy=float(accs.mean()),
        accuracy_std=float(accs.std()), fold_accuracies=accs.tolist(),
        fold_thresholds=ts.tolist(), tar_at_far=tars, far_resolution=1.0 / max(n_neg, 1),
        auc=auc(points), roc=points, note=note.strip("; "),
    )


def run_lfw(pairs_file: str | Path, images: str | Path,
            factory: Callable[[], Any] | None = None, cache_dir: Path | None = None,
            workers: int = 1, progress: bool = True) -> LfwResult:
    """Embed every image of a pairs file once (cached) and run the protocol.

    Args:
        pairs_file: official-format pairs file.
        images: folder with ``name/name_000i.jpg``.
        factory: builds the embedder (default :func:`~workbench.eval.embedders.DlibEmbedder`).
        cache_dir: embedding cache folder.
        workers: embedding processes (at most 2 on the shared machines).
        progress: show a progress bar.
    """
    from workbench.eval.cache import embed_files
    from workbench.eval.embedders import DlibEmbedder

    pairs = parse_pairs(pairs_file, images)
    missing = [p for p in pairs.images if not Path(p).is_file()]
    if missing:
        raise PairsFormatError(f"{len(missing)} images of {pairs_file} are not under {images}, "
                               f"e.g. {missing[0]}; pass the folder holding name/name_000i.jpg")
    paths = pairs.images
    matrix, key = embed_files(paths, factory or DlibEmbedder, cache_dir, workers, progress)
    vectors = dict(zip(paths, matrix, strict=True))
    no_face = int(np.isnan(matrix).any(axis=1).sum())
    return evaluate_scores(pairs, score_pairs(pairs, vectors), key, no_face)
