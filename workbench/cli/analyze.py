"""``workbench analyze CASE_DIR``: faces of every image and sampled frame of a case."""

from __future__ import annotations

import argparse
import json

from workbench.distributed.engine import add_arguments as add_engine_arguments


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "analyze", help="detect, embed and describe the faces of every image and video frame "
        "of a case (parallel, resumable)")
    parser.add_argument("case_dir")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes, each loading the models once (~400 MiB each; "
                        "default: all cores)")
    parser.add_argument("--detector", default="hog",
                        help="hog (default; dlib HOG), yunet (libfacedetection: ~7x faster, finds turned "
                        "faces), cnn (dlib MMOD, slow), or deepface:<name> with imported weights")
    parser.add_argument("--detector-threshold", type=float, default=0.6,
                        help="yunet confidence cut, 0-1 (default 0.6; lower finds more faces "
                        "and more false ones)")
    parser.add_argument("--upsample", type=int, default=1,
                        help="detector upsampling: 1 finds faces from ~40 px (default), 0 from "
                        "~80 px, 4x faster")
    parser.add_argument("--hog-gray", action="store_true",
                        help="HOG on the grey image: ~30%% faster detection, may miss faces "
                        "at the detection threshold")
    parser.add_argument("--no-attributes", action="store_true",
                        help="skip age, gender and emotion")
    parser.add_argument("--limit", type=int, help="analyse at most this many items")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_engine_arguments(parser)
    parser.set_defaults(handler=_analyze)


def _analyze(args: argparse.Namespace) -> int:
    from workbench.faces import FaceSettings, analyze_case

    settings = FaceSettings(detector=args.detector, detector_threshold=args.detector_threshold,
                            upsample=args.upsample,
                            hog_gray=args.hog_gray, attributes=not args.no_attributes)
    import os

    workers = args.workers if args.workers is not None else (os.cpu_count() or 1)
    from workbench.distributed.engine import open_engine

    with open_engine(args.engine, args.cluster, args.workers) as engine:
        summary = analyze_case(args.case_dir, settings, workers=max(1, workers),
                               progress=not (args.json or args.no_progress), limit=args.limit,
                               cluster=engine)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"analysed {summary['analysed']} items ({summary['skipped']} already done), "
              f"{summary['faces']} faces, {len(summary['errors'])} could not be analysed; "
              f"run {summary['run_id']}")
    return 0
