"""``workbench dashboard`` and ``workbench map``: the supervisor overview and map exports.

* ``workbench dashboard CASE_DIR [--port P] [--token-file F] [--no-preheat]`` serves the
  read-only case overview (Voila) on 127.0.0.1 and prints the URL with its access token;
  in a case with users a supervisor also signs in with a password.
* ``workbench map CASE_DIR --out DIR`` writes the case map as offline HTML, GeoJSON and
  KML (Google Earth); thumbnails in the HTML popups are blurred unless ``--reveal``.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    from workbench.apps.serve import add_arguments

    parser = subparsers.add_parser(
        "dashboard",
        help="serve the read-only case overview (Voila) on 127.0.0.1 with an access token",
        description="Serve the supervisor dashboard of a case on this machine only. "
        "Prints the URL with its access token. In a case with users, the URL opens a sign-in "
        "page for users with the supervisor role. Ctrl-C or SIGTERM stops the server, its "
        "kernels and its temporary folder.",
    )
    add_arguments(parser)
    parser.set_defaults(handler=_dashboard)

    parser = subparsers.add_parser(
        "map",
        help="export the case map: offline HTML, GeoJSON and KML (Google Earth)",
        description="Write the case map as a standalone offline HTML file, GeoJSON and KML. "
        "The tile server comes from WORKBENCH_TILE_URL (default: offline world outline).",
    )
    parser.add_argument("case_dir", help="the case folder")
    parser.add_argument("--out", required=True, type=Path, help="folder to write into")
    parser.add_argument("--thumbnails", type=int, default=50,
                        help="popups with a thumbnail, highest scores first (default 50)")
    parser.add_argument("--reveal", action="store_true",
                        help="unblurred thumbnails in the HTML (recorded in the audit log)")
    parser.set_defaults(handler=_map)


def _dashboard(args: argparse.Namespace) -> int:
    from workbench.apps.serve import read_token_file, serve

    token = read_token_file(args.token_file) if args.token_file else None
    return serve(args.case_dir, port=args.port, token=token, preheat=args.preheat)


def _map(args: argparse.Namespace) -> int:
    from workbench.apps.overview_data import hit_places
    from workbench.geo.export import write_geojson, write_kml
    from workbench.geo.maps import MapOptions, build_map, case_layers, save_map
    from workbench.store import Case

    args.out.mkdir(parents=True, exist_ok=True)
    with Case.open(args.case_dir) as case:
        if args.reveal:
            from workbench.auth.identity import check_action

            # Refuse before any unblurred thumbnail is written, not at the audit entry.
            check_action(case, "map.export", str(args.out.resolve()), None, {"reveal": True})
        # The same layers as the dashboard: candidate schools and verified last-seen places.
        schools, last_seen = hit_places(case)
        layers = case_layers(case, schools=schools, last_seen=last_seen,
                             thumbnails=args.thumbnails, reveal=args.reveal)
        written = [
            save_map(build_map(layers, MapOptions(reveal=args.reveal)), args.out / "map.html"),
            write_geojson(layers, args.out / "map.geojson"),
            write_kml(layers, args.out / "map.kml"),
        ]
        # Who exported what, and whether they chose to see unblurred images.
        case.audit("map.export", target=str(args.out.resolve()),
                   detail={"reveal": args.reveal, **layers.counts()})
    for path in written:
        print(path)
    return 0
