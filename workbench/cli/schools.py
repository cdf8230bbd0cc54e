"""``workbench schools search`` (rank schools) and ``workbench schools build-sample``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("schools", help="school registry and uniform-based search")
    sub = parser.add_subparsers(dest="schools_command", metavar="ACTION", required=True)
    search = sub.add_parser("search", help="rank schools by how well their uniform explains "
                            "observed attributes")
    search.add_argument("--attributes", required=True,
                        help='JSON (or @file.json): {"tie": {"present": true, "confidence": 0.9,'
                             ' "colours": ["navy", "gold"], "pattern": "striped"}, ...}; items '
                             "left out are not visible. A stored face: CASE_DIR::FACE_ID")
    search.add_argument("--near", help="LAT,LON of a geotag: nearer schools rank higher")
    search.add_argument("--scale-km", type=float, default=25.0,
                        help="distance scale of the --near prior (default 25 km)")
    search.add_argument("--region", help="GeoJSON polygon file: schools outside rank lower")
    search.add_argument("--registry", help="registry CSV (default: the sample FL registry)")
    search.add_argument("--top", type=int, default=10, help="results to show (default 10)")
    search.add_argument("--json", action="store_true", help="JSON lines, one school a line")
    search.add_argument("--geojson", action="store_true", help="a GeoJSON FeatureCollection")
    search.set_defaults(handler=_search)
    build = sub.add_parser("build-sample", help="rebuild the sample registry (invented uniforms)")
    build.add_argument("hifld_csv", help="hifld_public_schools_FL.csv")
    build.add_argument("out_csv")
    build.set_defaults(handler=_build)


def _observation(text: str) -> dict:
    from workbench.errors import ValidationError

    if "::" in text and not text.lstrip().startswith("{"):
        from workbench.store import Case
        from workbench.uniforms.store import load_attributes, observation

        case_dir, face_id = text.split("::", 1)
        with Case.open(case_dir) as case:
            faces = load_attributes(case, face_ids=[face_id])
        if face_id not in faces:
            raise ValidationError(f"no uniform attributes for face {face_id!r} in {case_dir}")
        return observation(faces[face_id])
    if text.startswith("@"):
        text = Path(text[1:]).read_text(encoding="utf-8")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValidationError(f"--attributes is not valid JSON: {err}") from err
    if not isinstance(value, dict):
        raise ValidationError("--attributes must be a JSON object keyed by item")
    return value.get("items", value)


def _search(args: argparse.Namespace) -> int:
    from workbench.cli._output import print_json_lines, print_table
    from workbench.errors import ValidationError
    from workbench.schools.registry import load_registry
    from workbench.schools.search import GeoPrior, region_from_geojson, search_schools

    observation = _observation(args.attributes)
    prior = None
    if args.near or args.region:
        near = None
        if args.near:
            try:
                lat, lon = (float(v) for v in args.near.split(","))
            except ValueError as err:
                raise ValidationError("--near must be LAT,LON in decimal degrees") from err
            near = (lat, lon)
        region = region_from_geojson(args.region) if args.region else None
        prior = GeoPrior(near=near, scale_km=args.scale_km, region=region)
    results = search_schools(observation, load_registry(args.registry), top=args.top,
                             prior=prior)
    if args.geojson:
        print(json.dumps({"type": "FeatureCollection",
                          "features": [r.geojson_feature() for r in results]}))
    elif args.json:
        print_json_lines(r.as_dict() for r in results)
    else:
        rows = [{**r.as_dict(), "matched": ",".join(r.matched)} for r in results]
        print_table(rows, ["rank", "score", "name", "phase", "distance_km", "matched",
                           "tied_with"])
        if results and results[0].school.uniform_source == "invented-for-demo":
            print("note: this registry's uniforms are INVENTED for the demo, not real data")
    return 0


def _build(args: argparse.Namespace) -> int:
    from workbench.schools.registry import build_sample_registry

    n = build_sample_registry(args.hifld_csv, args.out_csv)
    print(f"{n} schools written to {args.out_csv} (uniforms invented-for-demo)")
    return 0
