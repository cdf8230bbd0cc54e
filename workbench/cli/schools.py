"""``workbench schools search`` (rank schools), ``search-case`` and ``build-sample``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

TABLE_COLUMNS = ["rank", "score", "name", "phase", "distance_km", "matched"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("schools", help="school registry and uniform-based search")
    sub = parser.add_subparsers(dest="schools_command", metavar="ACTION", required=True)
    search = sub.add_parser(
        "search", help="rank schools by how well their uniform explains observed attributes",
        description="Rank schools. Ranks like 4-15 are tie groups: those schools' uniforms "
        "explain the observation equally, and their order inside the group means nothing.")
    search.add_argument("--attributes", required=True,
                        help='JSON (or @file.json): {"tie": {"present": true, "confidence": 0.9,'
                             ' "colours": ["navy", "gold"], "pattern": "striped"}, ...}; items '
                             "left out are not visible. A stored face: CASE_DIR::FACE_ID (its "
                             "photo's geotag, or the case's geotags, seed the prior)")
    _prior_arguments(search)
    search.add_argument("--top", type=int, default=10, help="results to show (default 10)")
    search.add_argument("--json", action="store_true", help="JSON lines, one school a line")
    search.add_argument("--geojson", action="store_true", help="a GeoJSON FeatureCollection")
    search.add_argument("--map", type=Path, metavar="HTML",
                        help="also write an offline map with the candidate schools as markers")
    search.set_defaults(handler=_search)
    case = sub.add_parser(
        "search-case", help="search schools for every uniform-like face of a case and store "
        "the results as hits (each photo's geotag, else the case's geotags, as prior)")
    case.add_argument("case_dir", help="the case folder (run `workbench uniforms` first)")
    case.add_argument("--top", type=int, default=10, help="schools kept per face (default 10)")
    case.add_argument("--min-score", type=float, default=0.5,
                      help="uniform score a face needs to be searched (default 0.5)")
    case.add_argument("--min-items", type=int, default=2,
                      help="items seen present a face needs (default 2)")
    case.add_argument("--no-case-geotags", action="store_true",
                      help="photos without a geotag of their own get no prior")
    case.add_argument("--registry", help="registry CSV (default: the sample FL registry)")
    case.add_argument("--map", type=Path, metavar="HTML",
                      help="also write the case map with the candidate schools as markers")
    case.add_argument("--json", action="store_true", help="JSON lines, one face a line")
    case.add_argument("--no-progress", action="store_true", help="no progress bar")
    case.set_defaults(handler=_search_case)
    build = sub.add_parser("build-sample", help="rebuild the sample registry (invented uniforms)")
    build.add_argument("hifld_csv", help="hifld_public_schools_FL.csv")
    build.add_argument("out_csv")
    build.set_defaults(handler=_build)


def _prior_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--near", help="LAT,LON of a geotag: nearer schools rank higher")
    parser.add_argument("--scale-km", type=float, default=25.0,
                        help="distance scale of the --near prior (default 25 km)")
    parser.add_argument("--region", help="GeoJSON polygon file: schools outside rank lower")
    parser.add_argument("--bbox", help="S,W,N,E box in degrees: schools outside rank lower")
    parser.add_argument("--no-geotag", action="store_true",
                        help="with CASE_DIR::FACE_ID: ignore the case's geotags")
    parser.add_argument("--registry", help="registry CSV (default: the sample FL registry)")


def _observation(text: str) -> tuple[dict, tuple[str, str] | None]:
    """The observation, and (case_dir, evidence_id) when it is a stored face."""
    from workbench.errors import ValidationError

    if "::" in text and not text.lstrip().startswith("{"):
        from workbench.store import Case
        from workbench.uniforms.store import load_attributes, observation

        case_dir, face_id = text.split("::", 1)
        with Case.open(case_dir) as case:
            faces = load_attributes(case, face_ids=[face_id])
        if face_id not in faces:
            raise ValidationError(f"no uniform attributes for face {face_id!r} in {case_dir}")
        return observation(faces[face_id]), (case_dir, faces[face_id]["evidence_id"])
    if text.startswith("@"):
        text = Path(text[1:]).read_text(encoding="utf-8")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValidationError(f"--attributes is not valid JSON: {err}") from err
    if not isinstance(value, dict):
        raise ValidationError("--attributes must be a JSON object keyed by item")
    return value.get("items", value), None


def _explicit_prior(args: argparse.Namespace) -> Any:
    from workbench.errors import ValidationError
    from workbench.schools.search import GeoPrior, region_from_geojson

    if not (args.near or args.region or args.bbox):
        return None
    near = None
    if args.near:
        try:
            lat, lon = (float(v) for v in args.near.split(","))
        except ValueError as err:
            raise ValidationError("--near must be LAT,LON in decimal degrees") from err
        near = (lat, lon)
    region = region_from_geojson(args.region) if args.region else None
    if args.bbox:
        from shapely.geometry import box

        try:
            south, west, north, east = (float(v) for v in args.bbox.split(","))
        except ValueError as err:
            raise ValidationError("--bbox must be S,W,N,E in decimal degrees") from err
        square = box(west, south, east, north)
        region = square if region is None else region.intersection(square)
    return GeoPrior(near=near, scale_km=args.scale_km, region=region)


def _search(args: argparse.Namespace) -> int:
    from workbench.cli._output import print_json_lines
    from workbench.schools.registry import load_registry
    from workbench.schools.search import search_schools

    observation, stored = _observation(args.attributes)
    prior = _explicit_prior(args)
    why = "given on the command line" if prior is not None else "none: uniform only"
    if prior is None and stored is not None and not args.no_geotag:
        from workbench.schools.case_search import case_prior
        from workbench.store import Case

        with Case.open(stored[0]) as case:
            prior, why = case_prior(case, stored[1], scale_km=args.scale_km)
    results = search_schools(observation, load_registry(args.registry), top=args.top,
                             prior=prior)
    if args.map:
        _write_map(args.map, [r.as_dict() for r in results], stored[0] if stored else None)
    if args.geojson:
        print(json.dumps({"type": "FeatureCollection",
                          "features": [r.geojson_feature() for r in results]}))
    elif args.json:
        print_json_lines(r.as_dict() for r in results)
    else:
        _print_results(results, why)
    return 0


def _print_results(results: list[Any], why: str) -> None:
    from workbench.cli._output import print_table
    from workbench.schools.search import tie_groups

    rows = [{**r.as_dict(), "rank": r.rank_text, "matched": ",".join(r.matched) or "-"}
            for r in results]
    print_table(rows, TABLE_COLUMNS)
    print(f"geographic prior: {why}")
    for group in tie_groups(results):
        if group["schools"] > 1:
            more = group["schools"] - group["shown"]
            print(f"ranks {group['rank_range'][0]}-{group['rank_range'][1]}: "
                  f"{group['schools']} schools explain this equally"
                  + (f" ({more} not shown; raise --top or add a geotag)" if more else ""))
    if results and results[0].school.uniform_source == "invented-for-demo":
        print("note: this registry's uniforms are INVENTED for the demo, not real data")


def _write_map(path: Path, records: list[dict[str, Any]], case_dir: str | None) -> None:
    """Candidate schools as markers (over the case's items when a case is given)."""
    from workbench.geo.layers import MapLayers, case_layers, places_frame
    from workbench.geo.maps import build_map, save_map

    places = [{k: r[k] for k in ("lat", "lon", "name", "score", "explanation")}
              for r in records]
    if case_dir is not None:
        from workbench.store import Case

        with Case.open(case_dir) as case:
            layers = case_layers(case, schools=places)
    else:
        layers = MapLayers(schools=places_frame(places), title="candidate schools")
    path.parent.mkdir(parents=True, exist_ok=True)
    save_map(build_map(layers), path)
    print(f"map: {path}")


def _search_case(args: argparse.Namespace) -> int:
    from workbench.cli._output import print_json_lines
    from workbench.schools.case_search import school_places, search_case
    from workbench.schools.registry import load_registry
    from workbench.schools.search import tie_groups
    from workbench.store import Case

    schools = load_registry(args.registry)
    with Case.open(args.case_dir) as case:
        summary = search_case(case, schools, top=args.top, min_uniform_score=args.min_score,
                              min_items=args.min_items,
                              use_case_geotags=not args.no_case_geotags,
                              progress=not args.no_progress, registry=args.registry)
        places = school_places(case, schools)
    if args.json:
        print_json_lines({"face_id": f, "prior": summary["priors"][f],
                          "tie_groups": tie_groups(r), "results": [m.as_dict() for m in r]}
                         for f, r in summary["results"].items())
    else:
        print(f"schools: searched {summary['searched']} of {summary['faces']} faces "
              f"(run {summary['run_id'][:8] or '-'}); {len(places)} candidate schools on the map")
        for face_id, results in summary["results"].items():
            if not results:
                continue
            first = results[0]
            tie = (f", tied with {first.tied_with} more (ranks {first.rank_text})"
                   if first.tied_with else "")
            print(f"  {face_id[:20]}: {first.school.name} [{', '.join(first.matched) or '-'}]"
                  f"{tie}; prior: {summary['priors'][face_id]}")
    if args.map:
        _write_map(args.map, places, args.case_dir)
    return 0


def _build(args: argparse.Namespace) -> int:
    from workbench.schools.registry import build_sample_registry

    n = build_sample_registry(args.hifld_csv, args.out_csv)
    print(f"{n} schools written to {args.out_csv} (uniforms invented-for-demo)")
    return 0
