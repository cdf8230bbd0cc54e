"""``workbench registry import|search|sync-namus|list``: the missing-person registry."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from workbench import settings
from workbench.cli._output import print_json_lines, print_table

REGISTRY_HELP = ("registry folder or postgresql:// URL (default: $WORKBENCH_REGISTRY, "
                 "else ~/.workbench/registry)")

IMPORT_EPILOG = """\
CSV column mapping (--mapping, JSON text or a .json file): registry field -> CSV column.
Fields: id (required), name, sex, race_ethnicity, date_of_birth, age_missing,
age_missing_min, age_missing_max, date_last_seen, place, lat, lon, case_url, photo.
Unmapped fields are read from a column of the same name; other columns are kept as extra.
Dates are YYYY-MM-DD (also MM/DD/YYYY, DD.MM.YYYY). 'photo' holds paths relative to the
CSV, separated by ';'. Record ids become <source>:<id> (--source, default csv:<file>).
  example: --mapping '{"id": "Case No", "sex": "Gender", "date_last_seen": "Last Seen"}'

NamUs JSON (--namus-json): a Search response {"count", "results"}, a list of result rows,
or case documents from /api/CaseSets/NamUs/MissingPersons/Cases/{id}.

Photos (--photos DIR): file names <record id>.jpg or <record id>_<n>.jpg (':' may be '_'),
or --photo-map FILE (JSON {"file name": "record id"}). Photos are embedded with the case
faces' model (the face engine), so only same-model embeddings are ever compared.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    reg = subparsers.add_parser("registry", help="missing-person registry: import, search, sync")
    sub = reg.add_subparsers(dest="registry_command", metavar="ACTION", required=True)

    imp = sub.add_parser("import", help="import records or photos",
                         epilog=IMPORT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    what = imp.add_mutually_exclusive_group(required=True)
    what.add_argument("--csv", type=Path, help="CSV file of records")
    what.add_argument("--namus-json", type=Path, help="NamUs Search or case JSON file")
    what.add_argument("--photos", type=Path, help="folder of photos named by record id")
    imp.add_argument("--mapping", help="CSV column mapping, JSON text or a .json file")
    imp.add_argument("--source", help="source name for CSV records (default csv:<file>)")
    imp.add_argument("--photo-map", type=Path, help="JSON {file name: record id} for --photos")
    imp.add_argument("--no-embed", action="store_true",
                     help="store records only; do not run the face engine on photos")
    imp.add_argument("--reverse", nargs="+", metavar="CASE_DIR",
                     help="then search the imported people's photos against these cases "
                          "(default: $WORKBENCH_CASES, folders separated by ':')")
    imp.add_argument("--registry", help=REGISTRY_HELP)
    imp.set_defaults(handler=_import)

    search = sub.add_parser("search", help="find registry candidates for the faces in an image")
    search.add_argument("--image", type=Path, required=True, help="image with one or more faces")
    search.add_argument("-k", type=int, default=10, help="candidates per face (default 10)")
    search.add_argument("--no-filters", action="store_true",
                        help="rank by similarity only (skip the sex and age filters)")
    search.add_argument("--json", action="store_true", help="JSON lines, one face a line")
    search.add_argument("--registry", help=REGISTRY_HELP)
    search.set_defaults(handler=_search)

    sync = sub.add_parser("sync-namus", help="pull cases from a configured NamUs API",
                          description="Off unless a base URL is configured (--base-url or "
                          "$WORKBENCH_NAMUS_URL): air-gapped sites never call out.")
    sync.add_argument("--base-url", help="NamUs site root, e.g. https://www.namus.gov")
    sync.add_argument("--sex", action="append", help="NamUs gender value (repeatable)")
    sync.add_argument("--age", nargs=2, type=int, metavar=("FROM", "TO"), help="current age")
    sync.add_argument("--race", action="append", help="NamUs raceEthnicity value (repeatable)")
    sync.add_argument("--state", action="append", help="state of last contact (repeatable)")
    sync.add_argument("--fetch-cases", action="store_true",
                      help="also fetch each case document (coordinates, images)")
    sync.add_argument("--photos", action="store_true",
                      help="download and embed case photos (implies --fetch-cases)")
    sync.add_argument("--limit", type=int, help="stop after this many cases")
    sync.add_argument("--min-interval", type=float, default=1.0,
                      help="seconds between requests (default 1.0, be polite)")
    sync.add_argument("--registry", help=REGISTRY_HELP)
    sync.set_defaults(handler=_sync)

    show = sub.add_parser("list", help="list the registry's records")
    show.add_argument("--json", action="store_true", help="JSON lines, one record a line")
    show.add_argument("--registry", help=REGISTRY_HELP)
    show.set_defaults(handler=_list)


def _mapping(text: str | None) -> dict[str, str] | None:
    from workbench.missing.records import MissingPersonsError

    if not text:
        return None
    try:
        raw = Path(text).read_text(encoding="utf-8") if text.endswith(".json") else text
        value = json.loads(raw)
    except (OSError, ValueError) as error:
        raise MissingPersonsError(f"--mapping is not JSON or a readable .json file: {error}") from error
    if not isinstance(value, dict):
        raise MissingPersonsError("--mapping must be a JSON object: field -> column")
    return {str(k): str(v) for k, v in value.items()}


def _embedder(no_embed: bool) -> Any:
    if no_embed:
        return None
    from workbench.missing.embedder import engine_embedder

    return engine_embedder()


def _import(args: argparse.Namespace) -> int:
    from workbench.missing import importers
    from workbench.missing.backends import open_registry

    with open_registry(args.registry) as registry:
        if args.csv:
            report = importers.import_csv(registry, args.csv, _mapping(args.mapping),
                                          _embedder(args.no_embed), args.source)
        elif args.namus_json:
            records = importers.read_namus_json(args.namus_json)
            report = {"records": registry.upsert(records)}
        else:
            explicit = (json.loads(args.photo_map.read_text(encoding="utf-8"))
                        if args.photo_map else None)
            found = importers.photo_map_from_folder(args.photos, [r.id for r in
                                                                  registry.records()], explicit)
            report = {"photos_matched": len(found)}
            if not args.no_embed:
                report.update(importers.add_photos(registry, found, _embedder(False)))
        report["registry"] = registry.location
        report["total_records"] = registry.count()
        cases = args.reverse or settings.case_paths()
        if cases:
            report["reverse"] = _reverse(registry, report, cases)
    print(json.dumps(report, indent=2, default=str))
    return 0


def _reverse(registry: Any, report: dict[str, Any], cases: list[str]) -> dict[str, Any]:
    """Search each newly embedded person against every face of the analyst's cases."""
    from workbench.missing.case_lookup import reverse_search

    added = set(report.get("added", []))
    people = sorted({p["record_id"] for p in registry.photos()
                     if p["location"] in added or str(Path(p["location"])) in added})
    out: dict[str, Any] = {}
    for record_id in people:
        matches = reverse_search(registry, record_id, cases)
        out[record_id] = [{"case": m.case_path, "face_id": m.query.face_id,
                           "similarity": round(m.candidate.similarity, 4),
                           "verified": m.candidate.verified} for m in matches[:10]]
    return out


def _search(args: argparse.Namespace) -> int:
    from workbench.faces import FaceEngine
    from workbench.ingest.images import load_rgb
    from workbench.missing.agewindow import AgeSettings
    from workbench.missing.backends import open_registry
    from workbench.missing.lookup import (
        LookupSettings,
        RecordFilter,
        queries_from_faces,
        search_face,
    )
    from workbench.missing.threshold import default_threshold

    engine = FaceEngine()
    faces = engine.analyze_array(load_rgb(args.image, max_side=2048))
    settings = LookupSettings(k=args.k)
    if args.no_filters:
        settings = LookupSettings(k=args.k, age=AgeSettings(sigmas=1e6), sex_min_confidence=2.0)
    rows = []
    with open_registry(args.registry) as registry:
        threshold = default_threshold(faces.embedding_key)
        records = RecordFilter(registry.records(), settings)
        for i, query in enumerate(queries_from_faces(faces)):
            cands = search_face(registry, query, threshold, settings, records)
            rows.append({"image": str(args.image), "face": i, "box": query.xyxy,
                         "age": query.age, "sex": query.sex, "embedding_key": query.embedding_key,
                         "threshold_source": threshold.source,
                         "candidates": [c.as_dict() for c in cands]})
    if args.json:
        print_json_lines(rows)
    else:
        for row in rows:
            print(f"face {row['face']} box {row['box']} age {row['age']} sex {row['sex']}")
            print_table([{"rank": c["rank"], "record": c["record_id"], "name": c["name"],
                          "similarity": c["similarity"], "verified": c["verified"]}
                         for c in row["candidates"]],
                        ["rank", "record", "name", "similarity", "verified"])
    return 0


def _sync(args: argparse.Namespace) -> int:
    from workbench.missing.backends import open_registry
    from workbench.missing.namus import NamUsClient, NamUsError, predicates, settings_from_env, sync

    settings = settings_from_env(args.base_url, min_interval_s=args.min_interval)
    if settings is None:
        raise NamUsError("NamUs is not configured: pass --base-url or set "
                         "WORKBENCH_NAMUS_URL (air-gapped sites leave it unset)")
    preds = predicates(args.sex, tuple(args.age) if args.age else None, args.race, args.state)
    client = NamUsClient(settings)
    with open_registry(args.registry) as registry:
        folder = Path(registry.location) / "photos" / "namus" if args.photos else None
        report = sync(registry, client, preds, fetch_cases=args.fetch_cases or args.photos,
                      photo_dir=folder, embed_photo=_embedder(not args.photos),
                      limit=args.limit)
        report["total_records"] = registry.count()
    print(json.dumps(report, indent=2, default=str))
    return 0


def _list(args: argparse.Namespace) -> int:
    from workbench.missing.backends import open_registry

    with open_registry(args.registry) as registry:
        photos: dict[str, int] = {}
        for p in registry.photos():
            photos[p["record_id"]] = photos.get(p["record_id"], 0) + 1
        rows = [{**r.as_dict(), "photos": photos.get(r.id, 0)} for r in registry.records()]
    if args.json:
        print_json_lines(rows)
    else:
        print_table(rows, ["id", "name", "sex", "age_missing_min", "date_last_seen", "place",
                           "photos"])
    return 0
