"""``workbench lookup``: case faces against the missing-person registry (and reverse)."""

from __future__ import annotations

import argparse
import json

from workbench.cli._output import print_json_lines, print_table

EPILOG = """\
Forward: every face of CASE_DIR is filtered by sex and age window against each record,
ranked by face similarity and verified at the face engine's calibrated threshold; verified
candidates are stored as hits of kind 'registry'. Reverse (--record ID): that record's
photos are searched against every face of every CASE_DIR listed.

Alerts (--alerts FILE or $WORKBENCH_ALERTS), a JSON file:
  {"email": {"host": "smtp.agency", "port": 25, "sender": "workbench@agency",
             "recipients": ["duty@agency"], "password_env": "WORKBENCH_SMTP_PASSWORD"},
   "webhook": {"url": "https://alerts.agency/hook"}, "blur_crop": true}
Each verified match is sent once; every alert is written to the case audit log.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    cmd = subparsers.add_parser("lookup", help="look case faces up in the missing-person registry",
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    cmd.add_argument("case_dirs", nargs="+", metavar="CASE_DIR", help="case folder(s)")
    cmd.add_argument("--record", help="reverse search: this registry record against the cases")
    cmd.add_argument("-k", type=int, default=10, help="candidates per face (default 10)")
    cmd.add_argument("--store", choices=["verified", "all"], default="verified",
                     help="which candidates become hits (default: verified only)")
    cmd.add_argument("--alerts", help="alert settings JSON (default: $WORKBENCH_ALERTS)")
    cmd.add_argument("--registry", help="registry folder or postgresql:// URL "
                     "(default: $WORKBENCH_REGISTRY, else ~/.workbench/registry)")
    cmd.add_argument("--json", action="store_true", help="JSON lines, one face a line")
    cmd.set_defaults(handler=_lookup)


def _lookup(args: argparse.Namespace) -> int:
    from workbench.missing.alerts import Alerter, AlertSettings
    from workbench.missing.backends import open_registry
    from workbench.missing.case_lookup import lookup_case, reverse_search
    from workbench.missing.lookup import LookupSettings
    from workbench.store import Case

    settings = LookupSettings(k=args.k, store=args.store)
    alert_settings = AlertSettings.load(args.alerts)
    with open_registry(args.registry) as registry:
        alerter = Alerter(registry, alert_settings) if alert_settings else None
        if args.record:
            matches = reverse_search(registry, args.record, args.case_dirs, settings=settings,
                                     on_verified=alerter)
            rows = [{"case": m.case_path, "face_id": m.query.face_id,
                     **m.candidate.as_dict()} for m in matches]
            summary = {"record": args.record, "faces_matched": len(rows),
                       "verified": sum(r["verified"] for r in rows)}
        else:
            rows, summary = [], {}
            for case_dir in args.case_dirs:
                with Case.open(case_dir) as case:
                    result = lookup_case(case, registry, settings=settings, on_verified=alerter)
                rows += [{"case": str(case_dir), **f.as_dict()} for f in result.faces]
                summary[str(case_dir)] = {"faces": len(result.faces), "hits": len(result.hits),
                                          "verified": len(result.verified),
                                          "skipped_other_models": result.skipped_keys}
        if alerter:
            summary["alerts_sent"] = len(alerter.sent)
            summary["alerts_suppressed"] = len(alerter.suppressed)
    if args.json:
        print_json_lines(rows)
        return 0
    if args.record:
        print_table([{k: r[k] for k in ("case", "face_id", "similarity", "verified")}
                     for r in rows], ["case", "face_id", "similarity", "verified"])
    else:
        flat = [{"face": r["face_id"], "rank": c["rank"], "record": c["record_id"],
                 "name": c["name"], "similarity": c["similarity"], "verified": c["verified"]}
                for r in rows for c in r["candidates"][:3]]
        print_table(flat, ["face", "rank", "record", "name", "similarity", "verified"])
    print(json.dumps(summary, indent=2, default=str))
    return 0
