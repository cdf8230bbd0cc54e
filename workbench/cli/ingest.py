"""``workbench ingest CASE_DIR SOURCE...``: hash, parse and store evidence (resumable)."""

from __future__ import annotations

import argparse
import json
import sys

from workbench.distributed.engine import add_arguments as add_engine_arguments


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ingest",
        help="ingest folders, zip archives, images and videos into a case (resumable)",
        description="Hash (SHA-256, MD5, SHA-1, PDQ), read metadata, sample video frames and "
        "flag known hashes. Originals are only read. Interrupted? Run the same command again.",
    )
    parser.add_argument("case_dir", help="case folder (created if missing)")
    parser.add_argument("sources", nargs="+", metavar="SOURCE",
                        help="folder (recursive), zip archive, image or video")
    parser.add_argument("--fps", type=float, default=1.0,
                        help="video frames sampled per second, plus scene changes (default 1)")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes (default: all cores)")
    parser.add_argument("--hash-list", action="append", default=[], metavar="FILE",
                        help="VICS JSON or CSV hash list to import and match (repeatable)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    add_engine_arguments(parser)
    parser.set_defaults(handler=_ingest)


def _ingest(args: argparse.Namespace) -> int:
    from workbench.ingest.pipeline import IngestSettings, ingest
    from workbench.store import Case

    settings = IngestSettings(fps=args.fps, workers=args.workers,
                              hash_lists=tuple(args.hash_list), progress=not args.no_progress)
    from workbench.distributed.engine import open_engine

    with Case.init(args.case_dir) as case, \
            open_engine(args.engine, args.cluster, args.workers) as engine:
        report = ingest(case, args.sources, settings, engine)
    for warning in report.warnings:  # e.g. ExifTool missing: what to install
        print(f"workbench: warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
        return 0
    for hash_list in report.hash_lists:
        rejected = hash_list["rejected"]
        print(f"hash list {hash_list['name']!r}: {hash_list['rows']} rows read, "
              f"{hash_list['imported']} hashes imported, {hash_list['duplicates']} duplicates, "
              f"{len(rejected)} rejected"
              + "".join(f"\n  line {line}: {why}" for line, why in rejected[:20]))
    print(str(report))
    return 0
