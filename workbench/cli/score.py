"""``workbench score`` and ``workbench explicit``."""

from __future__ import annotations

import argparse
import json

from workbench.distributed.engine import add_arguments as add_engine_arguments


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
    add_engine_arguments(explicit)
    explicit.set_defaults(handler=_explicit)


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
    from workbench.distributed.engine import open_engine
    from workbench.store import Case

    with Case.open(args.case_dir) as case, open_engine(args.engine, args.cluster) as engine:
        result = scan_explicit(case, force=args.force, progress=not args.no_progress,
                               engine=engine)
    print(f"explicit-content scan {result.run_id[:12]}: {result.scored} images scored, "
          f"{result.skipped} already scored, {result.failed} unreadable; "
          f"run `workbench score {args.case_dir}` to update the queue")
    return 0
