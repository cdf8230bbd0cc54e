"""Benchmark the uniform chain on constructed photos and say what it does on real ones.

Usage:
    python benchmarks/uniforms.py [--attributes 300] [--queries 200] [--seed 0] [--real]

Writes ``artifacts/uniforms_benchmark.json`` with per-attribute accuracy (constructed
photos: real LFW faces with garments of known colour and pattern drawn below, shading,
folds, noise, JPEG), the end-to-end rank of the true school among the 4,337 sample schools
(image -> dlib HOG face -> attributes -> search; with and without a geotag prior), the time
per photo, and with ``--real`` the attributes found on the real labelled photos and the
EXIF camera files (no truth there: counts only).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attributes", type=int, default=300)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--real", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from workbench.uniforms import evaluate

    argv = ["--shared-data", str(REPO.parent / "shared" / "data"),
            "--attributes", str(args.attributes), "--queries", str(args.queries),
            "--seed", str(args.seed)] + (["--real"] if args.real else [])
    out = REPO / "artifacts" / "uniforms_benchmark.json"
    out.parent.mkdir(exist_ok=True)
    start = time.perf_counter()
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        evaluate.main(argv)
    report = json.loads(buffer.getvalue())
    report["seconds"] = round(time.perf_counter() - start, 1)
    out.write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    print(f"written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
