"""Fit the age head on one half of faces with known ages, and measure it on the other.

Usage (from the repository root; writes only where ``--out`` says)::

    python -m workbench.eval.age_fit --labels ../shared/data/faces/ages_utkface/ages.csv \\
        --out workbench/faces/age_head.json --workers 2

Each image is assigned to ``fit`` or ``check`` by its content hash
(:func:`workbench.eval.age.split_of`). Everything learned (the coefficients, the
regularisation, the target transform, the interval's residual quantiles and the operating
threshold) comes from ``fit`` alone, with 5-fold out-of-fold predictions wherever a choice
is made; ``check`` is used once, to measure what was fitted, and those figures are stored
beside the operating point so the product can show them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from workbench.eval.age import (
    CLEAR_ADULT_AGE,
    FIT,
    age_report,
    group_rates,
    label_columns,
    split_of,
    threshold_at_rate,
)
from workbench.faces.age_model import TRANSFORMS, AgeHead, age_summary, head_features
from workbench.faces.settings import FaceSettings

# The operating point is chosen where this share of the fit half's adults over 25 is
# flagged: below the 5 % the issue allows, leaving room for sampling noise on new faces.
TARGET_ADULT_RATE = 0.04
# "A likely adult" (the rules' adult beside a child) is p_minor at or below the point under
# which this share of the fit half's minors fall.
LIKELY_ADULT_MINOR_RATE = 0.01
INTERVAL_COVERAGE = 0.95
# Bands of predicted age the interval's residuals are taken in (errors differ by age).
INTERVAL_BINS = (0.0, 4.0, 10.0, 15.0, 20.0, 28.0, 40.0, 200.0)
MINOR_C = (0.01, 0.03, 0.1, 0.3)
AGE_ALPHA = (1.0, 10.0, 100.0)
FOLDS = 5


@dataclass
class AgeFeatures:
    """What the engine's age network and embedder gave for each labelled image."""

    files: list[str]
    truth: np.ndarray
    fit: np.ndarray
    found: np.ndarray
    distribution: np.ndarray
    embedding: np.ndarray

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, files=np.array(self.files), truth=self.truth, fit=self.fit,
                            found=self.found, distribution=self.distribution,
                            embedding=self.embedding)

    @classmethod
    def load(cls, path: Path) -> AgeFeatures:
        with np.load(path, allow_pickle=False) as z:
            return cls([str(f) for f in z["files"]], z["truth"], z["fit"], z["found"],
                       z["distribution"], z["embedding"])


def collect_features(labels: Path, root: Path | None = None, workers: int = 1,
                     progress: bool = True, cache_dir: Path | None = None) -> AgeFeatures:
    """Run the engine (``analyze``'s worker code, largest face) over a labelled CSV.

    The result is cached under ``cache_dir`` (default ``$WORKBENCH_CACHE``), keyed by the
    labels' and the engine's hashes, so a refit does not analyse every image again.
    """
    from workbench.eval.age import read_age_labels
    from workbench.eval.age_measure import largest_faces
    from workbench.eval.cache import default_cache_dir
    from workbench.faces.engine import FaceEngine

    files, truth = read_age_labels(labels, root)
    # The network's raw reading (no head) on HOG's faces: what the shipped head was fitted
    # on. YuNet-found faces read the same (benchmarks/age.py measures both).
    settings = FaceSettings(age_head=False, second_detector=None)
    key = hashlib.sha256(labels.read_bytes() + FaceEngine(settings).signature().encode())
    cache = (cache_dir or default_cache_dir().parent) / f"age-features-{key.hexdigest()[:16]}.npz"
    if cache.exists():
        return AgeFeatures.load(cache)
    n = len(files)
    found = np.zeros(n, bool)
    distribution = np.full((n, 81), np.nan, np.float32)
    embedding = np.full((n, 128), np.nan, np.float32)
    for i, faces, j in largest_faces(files, settings, workers, progress, "age features"):
        found[i] = True
        distribution[i] = faces.data["age_distribution"][j]
        embedding[i] = faces.embedding[j]
    features = AgeFeatures([str(f) for f in files], truth,
                           np.array([split_of(f) == FIT for f in files]), found, distribution,
                           embedding)
    features.save(cache)
    return features


