"""``workbench uniforms CASE_DIR`` (extract, optionally ``--search`` schools) and ``--correct``."""

from __future__ import annotations

import argparse
import json

from workbench.distributed.engine import add_arguments as add_engine_arguments


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "uniforms", help="school-uniform attributes of a case's faces (needs stored faces)")
    parser.add_argument("case_dir", help="the case folder")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print the attributes as JSON lines")
    parser.add_argument("--correct", metavar="FACE_ID:ITEM",
                        help="record a correction instead of extracting, e.g. 'abc..:3:tie'")
    parser.add_argument("--present", choices=["yes", "no"], help="with --correct")
    parser.add_argument("--colours", help="with --correct: comma-separated palette names")
    parser.add_argument("--pattern", choices=["plain", "striped", "checked", "other"],
                        help="with --correct")
    parser.add_argument("--note", default="", help="with --correct: why")
    parser.add_argument("--search", action="store_true",
                        help="then rank schools for every uniform-like face, each seeded with "
                             "its photo's geotag (else the case's geotags); stores school hits "
                             "(same as `workbench schools search-case`)")
    parser.add_argument("--top", type=int, default=10, help="with --search: schools per face")
    add_engine_arguments(parser)
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from workbench.cli._output import print_json_lines
    from workbench.store import Case
    from workbench.uniforms.store import correct_attribute, load_attributes

    with Case.open(args.case_dir) as case:
        if args.correct:
            face_id, _, item = args.correct.rpartition(":")
            colours = [c.strip() for c in args.colours.split(",")] if args.colours else None
            present = None if args.present is None else args.present == "yes"
            values = correct_attribute(case, face_id, item, present=present, colours=colours,
                                       pattern=args.pattern, note=args.note)
            print(json.dumps({"face_id": face_id, "item": item, **values}))
            return 0
        from workbench.distributed.engine import open_engine
        from workbench.uniforms.extract import extract_case

        with open_engine(args.engine, args.cluster) as engine:
            summary = extract_case(case, progress=not args.no_progress, engine=engine)
        if args.json:
            faces = load_attributes(case)
            print_json_lines({"face_id": k, **v} for k, v in faces.items())
        else:
            print(f"uniforms: {summary['faces']} faces in {summary['images']} images, "
                  f"{summary['uniform_likely']} with uniform score >= 0.5, "
                  f"{summary['errors']} images unreadable (run {summary['run_id'][:8]})")
        if args.search and summary["faces"] == 0:
            print("schools: no faces in this case, nothing to search")
        elif args.search:
            from workbench.schools.case_search import search_case

            found = search_case(case, top=args.top, progress=not args.no_progress)
            print(f"schools: searched {found['searched']} faces, results stored as school hits "
                  f"(run {found['run_id'][:8] or '-'}); `workbench map {args.case_dir}` shows "
                  f"them")
    return 0
