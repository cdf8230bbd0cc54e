"""Every way tried of reading "probably under 18", side by side, on faces of known age.

The data is ``../shared/data/faces/ages_utkface`` (3,492 face chips, ages 1-116). Each
image is in the ``fit`` or the ``check`` half by its content hash
(:func:`workbench.eval.age.split_of`); every method learns only from ``fit`` (with 5-fold
out-of-fold scores where it picks a threshold), and every figure below is the ``check``
half. A method's threshold is the one that flags 4 % of the fit half's adults over 25 (the
current engine keeps its rules' 0.3).

Methods:

* ``current engine``: the age network's own mass below 18 at the rules' 0.3.
* ``network mass, fitted threshold``: the same score at the fitted operating point.
* ``isotonic calibration``: the mass mapped through an isotonic fit (one score, so its
  ranking and rates equal the row above: calibration alone cannot help teenagers).
* ``logistic on distribution``: logistic regression over the 81-class output (pooled).
* ``+ test-time flip``: the distribution averaged with the mirrored chip's.
* ``head: distribution + embedding``: the shipped head (``workbench/faces/age_head.json``),
  logistic over the distribution and the 128-D face embedding.
* ``head + flip``: the same, refitted on flip-averaged distributions.
* ``head, YuNet detector``: the shipped head on faces found by YuNet (check half).
* ``head, HOG then YuNet``: the shipped engine: YuNet only where HOG found no face.

Cost per face is measured in this run on a sample of chips, one process: the current
engine's full analysis (detect, landmarks, embed, age, gender, emotion), and what each
method adds to it. Features are cached under ``$WORKBENCH_CACHE`` (the first run analyses
every chip: about 10 minutes on 2 cores).

Usage:
    .venv/bin/python benchmarks/age.py [--workers 2] [--timing 40] [--json FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LABELS = ROOT.parent / "shared" / "data" / "faces" / "ages_utkface" / "ages.csv"
TARGET = 0.04

_engine: Any = None


def _init(detector: str) -> None:
    global _engine
    from workbench.faces import FaceEngine, FaceSettings

    _engine = FaceEngine(FaceSettings(detector=detector, second_detector=None,
                                      age_head=False)).load()


def _read(path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Distribution, mirrored distribution and embedding of the largest face, or None."""
    from workbench.faces.analyze import load_pixels

    rgb = load_pixels(path)
    faces = _engine.analyze_image(rgb)
    if not len(faces):
        return None
    j = int(np.argmax(faces.area))
    shapes, _ = _engine.landmarks(rgb, faces.xyxy[j:j + 1])
    mirrored, _ = _engine._part("age_gender").distributions(rgb, shapes, mirrored=True)
    return faces.data["age_distribution"][j], mirrored[0], faces.embedding[j]


