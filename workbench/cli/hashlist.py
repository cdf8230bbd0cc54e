"""``workbench hashlist import|match|export``: known-hash lists (VICS 2.0 JSON, CSV)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("hashlist", help="import, match or export known-hash lists")
    sub = parser.add_subparsers(dest="hashlist_command", metavar="ACTION", required=True)
    imp = sub.add_parser("import", help="import a VICS JSON or CSV list and match the case")
    imp.add_argument("case_dir")
    imp.add_argument("file", help="VICS 2.0 JSON or CSV (md5, sha1, sha256, pdq columns)")
    imp.add_argument("--name", help="list name shown on hits (default: the file name)")
    imp.add_argument("--no-match", action="store_true",
                     help="only import; do not match evidence already in the case")
    imp.add_argument("--json", action="store_true",
                     help="print rows read, imported, duplicates and rejected rows as JSON")
    imp.set_defaults(handler=_import)
    exp = sub.add_parser("export", help="export the case's media as VICS 2.0 JSON")
    exp.add_argument("case_dir")
    exp.add_argument("out", help="output .json file")
    exp.set_defaults(handler=_export)


def _import(args: argparse.Namespace) -> int:
    import json
    from dataclasses import asdict

    from workbench.ingest.hashlists import import_hash_list, match_case
    from workbench.store import Case

    with Case.open(args.case_dir) as case:
        info = import_hash_list(case, args.file, name=args.name)
        hits = None if args.no_match else match_case(case, [info.id])
    if args.json:
        print(json.dumps(asdict(info) | {"matches": None if hits is None else len(hits)},
                         indent=2))
        return 0
    # every row is accounted for: read = imported + duplicate + rejected, by line
    print(info)
    if hits is not None:
        print(f"{len(hits)} matches in the case's evidence")
    return 0


def _export(args: argparse.Namespace) -> int:
    from workbench.ingest.hashlists import export_vics
    from workbench.store import Case

    with Case.open(args.case_dir) as case:
        count = export_vics(case, args.out)
    print(f"wrote {count} media entries to {args.out} (VICS 2.0 JSON)")
    return 0