def _scaled_linear(model: Any) -> dict[str, Any]:
    scaler, estimator = model.steps[0][1], model.steps[-1][1]
    coef = np.ravel(estimator.coef_)
    intercept = float(np.ravel([estimator.intercept_])[0])
    return {"mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist(),
            "coef": coef.tolist(), "intercept": intercept}


def fit_minor(x: np.ndarray, is_minor: np.ndarray) -> tuple[dict[str, Any], np.ndarray]:
    """Logistic regression for P(under 18); C chosen by out-of-fold log loss.

    Returns:
        The fitted part and its out-of-fold probabilities (for choosing the threshold).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=0)
    best: tuple[float, float, np.ndarray] | None = None
    for c in MINOR_C:
        model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000))
        oof = cross_val_predict(model, x, is_minor, cv=folds, method="predict_proba")[:, 1]
        loss = log_loss(is_minor, oof)
        if best is None or loss < best[0]:
            best = (loss, c, oof)
    assert best is not None
    model = make_pipeline(StandardScaler(), LogisticRegression(C=best[1], max_iter=5000))
    model.fit(x, is_minor)
    return {**_scaled_linear(model), "C": best[1], "oof_log_loss": round(best[0], 4)}, best[2]


def fit_age(x: np.ndarray, age: np.ndarray) -> tuple[dict[str, Any], np.ndarray]:
    """Ridge regression of a transformed age; transform and alpha by out-of-fold MAE.

    Returns:
        The fitted part and its out-of-fold scores in the transformed space.
    """
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import KFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    folds = KFold(FOLDS, shuffle=True, random_state=0)
    best: tuple[float, str, float, np.ndarray] | None = None
    for name, (forward, inverse) in TRANSFORMS.items():
        for alpha in AGE_ALPHA:
            model = make_pipeline(StandardScaler(), Ridge(alpha=alpha))
            oof = cross_val_predict(model, x, forward(age), cv=folds)
            mae = float(np.abs(inverse(np.maximum(oof, 0)) - age).mean())
            if best is None or mae < best[0]:
                best = (mae, name, alpha, oof)
    assert best is not None
    _, name, alpha, oof = best
    model = make_pipeline(StandardScaler(), Ridge(alpha=alpha))
    model.fit(x, TRANSFORMS[name][0](age))
    return {**_scaled_linear(model), "target": name, "alpha": alpha,
            "oof_mae": round(best[0], 3)}, oof


def conformal_interval(oof: np.ndarray, age: np.ndarray, target: str) -> dict[str, Any]:
    """Residual quantiles (transformed space) per band of predicted age: split conformal."""
    forward, inverse = TRANSFORMS[target]
    residual = forward(age) - oof
    predicted = inverse(np.maximum(oof, 0))
    alpha = 1 - INTERVAL_COVERAGE
    low, high = [], []
    for a, b in zip(INTERVAL_BINS[:-1], INTERVAL_BINS[1:], strict=True):
        r = np.sort(residual[(predicted >= a) & (predicted < b)])
        if len(r) < 20:  # too few to trust: use every residual
            r = np.sort(residual)
        n = len(r)
        low.append(float(r[max(int(np.floor(alpha / 2 * (n + 1))) - 1, 0)]))
        high.append(float(r[min(int(np.ceil((1 - alpha / 2) * (n + 1))) - 1, n - 1)]))
    return {"coverage": INTERVAL_COVERAGE, "bins": list(INTERVAL_BINS), "low": low, "high": high}


def fit_head(features: AgeFeatures, embedding_key: str, age_model_sha256: str,
             groups: dict[str, np.ndarray] | None = None) -> dict[str, Any]:
    """The head document, fitted on the fit half and measured on the check half.

    Args:
        features: what the engine read from every labelled image.
        embedding_key: the embedding space the head is fitted in.
        age_model_sha256: the age network the head reads.
        groups: label columns (e.g. race, gender) to measure the check half per value of.
    """
    fit = features.fit & features.found
    x = head_features(features.distribution[fit], features.embedding[fit])
    truth = features.truth[fit]
    minor, oof_p = fit_minor(x, (truth < 18).astype(int))
    age, oof_age = fit_age(x, truth)
    threshold = threshold_at_rate(oof_p[truth >= CLEAR_ADULT_AGE], TARGET_ADULT_RATE)
    # the largest p_minor with at most LIKELY_ADULT_MINOR_RATE of minors at or below it
    adult_point = -threshold_at_rate(-oof_p[truth < 18], LIKELY_ADULT_MINOR_RATE)
    document: dict[str, Any] = {
        "format": 1, "embedding_key": embedding_key, "models": {"age": age_model_sha256},
        "minor": minor, "age": age, "interval": conformal_interval(oof_age, truth, age["target"]),
        "operating_point": {"threshold": threshold, "target_adult_26_rate": TARGET_ADULT_RATE},
    }
    check = (~features.fit) & features.found
    head = AgeHead({**document, "operating_point": {
        "threshold": threshold, "flagged": {}, "n": {}, "measured_on": ""}})
    out = head.predict(features.distribution[check], features.embedding[check])
    report = age_report(features.truth[check], np.ones(check.sum(), bool), out["age"],
                        out["age_low"], out["age_high"], out["p_minor"], threshold)
    document["operating_point"].update({
        "flagged": {k: round(b.flagged or 0.0, 4) for k, b in report.bands.items()},
        "n": {k: b.n for k, b in report.bands.items()},
        "measured_on": f"check half of the UTKFace chips, {int(check.sum())} faces never used "
                       "in fitting",
        "auc": round(report.auc or 0.0, 4),
    })
    document["operating_point"]["groups"] = {
        column: group_rates(features.truth[check], np.ones(check.sum(), bool), out["age_low"],
                            out["age_high"], out["p_minor"], threshold, values[check])
        for column, values in (groups or {}).items()}
    minors, adults = features.truth[check] < 18, features.truth[check] >= CLEAR_ADULT_AGE
    document["likely_adult"] = {
        "threshold": adult_point, "target_minor_rate": LIKELY_ADULT_MINOR_RATE,
        "minors_at_or_below": round(float((out["p_minor"][minors] <= adult_point).mean()), 4),
        "adults_26_at_or_below": round(float((out["p_minor"][adults] <= adult_point).mean()), 4)}
    document["check"] = {"mae": round(report.mae or 0.0, 3), "bias": round(report.bias or 0.0, 3),
                         "coverage": round(report.coverage or 0.0, 4),
                         "bands": {k: {"mae": round(b.mae or 0, 2), "bias": round(b.bias or 0, 2),
                                       "coverage": round(b.coverage or 0, 3)}
                                   for k, b in report.bands.items()}}
    return document


def main(argv: list[str] | None = None) -> int:
    from workbench.faces.engine import FaceEngine

    parser = argparse.ArgumentParser(prog="python -m workbench.eval.age_fit",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", required=True, type=Path, help="CSV with file and age columns")
    parser.add_argument("--root", type=Path, help="folder the file column is relative to")
    parser.add_argument("--out", required=True, type=Path, help="where to write the head JSON")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    features = collect_features(args.labels, args.root, args.workers, not args.quiet)
    engine = FaceEngine(FaceSettings(age_head=False, second_detector=None))
    document = fit_head(features, engine.embedding_key, engine.models()["age"],
                        label_columns(args.labels, ("race", "gender")))
    document["fitted_on"] = {
        "labels": args.labels.name, "labels_sha256": hashlib.sha256(args.labels.read_bytes())
        .hexdigest(), "split": "fit = first byte of the image's SHA-256 is even",
        "fit_faces": int((features.fit & features.found).sum()),
        "images": len(features.files), "faces_found": int(features.found.sum()),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "by": "python -m workbench.eval.age_fit"}
    args.out.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    point = AgeHead(document).operating_point
    print(f"age head written to {args.out}")
    print(point.describe())
    if point.caveat():
        print(point.caveat())
    adult = document["likely_adult"]
    print(f"likely adult: p_minor <= {adult['threshold']:.4f} holds "
          f"{adult['adults_26_at_or_below']:.0%} of adults over 25 and "
          f"{adult['minors_at_or_below']:.1%} of minors (check half)")
    print(f"check half: age MAE {document['check']['mae']}, bias {document['check']['bias']:+}, "
          f"95% interval coverage {document['check']['coverage']:.3f}")
    network = age_summary(features.distribution[features.found])[0]
    print(f"(the age network alone: MAE {np.abs(network - features.truth[features.found]).mean():.2f}"
          " on every found face)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
