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
    from workbench.apps import overview_data as data
    from workbench.apps.overview import timeline_svg
    from workbench.geo.maps import build_map, case_layers, map_iframe
    from workbench.store import Case

    with Case.open(folder) as case:
        start = time.perf_counter()
        data.case_counts(case), data.hits_by_criterion(case)
        data.review_status(case), timeline_svg(data.timeline(case))
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


def _report_failure(error: Exception, log_path: Path, run: int) -> None:
    """Print what the browser and the server saw when a run failed; keep the page's DOM."""
    from workbench.apps.probe import ProbeTimeout

    print(f"run {run}: FAILED: {error}", flush=True)
    if isinstance(error, ProbeTimeout):
        page = log_path.with_name(f"failed_run{run}.html")
        page.write_text(error.page_html, encoding="utf-8")
        print(f"  page DOM when it gave up: {page}")
        print("  browser console, page errors, failed requests:")
        for line in error.result.console[-40:]:
            print(f"    {line[:300]}")
    lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    print(f"  server log (last 40 of {len(lines)} lines, {log_path}):")
    for line in lines[-40:]:
        print(f"    {line[:300]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--preheat", action="store_true")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds before a run counts as hung (default 120)")
    parser.add_argument("--debug-log", action="store_true",
                        help="Voila logs at debug level (each cell, every kernel message)")
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
    log_path = REPO / "build" / "bench_dashboard_logs" / "voila.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.write_bytes(b"")
    loads = [os.getloadavg()[0]]
    dashboard = start_dashboard(folder, preheat=args.preheat, log_path=log_path,
                                debug=args.debug_log)
    times: list[float] = []
    tables: list[float] = []
    failures = 0
    try:
        for run in range(1, args.runs + 1):
            if args.preheat:
                time.sleep(30)  # let the pool (re)fill its pre-run kernel
            else:
                time.sleep(2)  # let the previous visit's kernel shut down
            try:
                result = probe_dashboard(
                    dashboard.url, expect_evidence=geotagged, expect_hits=flagged,
                    timeout_s=args.timeout,
                    screenshot=REPO / "artifacts" / "bench" / "dashboard_10k.png")
            except TimeoutError as error:
                failures += 1
                _report_failure(error, log_path, run)
                continue
            loads.append(os.getloadavg()[0])
            if result.external_requests or result.js_errors:
                print(f"FAILED: external {result.external_requests} errors {result.js_errors}")
                return 1
            times.append(result.open_s)
            tables.append(result.tables_s)
            print(f"run {run}: open {result.open_s:.2f} s (tables after "
                  f"{result.tables_s:.2f} s; {result.hit_markers} flagged on opening, "
                  f"{result.evidence_markers} items once switched on; "
                  f"load average {loads[-1]:.1f})", flush=True)
    finally:
        dashboard.stop()
    mode = "pre-heated kernel" if args.preheat else "cold (kernel start + notebook run)"
    if not times:
        print(f"RESULT: dashboard open, {args.items} images, {mode}: every run failed")
        return 1
    median = statistics.median(times)
    print(f"RESULT: dashboard open, {args.items} images, {mode}: median {median:.2f} s "
          f"(min {min(times):.2f}, max {max(times):.2f}; tables alone median "
          f"{statistics.median(tables):.2f} s) over {len(times)} runs, {failures} hung; "
          f"goal < {GOAL_S:.0f} s: {'met' if median < GOAL_S and not failures else 'NOT met'}; "
          f"load average {statistics.median(loads):.1f} (median over the runs) "
          f"on {os.cpu_count()} CPUs")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
