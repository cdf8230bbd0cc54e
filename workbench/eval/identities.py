"""Identification metrics on a labelled set (``workbench eval identities CSV``).

The CSV has ``file`` and ``identity`` columns (``multi_face`` rows, with several people,
are left out: the label does not say which face is whom). Each image's main face is
embedded, then either

* ``nn`` (open-set nearest neighbour, leave one out): each face takes the identity of its
  most similar other face if the similarity passes the threshold, else ``unknown``; the
  truth is ``unknown`` for people with no other image; or
* ``cluster``: faces are clustered (:func:`workbench.faces.cluster.cluster_faces`) and
  each cluster named after its most common identity; pairwise precision/recall/F1 say how
  well clusters and identities agree.

Per-identity precision, recall, F1 and a confusion matrix (truth x prediction) come back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import ValidationError

UNKNOWN = "unknown"
NO_FACE = "no_face"


@dataclass
class IdentityResult:
    """Metrics of one identification run."""

    mode: str
    threshold: float
    images: int
    no_face: int
    accuracy: float
    macro_precision: float
    macro_recall: float
    macro_f1: float
    pairwise: dict[str, float]
    per_identity: list[dict[str, Any]]
    confusion: dict[str, dict[str, int]]
    embedding_key: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        pw = self.pairwise
        return (f"{self.mode}: {self.images} images ({self.no_face} without a face), accuracy "
                f"{self.accuracy:.3f}, macro P/R/F1 {self.macro_precision:.3f}/"
                f"{self.macro_recall:.3f}/{self.macro_f1:.3f}, pairwise P/R/F1 "
                f"{pw['precision']:.3f}/{pw['recall']:.3f}/{pw['f1']:.3f} at "
                f"threshold {self.threshold:.3f}")


def read_labels(csv_path: str | Path, root: str | Path | None = None) -> pd.DataFrame:
    """``file`` (absolute) and ``identity`` of every single-person row of the CSV."""
    frame = pd.read_csv(csv_path)
    if not {"file", "identity"} <= set(frame.columns):
        raise ValidationError(f"{csv_path} needs 'file' and 'identity' columns, has "
                              f"{list(frame.columns)}")
    if "multi_face" in frame.columns:
        frame = frame[frame["multi_face"].fillna(0).astype(int) == 0]
    base = Path(root) if root else Path(csv_path).parent
    frame = frame.assign(file=[str((base / f).resolve()) for f in frame["file"]])
    return frame[["file", "identity"]].reset_index(drop=True)


def nearest_neighbour(vectors: np.ndarray, identities: Sequence[str], threshold: float
                      ) -> tuple[list[str], list[str]]:
    """Leave-one-out open-set identification: (truth, prediction) per image."""
    ids = np.asarray(identities, dtype=object)
    ok = ~np.isnan(vectors).any(axis=1)
    sims = np.where(ok[:, None] & ok[None, :], np.nan_to_num(vectors) @ np.nan_to_num(vectors).T,
                    -np.inf)
    np.fill_diagonal(sims, -np.inf)
    truth, pred = [], []
    for i in range(len(ids)):
        others = np.delete(ids[ok], np.flatnonzero(np.flatnonzero(ok) == i))
        truth.append(ids[i] if ids[i] in set(others) else UNKNOWN)
        if not ok[i]:
            pred.append(NO_FACE)
            continue
        j = int(np.argmax(sims[i]))
        pred.append(ids[j] if sims[i, j] >= threshold else UNKNOWN)
    return truth, pred


def pairwise_scores(labels: Sequence[Any], identities: Sequence[str]) -> dict[str, float]:
    """Pairwise precision/recall/F1: pairs put together vs pairs of one person."""
    lab = np.asarray(labels, dtype=object)
    ids = np.asarray(identities, dtype=object)
    iu = np.triu_indices(len(lab), k=1)
    together = lab[iu[0]] == lab[iu[1]]
    same = ids[iu[0]] == ids[iu[1]]
    tp = int(np.sum(together & same))
    precision = tp / max(int(together.sum()), 1)
    recall = tp / max(int(same.sum()), 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-12)
    return {"precision": precision, "recall": recall, "f1": f1}


def metrics(truth: Sequence[str], pred: Sequence[str]) -> tuple[list[dict[str, Any]],
                                                                dict[str, dict[str, int]]]:
    """Per-identity precision/recall/F1/support and the confusion matrix."""
    t = pd.Series(list(truth), dtype=object)
    p = pd.Series(list(pred), dtype=object)
    rows = []
    for name in sorted(set(t)):
        tp = int(((t == name) & (p == name)).sum())
        precision = tp / max(int((p == name).sum()), 1)
        recall = tp / max(int((t == name).sum()), 1)
        f1 = 2 * precision * recall / max(precision + recall, 1e-12)
        rows.append({"identity": name, "precision": precision, "recall": recall, "f1": f1,
                     "support": int((t == name).sum())})
    confusion = pd.crosstab(t, p)
    matrix = {str(r): {str(c): int(v) for c, v in confusion.loc[r].items() if v}
              for r in confusion.index}
    return rows, matrix


def evaluate_identities(csv_path: str | Path, mode: str = "nn", threshold: float | None = None,
                        factory: Callable[[], Any] | None = None,
                        cache_dir: Path | None = None, workers: int = 1,
                        progress: bool = True) -> IdentityResult:
    """Run identification on a labelled CSV and score it.

    Args:
        csv_path: CSV with ``file`` (relative to the CSV) and ``identity`` columns.
        mode: ``nn`` or ``cluster``.
        threshold: similarity threshold (default: the calibrated one at FMR 1e-3).
        factory: builds the embedder (default: dlib, largest face, no fallback).
        cache_dir: embedding cache folder.
        workers: embedding processes.
        progress: show a progress bar.
    """
    from functools import partial

    from workbench.eval.cache import embed_files
    from workbench.eval.embedders import DlibEmbedder
    from workbench.faces.verify import threshold_for

    if mode not in ("nn", "cluster"):
        raise ValidationError(f"mode must be 'nn' or 'cluster', got {mode!r}")
    labels = read_labels(csv_path)
    factory = factory or partial(DlibEmbedder, fallback=None, pick="largest")
    matrix, key = embed_files(labels["file"].tolist(), factory, cache_dir, workers, progress)
    if threshold is None:
        threshold = threshold_for(None, key)[0]
    ids = labels["identity"].tolist()
    no_face = np.isnan(matrix).any(axis=1)
    if mode == "nn":
        truth, pred = nearest_neighbour(matrix, ids, threshold)
        pairwise = pairwise_scores([p if p not in (UNKNOWN, NO_FACE) else f"_{i}"
                                    for i, p in enumerate(pred)], ids)
    else:
        from workbench.faces.cluster import cluster_embeddings

        ok = np.flatnonzero(~no_face)
        cluster = np.full(len(ids), -1)
        cluster[ok] = cluster_embeddings(matrix[ok], threshold,
                                         groups=np.array(labels["file"])[ok])
        named = {}
        for c in set(cluster[ok].tolist()):
            members = [ids[i] for i in np.flatnonzero(cluster == c)]
            named[c] = max(set(members), key=members.count) if len(members) > 1 else UNKNOWN
        pred = [named[c] if c >= 0 else NO_FACE for c in cluster]
        counts = pd.Series(ids).value_counts()
        truth = [i if counts[i] > 1 else UNKNOWN for i in ids]
        pairwise = pairwise_scores([c if c >= 0 else f"_{i}" for i, c in enumerate(cluster)],
                                   ids)
    rows, confusion = metrics(truth, pred)
    scored = [r for r in rows if r["identity"] != UNKNOWN]
    return IdentityResult(
        mode=mode, threshold=float(threshold), images=len(ids), no_face=int(no_face.sum()),
        accuracy=float(np.mean(np.array(truth, dtype=object) == np.array(pred, dtype=object))),
        macro_precision=float(np.mean([r["precision"] for r in scored])) if scored else 0.0,
        macro_recall=float(np.mean([r["recall"] for r in scored])) if scored else 0.0,
        macro_f1=float(np.mean([r["f1"] for r in scored])) if scored else 0.0,
        pairwise=pairwise, per_identity=rows, confusion=confusion, embedding_key=key,
    )
