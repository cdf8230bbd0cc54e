"""Benchmark: how long the supervisor dashboard of a 10,000-image case takes to open.

Builds (once, cached under build/) a synthetic case of 10,000 images with geotags, hits
and review decisions, serves it with the real launcher (Voila on 127.0.0.1, as
`workbench dashboard` does), and opens it in Debian's headless Chromium until the tables
and the map's markers are on screen. Goal: under 5 s. Prints the parts too (SQL
aggregation, map build, page weight).

    python benchmarks/dashboard.py [--runs 5] [--pause 10] [--cold] [--items 10000]

Default: what a user of `workbench dashboard` gets. The server starts with a pre-heated
kernel (imports done, waiting in ``overview.wait_for_visit()``); the start-up time until
the URL is printed is reported; the first visit follows at once, the others ``--pause``
seconds apart (each visit takes the waiting kernel, and Voila starts the next one a
second later). Every visit reads the case afresh. ``--cold`` measures
`workbench dashboard --no-preheat`: a kernel started and the notebook run on each visit.

A visit that shows no tables or map within ``--timeout`` counts as hung: the browser's
console, page errors and failed requests, the page's DOM and the tail of Voila's log
(build/bench_dashboard_logs/) are printed. The last line, starting ``RESULT:``, is the
figure: the median over the visits, with the machine's load average.
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
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--preheat", dest="preheat", action="store_true", default=True,
                      help="what `workbench dashboard` does (default): a pre-heated kernel")
    mode.add_argument("--cold", dest="preheat", action="store_false",
                      help="`workbench dashboard --no-preheat`: a kernel started per visit")
    parser.add_argument("--pause", type=float, default=10.0,
                        help="seconds between visits (default 10)")
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
    # Start-up as `workbench dashboard` does it: with a pre-heated kernel, the URL is printed
    # once that kernel waits for a visit; the first visit below follows at once.
    started = time.perf_counter()
    dashboard = start_dashboard(folder, preheat=args.preheat, log_path=log_path,
                                debug=args.debug_log, wait_ready=True, wait_s=240)
    startup_s = time.perf_counter() - started
    print(f"start-up until the URL is printed: {startup_s:.2f} s"
          + ("" if dashboard.ready or not args.preheat else " (kernel NOT ready)"), flush=True)
    times: list[float] = []
    tables: list[float] = []
    failures = 0
    try:
        for run in range(1, args.runs + 1):
            if run > 1:
                time.sleep(args.pause)
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
            if result.external_requests or result.js_errors or result.map_redrawn:
                print(f"FAILED: external {result.external_requests} errors {result.js_errors} "
                      f"map drawn twice {result.map_redrawn}")
                return 1
            times.append(result.open_s)
            tables.append(result.tables_s)
            which = "first visit after start-up" if run == 1 else f"{args.pause:.0f} s later"
            print(f"run {run} ({which}): open {result.open_s:.2f} s (tables after "
                  f"{result.tables_s:.2f} s; {result.hit_markers} flagged on opening, "
                  f"{result.evidence_markers} items once switched on; "
                  f"load average {loads[-1]:.1f})", flush=True)
    finally:
        dashboard.stop()
    mode = ("pre-heated kernel, as `workbench dashboard`" if args.preheat
            else "cold, as `workbench dashboard --no-preheat`")
    if not times:
        print(f"RESULT: dashboard open, {args.items} images, {mode}: every run failed")
        return 1
    median = statistics.median(times)
    print(f"RESULT: dashboard open (navigation until tables and map markers are on screen), "
          f"{args.items} images, {mode}: median {median:.2f} s over {len(times)} visits "
          f"(first visit after start-up {times[0]:.2f} s, min {min(times):.2f}, max "
          f"{max(times):.2f}; tables alone median {statistics.median(tables):.2f} s; "
          f"start-up until the URL is printed {startup_s:.1f} s); {failures} hung; "
          f"goal < {GOAL_S:.0f} s: {'met' if median < GOAL_S and not failures else 'NOT met'}; "
          f"load average {statistics.median(loads):.1f} (median over the runs) "
          f"on {os.cpu_count()} CPUs")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
