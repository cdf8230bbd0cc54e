"""Benchmark the uniform chain on constructed photos and say what it does on real ones.

Usage:
    python benchmarks/uniforms.py [--attributes 300] [--queries 200] [--seed 0] [--real]

Writes ``artifacts/uniforms_benchmark.json`` with per-attribute accuracy (constructed
photos: real LFW faces with garments of known colour and pattern drawn below, shading,
folds, noise, JPEG), the end-to-end rank of the true school among the 4,337 sample schools
(image -> dlib HOG face -> attributes -> search; with and without a geotag prior) with ties
counted fairly (expected share under a random order within the tie group), against and for,
the tie-free ceiling (a flawless reading: the registry's information limit) and the split
of the uniform-only miss into information limit, ranking and extraction; with ``--real``
the attributes found on the real labelled photos and the EXIF camera files (no truth
there: counts only). The query photos are kept in ``artifacts/uniforms_queries.json`` and
reused while seed and count are unchanged. The search's observation model is calibrated on
a separate seed range (``python -m workbench.uniforms.calibrate``), never on these queries.
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
        evaluate.main(argv + ["--queries-file", str(out.parent / "uniforms_queries.json")])
    report = json.loads(buffer.getvalue())
    report["seconds"] = round(time.perf_counter() - start, 1)
    out.write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    if "search" in report:
        print(headline(report["search"]))
    print(f"written to {out}", file=sys.stderr)
    return 0


def headline(search: dict) -> str:
    """The figures the README quotes, as a few lines."""
    geo = next(v for k, v in search.items() if k.startswith("uniform + geotag"))
    only, ceiling = search["uniform only"], search["tie-free ceiling (flawless reading)"]
    split = search["uniform-only top3 miss split"]
    pct = lambda x: f"{100 * x:.1f} %"  # noqa: E731
    return "\n".join([
        f"uniforms: {search['queries']} constructed queries (>= 2 items visible) among "
        f"{search['schools']:,} schools",
        f"  top-3 with a geotag prior (within 15 km)       {pct(geo['top3_fair'])}",
        f"  top-3 uniform only, fair (random tie order)    {pct(only['top3_fair'])}",
        f"  top-3 uniform only, ties against / for         {pct(only['top3_ties_against'])} / "
        f"{pct(only['top3_ties_for'])}",
        f"  tie-free ceiling (flawless reading)            {pct(ceiling['top3_fair'])}",
        f"  miss split: information limit {pct(split['information_limit'])}, ranking "
        f"{pct(split['ranking'])}, extraction {pct(split['extraction'])}",
        f"  ratio uniform-only fair / ceiling              "
        f"{only['top3_fair'] / max(ceiling['top3_fair'], 1e-9):.2f}",
    ])


if __name__ == "__main__":
    raise SystemExit(main())
