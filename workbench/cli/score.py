"""``workbench score``, ``workbench explicit`` and ``workbench eval-age``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

# The shared labelled faces beside the checkout (identities only: no ages).
DEFAULT_AGE_LABELS = (Path(__file__).resolve().parents[3] / "shared" / "data" / "faces"
                      / "labelled" / "identities.csv")


def register(subparsers: argparse._SubParsersAction) -> None:
    score = subparsers.add_parser(
        "score", help="score a case against criteria rules (no model re-run)",
        description="Evaluate the criteria rules over the case's stored faces, image signals "
        "and hits. Scores order work for a person; they decide nothing.")
    score.add_argument("case_dir")
    score.add_argument("--rules", help="rules YAML file (default: the shipped defaults)")
    score.add_argument("--threshold", type=float,
                       help="set the case's review threshold (default stays 0.3)")
    score.add_argument("--json", action="store_true", help="print the result as JSON")
    score.set_defaults(handler=_score)

    explicit = subparsers.add_parser(
        "explicit", help="score every image for explicit content (NudeNet, offline)")
    explicit.add_argument("case_dir")
    explicit.add_argument("--force", action="store_true", help="re-score images already scored")
    explicit.add_argument("--no-progress", action="store_true")
    explicit.set_defaults(handler=_explicit)

    age = subparsers.add_parser(
        "eval-age", help="measure the age model on images with known ages (or say none exist)")
    age.add_argument("--labels", default=str(DEFAULT_AGE_LABELS),
                     help="CSV with file and age columns (default: the shared labelled set)")
    age.add_argument("--root", help="folder the file column is relative to (default: CSV's)")
    age.add_argument("--json", action="store_true")
    age.set_defaults(handler=_eval_age)


def _score(args: argparse.Namespace) -> int:
    from workbench.criteria import score_case
    from workbench.store import Case

    with Case.open(args.case_dir) as case:
        result = score_case(case, rules=args.rules, threshold=args.threshold)
    if args.json:
        print(json.dumps(result.__dict__, indent=2))
        return 0
    print(f"rules {result.rules_version} (copy kept at {result.rules_copy})")
    print(f"{result.faces} faces in {result.images} images -> {result.hits} hits "
          f"in {result.seconds:.2f} s; {result.queued} at or above {result.threshold} "
          f"are in the review queue")
    for rule, count in sorted(result.by_rule.items()):
        print(f"  {rule:>28}: {count}")
    if result.without_explicit_scan:
        print(f"{result.without_explicit_scan} images have no explicit-content score yet: run "
              f"`workbench explicit {args.case_dir}` so explicit-content rules can apply there.")
    print("Scores order work for a person; nothing is decided until a reviewer decides it.")
    return 0


def _explicit(args: argparse.Namespace) -> int:
    from workbench.criteria.signals import scan_explicit
    from workbench.store import Case

    with Case.open(args.case_dir) as case:
        result = scan_explicit(case, force=args.force, progress=not args.no_progress)
    print(f"explicit-content scan {result.run_id[:12]}: {result.scored} images scored, "
          f"{result.skipped} already scored, {result.failed} unreadable; "
          f"run `workbench score {args.case_dir}` to update the queue")
    return 0


def _eval_age(args: argparse.Namespace) -> int:
    from workbench.criteria.age_eval import engine_estimator, evaluate_age, read_age_labels

    rows, _, _ = read_age_labels(args.labels, args.root)
    estimator = engine_estimator() if rows else None
    report = evaluate_age(args.labels, estimator, root=args.root)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
        return 0
    print(f"labels: {report.labels}: {report.labelled_images} images, {report.with_age} with a "
          f"known age, {report.under_18} under 18")
    if report.mae is not None:
        print(f"measured {report.measured} (no face in {report.no_face}); MAE {report.mae}, "
              f"bias {report.bias}, 95% coverage {report.coverage_95}")
        for band, numbers in report.by_band.items():
            print(f"  {band:>6}: {numbers}")
    for statement in report.statements:
        print(statement)
    return 0
