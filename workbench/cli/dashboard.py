"""``workbench dashboard CASE_DIR``: serve the supervisor's read-only case overview."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    from workbench.apps.serve import add_arguments

    parser = subparsers.add_parser(
        "dashboard",
        help="serve the read-only case overview (Voila) on 127.0.0.1 with an access token",
        description="Serve the supervisor dashboard of a case on this machine only. "
        "Prints the URL with its access token.",
    )
    add_arguments(parser)
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from workbench.apps.serve import serve

    return serve(args.case_dir, port=args.port, token=args.token, preheat=args.preheat)
