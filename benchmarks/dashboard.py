"""Benchmark: how long the supervisor dashboard of a 10,000-image case takes to open.

Builds (once, cached under build/) a synthetic case of 10,000 images with geotags, hits
and review decisions, serves it with the real launcher (Voila on 127.0.0.1), and opens it
in Debian's headless Chromium until the tables and the map's markers are on screen.
Goal: under 5 s. Prints the parts too (SQL aggregation, map build, page weight).

    python benchmarks/dashboard.py [--items 10000] [--runs 3] [--preheat]

``--preheat`` measures Voila's pre-heated kernel mode (``workbench dashboard --preheat``),
where the notebook runs before the first visit; the default measures a cold open (kernel
start plus notebook execution on each visit).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GOAL_S = 5.0


def build_case(items: int) -> Path:
    from workbench.geo.synthetic import populate_synthetic_case
    from workbench.store import Case

    folder = REPO / "build" / f"bench_dashboard_{items}"
    if (folder / "case.db").is_file():
        return folder
    tmp = folder.with_name(folder.name + ".tmp")
    if tmp.exists():
        import shutil

        shutil.rmtree(tmp)
    start = time.perf_counter()
    case = Case.init(tmp, name=f"bench-{items}")
    counts = populate_synthetic_case(case, n_items=items, n_images=60, seed=1)
    case.close()
    tmp.rename(folder)
    print(f"built synthetic case {folder} in {time.perf_counter() - start:.1f} s: {counts}")
    return folder


def measure_parts(folder: Path) -> None:
    import IPython.display

    from workbench.apps import overview_data as data
    from workbench.geo.maps import build_map, case_layers, map_iframe
    from workbench.store import Case

    IPython.display.display = lambda *a, **k: None  # parts only, nothing to show
    with Case.open(folder) as case:
        start = time.perf_counter()
        data.case_counts(case), data.hits_by_criterion(case)
        data.review_status(case), data.timeline(case)
        sql_s = time.perf_counter() - start
        start = time.perf_counter()
        layers = case_layers(case, thumbnails=30)
        layers_s = time.perf_counter() - start
        start = time.perf_counter()
        iframe = map_iframe(build_map(layers))
        map_s = time.perf_counter() - start
    print(f"parts (in this process, warm imports): SQL aggregates {sql_s * 1000:.0f} ms, "
          f"map layers {layers_s * 1000:.0f} ms, map build+inline {map_s * 1000:.0f} ms, "
          f"map HTML {len(iframe) / 1e6:.2f} MB for {layers.counts()['evidence']} points")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--preheat", action="store_true")
    args = parser.parse_args(argv)
    if not Path("/usr/bin/chromium").exists():
        print("needs Debian's Chromium: apt-get install -y chromium", file=sys.stderr)
        return 2

    from workbench.apps.probe import probe_dashboard
    from workbench.apps.serve import start_dashboard
    from workbench.store import Case

    folder = build_case(args.items)
    with Case.open(folder) as case:
        geotagged = case.summary()["geotagged"]
        flagged = int(case.query(
            "SELECT COUNT(DISTINCT h.evidence_id) AS n FROM hits h JOIN evidence e "
            "ON e.id = h.evidence_id WHERE e.lat IS NOT NULL").n[0])
    measure_parts(folder)
    dashboard = start_dashboard(folder, preheat=args.preheat)
    times = []
    try:
        for run in range(args.runs):
            if args.preheat:
                time.sleep(30)  # let the pool (re)fill its pre-run kernel
            result = probe_dashboard(
                dashboard.url, expect_evidence=geotagged, expect_hits=flagged, timeout_s=240,
                screenshot=REPO / "artifacts" / "bench" / "dashboard_10k.png")
            if result.external_requests or result.js_errors:
                print(f"FAILED: external {result.external_requests} errors {result.js_errors}")
                return 1
            times.append(result.open_s)
            print(f"run {run + 1}: open {result.open_s:.2f} s, tables after "
                  f"{result.tables_s:.2f} s "
                  f"({result.hit_markers} flagged on opening, {result.evidence_markers} "
                  "items once switched on)", flush=True)
    finally:
        dashboard.stop()
    load = os.getloadavg()[0]
    median = statistics.median(times)
    mode = "pre-heated kernel" if args.preheat else "cold (kernel start + notebook run)"
    print(f"dashboard open, {args.items} images, {mode}: median {median:.2f} s "
          f"(min {min(times):.2f}, max {max(times):.2f}) over {len(times)} runs; "
          f"goal < {GOAL_S:.0f} s: {'met' if median < GOAL_S else 'NOT met'}; "
          f"machine load average {load:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
