"""``workbench watch CASE SOURCE``: analyse a camera, a network stream or a file as it plays."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "watch", help="analyse a live stream (RTSP/HTTP URL, /dev/videoN, or a file played at "
        "its own rate) into a case: frames kept as evidence, faces tracked, rules scored per "
        "track, hits to the review queue and the alert channels",
        description="Reads SOURCE on its own thread, analyses --fps frames a second and drops "
        "(and counts) what the analysis cannot keep up with. Stop with Ctrl-C or SIGTERM; "
        "the run is recorded either way. A password in the URL is never recorded.")
    parser.add_argument("case_dir")
    parser.add_argument("source", help="rtsp://..., http(s)://..., udp://..., /dev/video0 or a "
                        "video file")
    parser.add_argument("--fps", type=float, default=1.0,
                        help="frames analysed per second of stream (default 1; 0: every frame)")
    parser.add_argument("--scene", type=float, default=None, metavar="THRESHOLD",
                        help="also analyse scene changes: colour-histogram distance 0-1 "
                        "(0.5 as the ingest; default off)")
    parser.add_argument("--duration", type=float, default=None, metavar="SECONDS",
                        help="stop after this many seconds")
    parser.add_argument("--max-frames", type=int, default=None,
                        help="stop after analysing this many frames")
    parser.add_argument("--buffer", type=int, default=8,
                        help="frames waiting for the analysis before the oldest is dropped "
                        "(default 8)")
    parser.add_argument("--no-realtime", action="store_true",
                        help="read a file as fast as possible instead of at its own rate")
    parser.add_argument("--segment", type=float, default=60.0, metavar="SECONDS",
                        help="seconds of stream per kept segment (default 60)")
    parser.add_argument("--retries", type=int, default=10,
                        help="failed reconnections in a row before giving up (default 10)")
    parser.add_argument("--rules", help="rules YAML (default: the workbench's rules)")
    parser.add_argument("--alerts", help="alert settings JSON (default: $WORKBENCH_ALERTS; "
                        "none: no alerts)")
    parser.add_argument("--alert-queue", type=int, default=100,
                        help="alerts waiting to be sent before one more is recorded as failed "
                        "(default 100; alerts are sent in the background, never stalling "
                        "the analysis)")
    parser.add_argument("--alert-drain", type=float, default=None, metavar="SECONDS",
                        help="on stop, wait this long for unsent alerts before recording them "
                        "as failed (default: the channels' timeouts plus 5 s)")
    parser.add_argument("--min-track-frames", type=int, default=1,
                        help="score a track once it has this many frames (default 1)")
    parser.add_argument("--detector", default="hog",
                        help="face detector: hog (default), yunet (faster), cnn")
    parser.add_argument("--upsample", type=int, default=1,
                        help="detector upsampling: 1 finds faces from ~40 px, 0 from ~80 px")
    parser.add_argument("--analyzer", metavar="MODULE:FUNCTION",
                        help="a function returning a workbench.streams.watch.Analyzer to use "
                        "instead of the face engine")
    parser.add_argument("--every", type=float, default=1.0, metavar="SECONDS",
                        help="print the rate, lag and drops this often (default 1)")
    parser.add_argument("--json", action="store_true",
                        help="print the final summary as JSON (and no live lines)")
    parser.set_defaults(handler=_watch)


def _analyzer(args: argparse.Namespace) -> Any:
    if args.analyzer:
        import importlib

        from workbench.errors import WorkbenchError

        module, _, name = args.analyzer.partition(":")
        try:
            return getattr(importlib.import_module(module), name)()
        except (ImportError, AttributeError) as error:
            raise WorkbenchError(f"--analyzer {args.analyzer}: {error}; give MODULE:FUNCTION "
                                 "of an importable module") from error
    from workbench.faces.settings import FaceSettings
    from workbench.streams.watch import engine_analyzer

    return engine_analyzer(FaceSettings(detector=args.detector, upsample=args.upsample))


def _printer(every: float) -> Any:
    last = [0.0]

    def show(status: Any) -> None:
        now = time.monotonic()
        if now - last[0] < every:
            return
        last[0] = now
        print(f"[{status.elapsed_s:7.1f}s] {status.state:12s} received {status.received}  "
              f"analysed {status.analysed} ({status.rate_fps:.1f}/s)  lag {status.lag_s:.2f}s  "
              f"dropped {status.dropped}  tracks {status.tracks}  hits {status.hits}  "
              f"reconnects {status.reconnects}", flush=True)

    return show


def _watch(args: argparse.Namespace) -> int:
    from workbench.streams.reader import ReaderSettings
    from workbench.streams.watch import WatchSettings, watch

    reader = ReaderSettings(fps=args.fps, scene_threshold=args.scene, buffer=args.buffer,
                            realtime=not args.no_realtime, max_retries=args.retries)
    settings = WatchSettings(reader=reader, duration_s=args.duration, max_frames=args.max_frames,
                             segment_s=args.segment, rules=args.rules, alerts=args.alerts,
                             alert_queue=args.alert_queue, alert_drain_s=args.alert_drain,
                             min_track_frames=args.min_track_frames)
    from workbench.store import Case
    from workbench.streams.source import parse_source

    if args.alert_queue < 1 or (args.alert_drain is not None and args.alert_drain < 0):
        from workbench.errors import WorkbenchError

        raise WorkbenchError("--alert-queue must be at least 1 and --alert-drain not negative")
    source = parse_source(args.source)  # a wrong case or source fails before models load
    with Case.open(args.case_dir) as case:
        analyzer = _analyzer(args)
        status = watch(case, source, settings, analyzer,
                       on_update=None if args.json else _printer(args.every))
    summary = status.summary()
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"stopped ({status.stopped_by}): received {status.received} frames, "
          f"skipped {status.skipped} by sampling, analysed {status.analysed}, "
          f"dropped {status.dropped}; kept {status.kept} frames in {status.segments} segments; "
          f"{status.faces} faces in {status.tracks} tracks; {status.hits} hits "
          f"({status.alerts} alerts sent, {status.alerts_failed} failed: see the audit log); "
          f"{status.reconnects} reconnects", file=sys.stdout)
    print(f"lag frame->analysed: median {summary['lag_median_s']} s, p95 {summary['lag_p95_s']} s"
          f"; run {status.run_id}")
    return 0
