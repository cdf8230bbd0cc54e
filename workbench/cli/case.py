"""``workbench case init|summary|move-db``, ``workbench evidence`` and ``workbench quarantine``."""

from __future__ import annotations

import argparse
import json

from workbench.cli._output import print_json_lines, print_table


def register(subparsers: argparse._SubParsersAction) -> None:
    case = subparsers.add_parser("case", help="create a case or show its summary")
    case_sub = case.add_subparsers(dest="case_command", metavar="ACTION", required=True)
    init = case_sub.add_parser("init", help="create a case folder (case.db + derived/)")
    init.add_argument("case_dir", help="folder to create the case in")
    init.add_argument("--name", help="case name (default: the folder name)")
    init.add_argument("--db", dest="database", metavar="postgresql://...",
                      help="keep the case's tables in this PostgreSQL database (with pgvector; "
                      "several analysts and machines share it); default SQLite case.db in "
                      "the folder")
    init.set_defaults(handler=_init)
    move = case_sub.add_parser(
        "move-db", help="move a SQLite case's tables into PostgreSQL (case.db is kept, "
        "renamed case.db.moved-<time>)")
    move.add_argument("case_dir")
    move.add_argument("--to", dest="database", metavar="postgresql://...", required=True,
                      help="the PostgreSQL database (with pgvector) to keep the case in")
    move.set_defaults(handler=_move_db)
    summary = case_sub.add_parser("summary", help="counts of evidence, faces, hits, quarantine")
    summary.add_argument("case_dir")
    summary.add_argument("--json", action="store_true", help="print JSON instead of text")
    summary.set_defaults(handler=_summary)

    evidence = subparsers.add_parser("evidence", help="list a case's evidence")
    evidence.add_argument("case_dir")
    evidence.add_argument("--kind", choices=["image", "video", "video_frame"])
    evidence.add_argument("--json", action="store_true", help="JSON lines, one item a line")
    evidence.set_defaults(handler=_evidence)

    quarantine = subparsers.add_parser("quarantine", help="list files that could not be ingested")
    quarantine.add_argument("case_dir")
    quarantine.add_argument("--json", action="store_true", help="JSON lines, one file a line")
    quarantine.set_defaults(handler=_quarantine)


def _init(args: argparse.Namespace) -> int:
    from workbench.store import Case

    with Case.init(args.case_dir, name=args.name, db=args.database) as case:
        print(f"case {case.name!r} ready at {case.path} ({case.backend})")
    return 0


def _move_db(args: argparse.Namespace) -> int:
    from workbench.store.pg_move import move_to_postgresql

    moved = move_to_postgresql(args.case_dir, args.database)
    print(f"moved {sum(moved.rows.values())} rows in {len(moved.rows)} tables to PostgreSQL "
          f"(schema {moved.schema}); counts and audit chain verified; the SQLite file is "
          f"kept as {moved.kept_as}")
    return 0


def _summary(args: argparse.Namespace) -> int:
    from workbench.store import Case

    with Case.open(args.case_dir) as case:
        summary = case.summary()
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        interrupted = summary.pop("interrupted_runs", [])
        for key, value in summary.items():
            print(f"{key:>18}: {value}")
        if interrupted:
            # a killed run's results are partial: say so, and how to finish the job
            print(f"{'interrupted runs':>18}: {len(interrupted)} stopped before finishing "
                  f"(killed or crashed); run the same command again to resume:")
            for run in interrupted:
                print(f"{'':>18}  {run['kind']} {run['id']} started {run['started_at']}")
    return 0


def _evidence(args: argparse.Namespace) -> int:
    from workbench.store import Case

    with Case.open(args.case_dir) as case:
        rows = case.evidence_records(args.kind)
    if args.json:
        print_json_lines(rows)
    else:
        for row in rows:
            row["sha256"] = row["sha256"][:12]
            row["paths"] = len(row["paths"])
        print_table(rows, ["sha256", "kind", "width", "height", "captured_at", "lat", "lon",
                           "paths", "status"])
    return 0


def _quarantine(args: argparse.Namespace) -> int:
    from workbench.store import Case

    with Case.open(args.case_dir) as case:
        rows = case.quarantined().to_dict(orient="records")
    if args.json:
        print_json_lines(rows)
    else:
        print_table(rows, ["path", "reason", "detail"])
    return 0
