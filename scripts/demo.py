"""Build and analyse the bundled sample case (``make demo-build``), step by step.

    python scripts/demo.py [--case build/sample_case] [--skip-models]

Runs the workbench's own commands in order: ingest the sample evidence with the demo
hash lists, face analysis, clustering, the faces table (age ranges, likely minors),
explicit-content and uniform attributes, criteria scoring, the registry lookup, then
exports the case map. Each step is resumable (the
commands skip finished work), so re-running is cheap. A step that fails stops the
script with its exit status.
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
    # The demo registry lives beside the case, never in the analyst's own registry.
    registry = case.parent / f"{case.name}_registry"
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
            ("the faces found: age ranges and the likely-minor flag",
             ["faces", "list", str(case)]),
            ("score explicit content", ["explicit", str(case), "--no-progress"]),
            ("uniform attributes, then candidate schools (invented demo uniforms)",
             ["uniforms", str(case), "--no-progress", "--search"]),
            ("build the fictional demo missing-person registry",
             ["registry", "import", "--csv", str(SAMPLE / "registry" / "registry.csv"),
              "--source", "demo", "--registry", str(registry)]),
            ("look faces up in the demo registry",
             ["lookup", str(case), "--registry", str(registry)]),
        ]
    plan += [
        ("score the criteria", ["score", str(case)]),
        ("export the case map (HTML, GeoJSON, KML)",
         ["map", str(case), "--out", str(case / "exports")]),
        ("summary", ["case", "summary", str(case)]),
    ]
    return plan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", type=Path, default=REPO / "build" / "sample_case")
    parser.add_argument("--skip-models", action="store_true",
                        help="only ingest, hash lists, scoring and the map (no face models)")
    args = parser.parse_args(argv)
    workbench = shutil.which("workbench") or str(Path(sys.executable).parent / "workbench")
    case = args.case.resolve()
    case.parent.mkdir(parents=True, exist_ok=True)
    for title, command in steps(case, args.skip_models):
        print(f"== {title}: workbench {' '.join(command)}", flush=True)
        status = subprocess.run([workbench, *command], check=False).returncode
        if status != 0:
            print(f"demo stopped: `workbench {command[0]}` exited with {status}", file=sys.stderr)
            return status
    print(f"\nSample case ready at {case}. Serve it with: workbench dashboard {case}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
