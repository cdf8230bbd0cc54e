"""Build and analyse the bundled sample case (``make demo-build``), step by step.

    python scripts/demo.py [--case build/sample_case] [--skip-models]

Runs the workbench's own commands in order: ingest the sample evidence with the demo
hash lists, face analysis, clustering, explicit-content and uniform attributes, criteria
scoring, the registry lookup, then exports the case map. Each step is resumable (the
commands skip finished work), so re-running is cheap. A step whose command this
installation lacks is reported and skipped rather than failing the whole demo; a step
that fails stops the script with its exit status.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data"


def steps(case: Path, skip_models: bool) -> list[tuple[str, list[str]]]:
    """(title, workbench arguments) for every step of the demo, in order."""
    evidence = SAMPLE / "evidence"
    hashlists = SAMPLE / "hashlists"
    plan = [
        ("ingest the sample evidence and flag known hashes",
         ["ingest", str(case), str(evidence), "--no-progress",
          "--hash-list", str(hashlists / "demo_known.vics.json"),
          "--hash-list", str(hashlists / "demo_pdq.csv")]),
    ]
    if not skip_models:
        plan += [
            ("detect faces, estimate attributes", ["analyze", str(case)]),
            ("cluster faces across images", ["faces", "cluster", str(case)]),
            ("score explicit content", ["explicit", str(case), "--no-progress"]),
            ("uniform attributes", ["uniforms", str(case), "--no-progress"]),
            ("look faces up in the demo registry", ["lookup", str(case)]),
        ]
    plan += [
        ("score the criteria", ["score", str(case)]),
        ("export the case map (HTML, GeoJSON, KML)",
         ["map", str(case), "--out", str(case / "exports")]),
        ("summary", ["case", "summary", str(case)]),
    ]
    return plan


def available_commands() -> set[str]:
    from workbench.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return set(sub.choices)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", type=Path, default=REPO / "build" / "sample_case")
    parser.add_argument("--skip-models", action="store_true",
                        help="only ingest, hash lists, scoring and the map (no face models)")
    args = parser.parse_args(argv)
    workbench = shutil.which("workbench") or str(Path(sys.executable).parent / "workbench")
    commands = available_commands()
    case = args.case.resolve()
    case.parent.mkdir(parents=True, exist_ok=True)
    for title, command in steps(case, args.skip_models):
        if command[0] not in commands:
            print(f"-- skipped: {title} (this installation has no `workbench {command[0]}`)")
            continue
        print(f"== {title}: workbench {' '.join(command)}", flush=True)
        status = subprocess.run([workbench, *command], check=False).returncode
        if status != 0:
            print(f"demo stopped: `workbench {command[0]}` exited with {status}", file=sys.stderr)
            return status
    print(f"\nSample case ready at {case}. Serve it with: workbench dashboard {case}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
