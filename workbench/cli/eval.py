"""``workbench eval lfw|calibrate|identities|age``: the face models' figures, re-runnable."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _common(parser: argparse.ArgumentParser, backend: str = "dlib") -> None:
    parser.add_argument("--backend", choices=["dlib", "engine"], default=backend,
                        help="engine: the workbench FaceEngine (what `analyze` runs); dlib: the "
                        f"dlib pipeline alone, the way dlib's authors measured (default {backend})")
    parser.add_argument("--no-flip", action="store_true", help="no horizontal-flip averaging")
    parser.add_argument("--jitter", type=int, default=0,
                        help="dlib's random jitters per view, averaged (each costs a forward "
                        "pass; dlib's authors report LFW with jitter)")
    parser.add_argument("--detector", default="hog",
                        help="engine backend only: hog (default), yunet, cnn")
    parser.add_argument("--workers", type=int, default=1, help="embedding processes (default 1)")
    parser.add_argument("--cache-dir", type=Path, help="embedding cache folder "
                        "(default $WORKBENCH_CACHE or ~/.cache/workbench)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def register(subparsers: argparse._SubParsersAction) -> None:
    ev = subparsers.add_parser("eval", help="measure the face models (LFW, calibration, identities)")
    sub = ev.add_subparsers(dest="eval_command", metavar="ACTION", required=True)

    lfw = sub.add_parser("lfw", help="LFW protocol: 10-fold accuracy, ROC, TAR at FAR 1e-3")
    lfw.add_argument("--pairs", required=True, type=Path, help="pairs file (official format)")
    lfw.add_argument("--images", required=True, type=Path, help="folder of name/name_000i.jpg")
    lfw.add_argument("--json", action="store_true", help="print the full result as JSON")
    # What `analyze` stores is what LFW measures by default; calibration and identities keep
    # the dlib pipeline their shipped figures were measured with.
    _common(lfw, backend="engine")
    lfw.set_defaults(handler=_lfw)

    cal = sub.add_parser("calibrate", help="measure verification thresholds at target FMRs")
    cal.add_argument("--pairs", required=True, type=Path,
                     help="pairs file whose images are measured (pairsDevTrain.txt)")
    cal.add_argument("--images", required=True, type=Path)
    cal.add_argument("--far", type=float, action="append",
                     help="target false-match rate (repeatable; default 1e-2 1e-3 1e-4)")
    cal.add_argument("--limit", type=int, help="only the first N images of the file (coarser)")
    cal.add_argument("--out", type=Path, help="write the calibration JSON here (e.g. "
                     "workbench/faces/calibration.json); default: print it")
    _common(cal)
    cal.set_defaults(handler=_calibrate)

    ids = sub.add_parser("identities", help="precision/recall/F1 and confusion on a labelled CSV")
    ids.add_argument("csv", type=Path, help="CSV with file,identity columns (files relative to it)")
    ids.add_argument("--mode", choices=["nn", "cluster"], default="nn")
    ids.add_argument("--threshold", type=float, help="similarity threshold (default calibrated)")
    ids.add_argument("--json", action="store_true")
    _common(ids)
    ids.set_defaults(handler=_identities)

    age = sub.add_parser(
        "age", help="age and 'probably under 18' per age band on images with known ages",
        description="Runs the pipeline `analyze` stores on each image (largest face) and "
        "reports per age band: share flagged as minor at the operating threshold, age error, "
        "interval coverage and faces not found; the ROC of minors against adults.")
    age.add_argument("--labels", required=True, type=Path,
                     help="CSV with file and age columns (files relative to it, or --root)")
    age.add_argument("--root", type=Path, help="folder the file column is relative to")
    age.add_argument("--split", choices=["all", "fit", "check"], default="all",
                     help="only the images of this half of the content-hash split the shipped "
                     "age model was fitted with (check: never seen in fitting)")
    age.add_argument("--threshold", type=float,
                     help="p_minor operating point (default: the shipped, measured one)")
    age.add_argument("--by", metavar="COLUMN",
                     help="also report the flag and the interval per value of this CSV column "
                     "(e.g. race, gender): age models differ across groups")
    age.add_argument("--detector", default="hog", help="face detector (hog, yunet, cnn)")
    age.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    age.add_argument("--json", action="store_true", help="print the full report as JSON")
    age.add_argument("--quiet", action="store_true", help="no progress bar")
    age.set_defaults(handler=_age)


def _factory(args: argparse.Namespace, **extra: object):
    from functools import partial

    from workbench.eval.embedders import BACKENDS

    if args.backend == "engine":
        extra = {"detector": args.detector, "jitters": args.jitter, **extra}
    elif args.detector != "hog":
        raise SystemExit("--detector needs --backend engine (the dlib backend is HOG only)")
    else:
        extra = {"jitter": args.jitter, **extra}
    return partial(BACKENDS[args.backend], flip=not args.no_flip, **extra)


def _lfw(args: argparse.Namespace) -> int:
    from workbench.eval.lfw import run_lfw

    result = run_lfw(args.pairs, args.images, _factory(args), args.cache_dir,
                     max(1, args.workers), not args.quiet)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        print(result.summary())
        if result.note:
            print(f"note: {result.note}")
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from workbench.eval.calibrate import DEFAULT_FARS, calibrate, write_calibration

    document = calibrate(args.pairs, args.images, _factory(args), tuple(args.far or DEFAULT_FARS),
                         cache_dir=args.cache_dir, workers=max(1, args.workers),
                         progress=not args.quiet, limit=args.limit)
    if args.out:
        print(f"calibration written to {write_calibration(document, args.out)}")
    else:
        print(json.dumps(document, indent=2, sort_keys=True))
    return 0


def _identities(args: argparse.Namespace) -> int:
    from workbench.eval.identities import evaluate_identities

    extra: dict[str, object] = {"pick": "largest"}
    if args.backend == "dlib":
        extra["fallback"] = None
    else:
        extra["fallback_center"] = None
    result = evaluate_identities(args.csv, args.mode, args.threshold, _factory(args, **extra),
                                 args.cache_dir, max(1, args.workers), not args.quiet)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        print(result.summary())
        for row in result.per_identity:
            print(f"  {row['identity']:<24} P {row['precision']:.2f}  R {row['recall']:.2f}  "
                  f"F1 {row['f1']:.2f}  n={row['support']}")
    return 0


def _age(args: argparse.Namespace) -> int:
    import numpy as np

    from workbench.eval.age import (
        age_report,
        group_rates,
        label_columns,
        read_age_labels,
        split_of,
    )
    from workbench.eval.age_measure import estimate_ages
    from workbench.faces import FaceSettings
    from workbench.faces.age_model import operating_point

    files, truth = read_age_labels(args.labels, args.root)
    groups = label_columns(args.labels, (args.by,), required=True)[args.by] if args.by else None
    if args.split != "all":
        keep = np.array([split_of(f) == args.split for f in files])
        files = [f for f, k in zip(files, keep, strict=True) if k]
        truth = truth[keep]
        groups = groups[keep] if groups is not None else None
    point = operating_point()
    threshold = point.threshold if args.threshold is None else args.threshold
    estimates = estimate_ages(files, FaceSettings(detector=args.detector), args.workers,
                              not args.quiet)
    report = age_report(truth, estimates.found, estimates.age, estimates.low, estimates.high,
                        estimates.p_minor, threshold, labels=f"{args.labels} ({args.split})")
    if groups is not None:
        report.groups = group_rates(truth, estimates.found, estimates.low, estimates.high,
                                    estimates.p_minor, threshold, groups)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
        return 0
    print(f"{report.labels}: {report.images} images, faces found in {report.found}; "
          f"flagged as minor when p_minor >= {threshold:.3f}")
    print(report.table())
    if report.auc is not None:
        print(f"minor vs adult ROC AUC {report.auc:.3f}")
        for rate, row in report.at_adult_rate.items():
            print(f"  flagging {rate} of adults over 25 (p_minor >= {row['threshold']:.3f}): "
                  f"minors {row['minors']:.0%}, 13-17 {row['13-17']:.0%}")
    for row in report.groups:
        shares = "  ".join(f"{band} {_share(row[f'flagged {band}'])} (n={row[f'n {band}']})"
                           for band in ("0-12", "13-17", "26+"))
        print(f"  {args.by}={row['group']:<10} flagged {shares}  interval held "
              f"{_share(row['coverage'])}")
    if args.threshold is None:
        print(f"shipped operating point: {point.describe()}")
    for statement in report.statements:
        print(statement)
    return 0


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"
