"""``workbench audit verify|export``: prove the audit log is whole, and write it for the file."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    audit = subparsers.add_parser(
        "audit", help="verify the audit log's hash chain or export it",
        description="Every audit entry carries the hash of the one before it. `verify` "
        "recomputes the chain and names the first entry that breaks it (exit 1); `export` "
        "writes the log, its hashes and the head hash as JSON for the file.")
    sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = sub.add_parser("verify", help="check the chain; exit 1 naming the broken entry")
    verify.add_argument("case_dir")
    verify.add_argument("--head", metavar="HASH",
                        help="a head hash recorded earlier (a report, an export): also "
                             "catches entries removed from the end")
    verify.set_defaults(handler=_verify)
    export = sub.add_parser("export", help="write the log with its hashes as JSON")
    export.add_argument("case_dir")
    export.add_argument("out", help="the JSON file to write (a .sha256 file is written beside)")
    export.set_defaults(handler=_export)


def _verify(args: argparse.Namespace) -> int:
    from workbench.store import Case

    with Case.open(args.case_dir) as case:
        result = case.audit_verify(expect_head=args.head)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(result.describe())
    return 0 if result.ok else 1


def _export(args: argparse.Namespace) -> int:
    import hashlib
    import json
    from pathlib import Path

    from workbench.store import Case
    from workbench.types import utc_now

    out = Path(args.out)
    with Case.open(args.case_dir) as case:
        document = case.audit_document(utc_now().isoformat(timespec="seconds"))
        text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        out.with_name(out.name + ".sha256").write_text(f"{digest}  {out.name}\n",
                                                       encoding="utf-8")
        # The export itself is recorded after the document, so the head it carries is
        # the head as it was exported.
        case.audit("audit.export", target=str(out.resolve()),
                   detail={"sha256": digest, "head": document["head"]["hash"]})
    print(document["verification"])
    print(f"{out}  sha256 {digest}")
    return 0 if document["verified"] else 1
