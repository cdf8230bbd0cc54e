"""Measure verification thresholds on the LFW development view (``workbench eval calibrate``).

A threshold is chosen from a target false-match rate (FMR), not guessed: every image of
a pairs file (``pairsDevTrain.txt``) is embedded, every pair of images of *different*
people is an impostor pair (millions of them, so an FMR of 1e-4 is measurable) and every
pair of images of the same person a genuine pair. For each target FMR the threshold is
the lowest cosine similarity at which at most that fraction of impostor pairs match.
The result is a small versioned JSON file that ``workbench.faces.verify`` ships and reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from workbench.eval.lfw import best_threshold, parse_pairs, threshold_at_far
from workbench.types import code_version, utc_now

CALIBRATION_VERSION = 1
DEFAULT_FARS: tuple[float, ...] = (1e-2, 1e-3, 1e-4)


def all_pair_scores(vectors: np.ndarray, identities: Sequence[str]
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Cosine similarity of every unordered pair of rows, and whether both are one person.

    Rows with NaN (no face) are left out.
    """
    ok = ~np.isnan(vectors).any(axis=1)
    vectors = vectors[ok]
    ids = np.asarray(identities, dtype=object)[ok]
    sims = vectors @ vectors.T
    iu = np.triu_indices(len(vectors), k=1)
    same = ids[iu[0]] == ids[iu[1]]
    return sims[iu].astype(np.float32), same.astype(bool)


def operating_points(scores: np.ndarray, same: np.ndarray, fars: Sequence[float]
                     ) -> dict[str, dict[str, float]]:
    """Threshold, TAR and measured FMR at each target FMR."""
    points = {}
    neg, pos = scores[~same], scores[same]
    for far in fars:
        t = threshold_at_far(scores, same, far)
        points[f"{far:g}"] = {
            "threshold": round(float(t), 6),
            "tar": round(float(np.mean(pos >= t)), 6),
            "far_measured": float(np.mean(neg >= t)),
        }
    return points


def calibrate(pairs_file: str | Path, images: str | Path,
              factory: Callable[[], Any] | None = None, fars: Sequence[float] = DEFAULT_FARS,
              default_far: float = 1e-3, cache_dir: Path | None = None, workers: int = 1,
              progress: bool = True, limit: int | None = None) -> dict[str, Any]:
    """Measure the calibration on the images of ``pairs_file``; returns the JSON document.

    Args:
        pairs_file: LFW pairs file whose images are measured (the development training
            view, so the test view stays unseen).
        images: LFW images folder.
        factory: builds the embedder (default ``DlibEmbedder``).
        fars: target false-match rates to record.
        default_far: the one ``compare`` uses when none is asked for.
        cache_dir: embedding cache folder.
        workers: embedding processes.
        progress: show a progress bar.
        limit: measure only the pairs whose images are among the first ``limit`` images
            of the file (recorded in the document), for a quicker, coarser calibration.
    """
    from workbench.eval.cache import embed_files
    from workbench.eval.embedders import DlibEmbedder

    pairs = parse_pairs(pairs_file, images)
    paths = pairs.images[:limit] if limit else pairs.images
    if limit:
        keep = set(paths)
        mask = np.array([a in keep and b in keep for a, b in zip(pairs.left, pairs.right,
                                                                   strict=True)])
        pairs = replace(pairs, left=tuple(p for p, m in zip(pairs.left, mask, strict=True) if m),
                        right=tuple(p for p, m in zip(pairs.right, mask, strict=True) if m),
                        same=pairs.same[mask], fold=pairs.fold[mask])
    matrix, key = embed_files(paths, factory or DlibEmbedder, cache_dir, workers, progress)
    identities = [Path(p).parent.name for p in paths]
    scores, same = all_pair_scores(matrix, identities)
    vectors = dict(zip(paths, matrix, strict=True))
    a = np.stack([vectors[p] for p in pairs.left])
    b = np.stack([vectors[p] for p in pairs.right])
    pair_scores = np.nan_to_num(np.sum(a * b, axis=1), nan=-1.0)
    return {
        "version": CALIBRATION_VERSION,
        "embedding_key": key,
        "model": key.split("+")[0],
        "metric": "cosine similarity of L2-normalised embeddings (distance = sqrt(2 - 2 s))",
        "measured_on": {
            "pairs_file": Path(pairs_file).name,
            "images": len(paths),
            "images_in_file": len(parse_pairs(pairs_file, images).images),
            "images_without_face": int(np.isnan(matrix).any(axis=1).sum()),
            "identities": len(set(identities)),
            "genuine_pairs": int(same.sum()),
            "impostor_pairs": int((~same).sum()),
        },
        "default_far": f"{default_far:g}",
        "operating_points": operating_points(scores, same, fars),
        "pairs_file_best_accuracy_threshold": round(best_threshold(pair_scores, pairs.same), 6),
        "created_at": utc_now().isoformat(timespec="seconds"),
        "code_version": code_version(),
    }


def write_calibration(document: dict[str, Any], path: str | Path) -> Path:
    """Write the calibration JSON (pretty, stable key order)."""
    path = Path(path)
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    return path