def collect(files: list[Path], detector: str, workers: int) -> dict[str, np.ndarray]:
    """Features of every file (cached by file list and detector)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from workbench.eval.cache import default_cache_dir
    from workbench.progress import progress_bar

    key = hashlib.sha256(("\n".join(map(str, files)) + detector).encode()).hexdigest()[:16]
    cache = default_cache_dir().parent / f"age-bench-{key}.npz"
    if cache.exists():
        with np.load(cache) as z:
            return dict(z)
    n = len(files)
    out = {"found": np.zeros(n, bool), "dist": np.full((n, 81), np.nan, np.float32),
           "flip": np.full((n, 81), np.nan, np.float32), "emb": np.full((n, 128), np.nan, np.float32)}
    bar = progress_bar(n, f"features ({detector})", unit="image")
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init,
                             initargs=(detector,)) as pool:
        for i, result in enumerate(pool.map(_read, map(str, files), chunksize=8)):
            bar.update(1)
            if result is not None:
                out["found"][i] = True
                out["dist"][i], out["flip"][i], out["emb"][i] = result
    bar.close()
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(cache, **out)
    return out


def oof_logistic(x: np.ndarray, y: np.ndarray, fit: np.ndarray) -> np.ndarray:
    """Scores for every row: out-of-fold on ``fit``, from the full fit elsewhere.

    The shipped head's own fit (same C grid, folds and criterion), on other features.
    """
    from workbench.eval.age_fit import fit_minor
    from workbench.faces.age_model import linear_part

    part, oof = fit_minor(x[fit], y[fit])
    scores = 1.0 / (1.0 + np.exp(-linear_part(part)(x)))
    scores[fit] = oof
    return scores


def row(name: str, truth: np.ndarray, found: np.ndarray, score: np.ndarray, fit: np.ndarray,
        cost_ms: float, threshold: float | None = None, ages: tuple[np.ndarray, ...] | None = None
        ) -> dict[str, Any]:
    from workbench.eval.age import CLEAR_ADULT_AGE, age_report, threshold_at_rate

    if threshold is None:
        threshold = threshold_at_rate(score[fit & found & (truth >= CLEAR_ADULT_AGE)], TARGET)
    check = ~fit
    nan = np.full(check.sum(), np.nan)
    age, low, high = ages if ages is not None else (nan, nan, nan)
    report = age_report(truth[check], found[check], age if ages is None else age[check],
                        low if ages is None else low[check], high if ages is None else high[check],
                        np.nan_to_num(score[check], nan=-1.0), threshold)
    bands = {k: b.flagged for k, b in report.bands.items()}
    seen = found[check]
    teens = (truth[check] >= 13) & (truth[check] < 18) & seen
    return {"method": name, "threshold": threshold, **bands,
            "13-17": float((score[check][teens] >= threshold).mean()),
            "auc": report.auc, "13-17 @5% adults": report.at_adult_rate["5%"]["13-17"],
            "mae": report.mae if ages is not None else None,
            "bias": report.bias if ages is not None else None,
            "coverage": report.coverage if ages is not None else None,
            "no face": int((~seen).sum()), "ms/face": cost_ms}


def timing(files: list[Path], repeats: int) -> dict[str, float]:
    """Milliseconds per face of the engine and of what each method adds, one process."""
    from workbench.faces import FaceEngine, FaceSettings
    from workbench.faces.age_model import AgeHead
    from workbench.faces.analyze import load_pixels

    # One OpenMP thread, as in analyze's workers (YuNet's library reads it when it loads).
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sample = [load_pixels(str(f)) for f in files[:repeats]]
    out: dict[str, float] = {}
    for detector in ("hog", "yunet"):
        engine = FaceEngine(FaceSettings(detector=detector, second_detector=None,
                                         age_head=False)).load()
        engine.analyze_image(sample[0])
        start = time.perf_counter()
        faces = [engine.analyze_image(rgb) for rgb in sample]
        out[detector] = 1000 * (time.perf_counter() - start) / max(1, sum(map(len, faces)))
    backend = engine._part("age_gender")
    shapes = [engine.landmarks(rgb, f.xyxy[:1])[0] for rgb, f in zip(sample, faces, strict=True)
              if len(f)]
    start = time.perf_counter()
    for rgb, s in zip(sample, shapes, strict=False):
        backend.distributions(rgb, s, mirrored=True)
    out["flip"] = 1000 * (time.perf_counter() - start) / max(1, len(shapes))
    head = AgeHead.load()
    dist, emb = np.full((1, 81), 1 / 81), np.ones((1, 128)) / np.sqrt(128)
    start = time.perf_counter()
    for _ in range(200):
        head.predict(dist, emb)
    out["head"] = 1000 * (time.perf_counter() - start) / 200
    return out


def main() -> int:
    from sklearn.isotonic import IsotonicRegression

    from workbench.eval.age import read_age_labels, split_of
    from workbench.faces.age_model import AgeHead, age_summary, head_features

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timing", type=int, default=40, help="images timed per detector")
    parser.add_argument("--json", type=Path, help="also write the table as JSON")
    args = parser.parse_args()

    files, truth = read_age_labels(args.labels)
    fit = np.array([split_of(f) == "fit" for f in files])
    hog = collect(files, "hog", args.workers)
    found = hog["found"]
    y = (truth < 18).astype(int)
    cost = timing([f for f, k in zip(files, fit, strict=True) if not k], args.timing)
    base = cost["hog"]
    dist, flip, emb = np.nan_to_num(hog["dist"]), np.nan_to_num(hog["flip"]), np.nan_to_num(hog["emb"])
    both = (dist + flip) / 2
    mass = age_summary(dist)[2]
    rows = [row("current engine (mass < 18 at 0.3)", truth, found, mass, fit, base, 0.3,
                ages=_network_ages(dist)),
            row("network mass, fitted threshold", truth, found, mass, fit, base)]
    iso = IsotonicRegression(out_of_bounds="clip").fit(mass[fit & found], y[fit & found])
    rows.append(row("isotonic calibration of the mass", truth, found, iso.predict(mass), fit, base))
    rows.append(row("network mass + test-time flip", truth, found, age_summary(both)[2], fit,
                    base + cost["flip"]))
    rows.append(row("logistic on distribution", truth, found,
                    oof_logistic(head_features(dist, None), y, fit & found), fit, base))
    rows.append(row("logistic on distribution + flip", truth, found,
                    oof_logistic(head_features(both, None), y, fit & found), fit,
                    base + cost["flip"]))
    head = AgeHead.load()
    shipped = head.predict(dist, emb)
    point = head.operating_point.threshold
    rows.append(row("head: distribution + embedding (shipped)", truth, found, shipped["p_minor"],
                    fit, base + cost["head"], point,
                    ages=(shipped["age"], shipped["age_low"], shipped["age_high"])))
    rows.append(row("head + flip (refitted)", truth, found,
                    oof_logistic(head_features(both, emb), y, fit & found), fit,
                    base + cost["flip"] + cost["head"]))
    check_files = [f for f, k in zip(files, fit, strict=True) if not k]
    yunet = collect(check_files, "yunet", args.workers)
    full = {k: np.zeros((len(files), *v.shape[1:]), v.dtype) for k, v in yunet.items()}
    for k, v in yunet.items():
        full[k][~fit] = v
    yunet_out = head.predict(np.nan_to_num(full["dist"]), np.nan_to_num(full["emb"]))
    rows.append(row("head, YuNet detector", truth, full["found"], yunet_out["p_minor"], fit,
                    cost["yunet"] + cost["head"], point,
                    ages=(yunet_out["age"], yunet_out["age_low"], yunet_out["age_high"])))
    # The shipped engine: HOG, and YuNet only where HOG found no face (second_detector).
    second = ~found & full["found"]
    both_found = found | second
    engine_out = {k: np.where(second, yunet_out[k], shipped[k]) for k in shipped}
    rows.append(row("head, HOG then YuNet (shipped engine)", truth, both_found,
                    engine_out["p_minor"], fit, base + cost["head"], point,
                    ages=(engine_out["age"], engine_out["age_low"], engine_out["age_high"])))
    _print(rows, int((~fit).sum()), base)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


def _network_ages(dist: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from workbench.faces.age_model import network_summary

    s = network_summary(dist)
    return s["age"], s["age_low"], s["age_high"]


def _print(rows: list[dict[str, Any]], n_check: int, base: float) -> None:
    def pct(v: Any) -> str:
        return "    -" if v is None or v != v else f"{v * 100:5.1f}"

    print(f"check half: {n_check} images; share flagged as minor per true-age band, "
          "at each method's operating point")
    print("(shares in %)")
    head = (f"{'method':<42}{'thr':>6} {'0-12':>5} {'13-15':>6} {'16-17':>6} {'13-17':>6} "
            f"{'18-20':>6} {'21-25':>6} {'26+':>5}  {'AUC':>5} {'13-17@5%':>8} {'MAE':>5} "
            f"{'bias':>5} {'cov95':>5} {'noface':>6} {'ms/face':>8} {'x cost':>6}")
    print(head)
    for r in rows:
        print(f"{r['method']:<42}{r['threshold']:6.3f} {pct(r.get('0-12'))}  {pct(r.get('13-15'))}  "
              f"{pct(r.get('16-17'))}  {pct(r['13-17'])}  {pct(r.get('18-20'))}  "
              f"{pct(r.get('21-25'))} {pct(r.get('26+'))}  {r['auc']:.3f} {pct(r['13-17 @5% adults']):>8} "
              f"{_n(r['mae'])} {_n(r['bias'], True)} {pct(r['coverage']):>5} {r['no face']:>6} "
              f"{r['ms/face']:8.1f} {r['ms/face'] / base:6.2f}")
    print("cov95: share of true ages inside the stated interval (the current engine states an "
          "80 % one). x cost: cost per face against the current engine.")
    print("Not tried: a second age model (faceres from the human-models npm package would need a "
          "TF.js -> ONNX conversion at install time).")


def _n(value: float | None, signed: bool = False) -> str:
    if value is None or value != value:
        return "    -"
    return f"{value:+5.1f}" if signed else f"{value:5.1f}"


if __name__ == "__main__":
    raise SystemExit(main())
