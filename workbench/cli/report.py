"""``workbench report NOTEBOOK --format html|pdf``: a case notebook as a report for the file."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    report = subparsers.add_parser(
        "report", help="export an executed case notebook as an HTML or PDF report",
        description="Export an executed case notebook as a report without code cells: "
        "figures and maps inline (offline), thumbnails blurred unless --reveal, an evidence "
        "manifest (SHA-256 of every item shown), who made it and when. The report's own "
        "SHA-256 is printed and written to REPORT.sha256.")
    report.add_argument("notebook", help="the executed notebook (.ipynb)")
    report.add_argument("--format", choices=["html", "pdf"], default="html")
    report.add_argument("--out", help="report file (default: beside the notebook)")
    report.add_argument("--reveal", action="store_true",
                        help="show thumbnails unblurred (recorded in the case's audit log)")
    report.add_argument("--case", help="case folder, if the notebook's case_dir parameter "
                        "does not point at it")
    report.add_argument("--cell-timeout", type=int, default=600, metavar="SECONDS",
                        help="with --execute: seconds a cell may run before the notebook is "
                        "run again in a new kernel (once), then given up (default 600)")
    report.add_argument("--execute", action="store_true",
                        help="first run the notebook with papermill (needs --case)")
    report.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from workbench.reports.export import ReportError, export_report

    notebook = Path(args.notebook)
    if args.execute:
        if not args.case:
            raise ReportError("--execute needs --case CASE_DIR to run the notebook on")
        from workbench.reports.run import execute_notebook

        notebook = execute_notebook(notebook, args.case, timeout_s=args.cell_timeout)
        print(f"executed notebook: {notebook}")
    result = export_report(notebook, fmt=args.format, out=args.out, reveal=args.reveal,
                           case_dir=args.case)
    print(f"report: {result.path}")
    print(f"evidence items: {result.items} ({result.unverified} not verified)")
    print(f"sha256: {result.sha256}  (also in {result.sidecar})")
    return 0
