"""Import missing-person records: CSV with a column mapping, NamUs JSON, a photo folder.

CSV
---
A header row, then one record a row. The mapping says which CSV column fills which
record field; the default mapping is the field names themselves::

    {"id": "id", "name": "name", "sex": "sex", "race_ethnicity": "race_ethnicity",
     "date_of_birth": "date_of_birth", "age_missing": "age_missing",
     "age_missing_min": "age_missing_min", "age_missing_max": "age_missing_max",
     "date_last_seen": "date_last_seen", "place": "place", "lat": "lat", "lon": "lon",
     "case_url": "case_url", "photo": "photo"}

Give only the fields whose column name differs, e.g.
``{"id": "Case No", "sex": "Gender", "date_last_seen": "Last Seen"}``. ``id`` is
required; dates are ``YYYY-MM-DD`` (also ``MM/DD/YYYY``, ``DD.MM.YYYY``);
``age_missing`` sets both ends of the age range; ``photo`` holds one or more photo paths
separated by ``;``, relative to the CSV file. Columns not mapped are kept in ``extra``.
``source`` names where the records came from (default ``csv:<file name>``), and record
ids become ``<source>:<id>`` unless already prefixed.

NamUs JSON
----------
Either a Search response (``{"count": n, "results": [...]}`` with projections such as
``namus2Number``, ``firstName``, ``lastName``, ``gender``, ``raceEthnicity``,
``computedMissingMinAge``, ``computedMissingMaxAge``, ``dateOfLastContact``,
``cityOfLastContact``, ``stateDisplayNameOfLastContact``), a list of those rows, or case
documents from ``/api/CaseSets/NamUs/MissingPersons/Cases/{id}`` (``subjectIdentification``,
``subjectDescription``, ``sighting``, ``images``), one or a list.

Photos folder
-------------
Every image in a folder, the file name stem mapped to a record id: ``<record id>.jpg``
or ``<record id>_<n>.jpg`` (``:`` in ids may be written ``_``), or an explicit
``file name -> record id`` mapping. Each photo is embedded with the case faces' model via
the ``embed_photo(path) -> (embedding, embedding_key)`` callable.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from workbench.missing.records import MissingPerson, MissingPersonsError, RegistryPhoto, normalise_sex
from workbench.missing.store import Registry

EmbedPhoto = Callable[[Path], "tuple[np.ndarray | None, str]"]
"""Embeds the main face of a photo: ``(embedding or None when no face, embedding_key)``."""

CSV_FIELDS = ("id", "name", "sex", "race_ethnicity", "date_of_birth", "age_missing",
              "age_missing_min", "age_missing_max", "date_last_seen", "place", "lat", "lon",
              "case_url", "photo")
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".heic", ".tif", ".tiff"}
NAMUS_CASE_URL = "https://www.namus.gov/MissingPersons/Case#/{id}"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _float(value: Any, what: str, row_id: str) -> float | None:
    if _blank(value):
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as error:
        raise MissingPersonsError(f"record {row_id}: {what} {value!r} is not a number") from error


def qualified(source: str, raw_id: str) -> str:
    """``<source>:<id>`` unless the id already carries a prefix."""
    raw_id = str(raw_id).strip()
    return raw_id if ":" in raw_id else f"{source}:{raw_id}"


def read_csv(path: str | Path, mapping: Mapping[str, str] | None = None,
             source: str | None = None) -> list[tuple[MissingPerson, list[Path]]]:
    """Records (and their photo paths) from a CSV file; see the module docs for the mapping."""
    path = Path(path)
    unknown = set(mapping or {}) - set(CSV_FIELDS)
    if unknown:
        raise MissingPersonsError(f"mapping names unknown fields {sorted(unknown)}; "
                            f"known fields: {', '.join(CSV_FIELDS)}")
    columns = {f: f for f in CSV_FIELDS} | dict(mapping or {})
    source = source or f"csv:{path.name}"
    out = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if columns["id"] not in (reader.fieldnames or []):
            raise MissingPersonsError(f"{path}: no id column {columns['id']!r}; columns are "
                                f"{reader.fieldnames}. Pass a mapping such as "
                                f"'{{\"id\": \"Case No\"}}'")
        used = set(columns.values())
        for line, row in enumerate(reader, start=2):
            try:
                record, photo_text = _csv_record(row, columns, used, source)
            except MissingPersonsError as error:
                # Name the line: the analyst fixes the file, not a record id.
                raise MissingPersonsError(f"{path}:{line}: {error}; nothing was imported") from error
            photos = [path.parent / p.strip() for p in photo_text.split(";") if p.strip()]
            out.append((record, photos))
    return out


def _csv_record(row: Mapping[str, Any], columns: Mapping[str, str], used: set[str],
                source: str) -> tuple[MissingPerson, str]:
    """One validated record from a CSV row, and the row's photo text."""
    def get(field: str) -> Any:
        value = row.get(columns[field])
        return None if _blank(value) else value.strip()

    raw_id = get("id")
    if raw_id is None:
        raise MissingPersonsError("empty id")
    rid = qualified(source, raw_id)
    age = _float(get("age_missing"), "age_missing", rid)
    lo = _float(get("age_missing_min"), "age_missing_min", rid)
    hi = _float(get("age_missing_max"), "age_missing_max", rid)
    record = MissingPerson(
        id=rid, source=source, name=get("name") or "",
        sex=normalise_sex(get("sex")), sex_raw=get("sex") or "",
        race_ethnicity=get("race_ethnicity") or "", date_of_birth=get("date_of_birth"),
        age_missing_min=lo if lo is not None else age,
        age_missing_max=hi if hi is not None else age,
        date_last_seen=get("date_last_seen"), place=get("place") or "",
        lat=_float(get("lat"), "lat", rid), lon=_float(get("lon"), "lon", rid),
        case_url=get("case_url") or "",
        extra={k: v for k, v in row.items() if k not in used and not _blank(v)},
    )
    return record, get("photo") or ""


def _name(obj: Any) -> str:
    """NamUs lookups are objects with ``name``; plain strings pass through."""
    if isinstance(obj, Mapping):
        return str(obj.get("name") or obj.get("displayName") or "")
    return "" if obj is None else str(obj)


def namus_record(doc: Mapping[str, Any]) -> MissingPerson:
    """One record from a NamUs case document or a Search result row."""
    if "subjectIdentification" in doc or "subjectDescription" in doc:
        ident = doc.get("subjectIdentification") or {}
        desc = doc.get("subjectDescription") or {}
        sighting = doc.get("sighting") or {}
        address = sighting.get("address") or {}
        geo = (sighting.get("publicGeolocation") or {}).get("coordinates") or {}
        number = doc.get("idFormatted") or f"MP{doc.get('id')}"
        race = [_name(e) for e in desc.get("ethnicities") or []] or [
            _name(desc.get("primaryEthnicity"))]
        place = ", ".join(p for p in (address.get("city"), _name(address.get("county")),
                                      _name(address.get("state"))) if p)
        sex_raw = _name(desc.get("sex"))
        return MissingPerson(
            id=f"namus:{number}", source="namus",
            name=" ".join(p for p in (ident.get("firstName"), ident.get("middleName"),
                                      ident.get("lastName")) if p),
            sex=normalise_sex(sex_raw), sex_raw=sex_raw,
            race_ethnicity="; ".join(r for r in race if r),
            age_missing_min=ident.get("computedMissingMinAge"),
            age_missing_max=ident.get("computedMissingMaxAge"),
            date_last_seen=(sighting.get("date") or None),
            place=(sighting.get("publicGeolocation") or {}).get("formattedAddress") or place,
            lat=geo.get("lat"), lon=geo.get("lon"),
            case_url=NAMUS_CASE_URL.format(id=doc.get("id")),
            extra={"namus_id": doc.get("id"), "images": namus_image_paths(doc),
                   "current_age": [ident.get("currentMinAge"), ident.get("currentMaxAge")],
                   "resolved": doc.get("caseIsResolved")},
        )
    number = doc.get("namus2Number") or doc.get("id")
    if number is None:
        raise MissingPersonsError(f"NamUs row without namus2Number or id: {sorted(doc)[:8]}")
    sex_raw = _name(doc.get("gender") or doc.get("sex"))
    race = doc.get("raceEthnicity") or doc.get("raceDisplayName") or ""
    place = ", ".join(str(p) for p in (doc.get("cityOfLastContact"),
                                       doc.get("countyDisplayNameOfLastContact"),
                                       doc.get("stateDisplayNameOfLastContact")) if p)
    return MissingPerson(
        id=f"namus:{doc.get('idFormatted') or f'MP{number}'}", source="namus",
        name=" ".join(str(p) for p in (doc.get("firstName"), doc.get("middleName"),
                                       doc.get("lastName")) if p),
        sex=normalise_sex(sex_raw), sex_raw=sex_raw,
        race_ethnicity="; ".join(map(_name, race)) if isinstance(race, list) else str(race),
        age_missing_min=doc.get("computedMissingMinAge", doc.get("missingAge")),
        age_missing_max=doc.get("computedMissingMaxAge", doc.get("missingAge")),
        date_last_seen=(doc.get("dateOfLastContact") or None),
        place=place, case_url=NAMUS_CASE_URL.format(id=number),
        extra={"namus_id": number, "images": namus_image_paths(doc)},
    )


def namus_image_paths(doc: Mapping[str, Any]) -> list[str]:
    """Paths (relative to the site) of a NamUs case's public photos, portraits first."""
    number = doc.get("namus2Number") or doc.get("id")
    paths = []
    for image in doc.get("images") or []:
        if image.get("isPublic") is False:
            continue
        href = ((image.get("files") or {}).get("original") or {}).get("href")
        if not href and image.get("identityId") is not None:
            href = (f"/api/CaseSets/NamUs/MissingPersons/Cases/{number}/Images/"
                    f"{image['identityId']}/Original")
        if href:
            paths.append(href)
    return paths


def read_namus_json(path_or_data: str | Path | Any) -> list[MissingPerson]:
    """Records from a NamUs Search response, result rows, or case document(s)."""
    data = path_or_data
    if isinstance(path_or_data, (str, Path)):
        data = json.loads(Path(path_or_data).read_text(encoding="utf-8"))
    if isinstance(data, Mapping) and "results" in data:
        data = data["results"]
    if isinstance(data, Mapping):
        data = [data]
    if not isinstance(data, list):
        raise MissingPersonsError("NamUs JSON must be a Search response, a list, or a case document")
    records = []
    for index, doc in enumerate(data):
        try:
            records.append(namus_record(doc))
        except MissingPersonsError as error:
            raise MissingPersonsError(f"NamUs item #{index + 1}: {error}; nothing was imported"
                                ) from error
    return records


def photo_map_from_folder(folder: str | Path, known_ids: Iterable[str],
                          mapping: Mapping[str, str] | None = None) -> dict[Path, str]:
    """Which photo shows which record: an explicit mapping, else the file name stem."""
    folder = Path(folder)
    ids = set(known_ids)
    by_loose = {re.sub(r"[^0-9a-z]+", "_", i.lower()): i for i in ids}
    found: dict[Path, str] = {}
    for file in sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
        if mapping is not None:
            if file.name in mapping:
                found[file] = mapping[file.name]
            continue
        stem = file.stem
        for candidate in (stem, re.sub(r"_\d+$", "", stem)):
            loose = re.sub(r"[^0-9a-z]+", "_", candidate.lower())
            if candidate in ids or loose in by_loose:
                found[file] = candidate if candidate in ids else by_loose[loose]
                break
    return found


def add_photos(registry: Registry, photos: Mapping[Path, str], embed_photo: EmbedPhoto
               ) -> dict[str, list[str]]:
    """Embed and store photos; returns ``{"added": [...], "no_face": [...]}`` by file."""
    report: dict[str, list[str]] = {"added": [], "no_face": []}
    for file, record_id in photos.items():
        embedding, key = embed_photo(Path(file))
        if embedding is None:
            report["no_face"].append(str(file))
            continue
        sha = hashlib.sha256(Path(file).read_bytes()).hexdigest()
        registry.add_photo(RegistryPhoto(record_id, key, str(Path(file).resolve()), sha), embedding)
        report["added"].append(str(Path(file).resolve()))
    return report


def import_csv(registry: Registry, path: str | Path, mapping: Mapping[str, str] | None = None,
               embed_photo: EmbedPhoto | None = None, source: str | None = None
               ) -> dict[str, Any]:
    """Read a CSV into the registry; photos named in it are embedded when possible."""
    rows = read_csv(path, mapping, source)
    registry.upsert(r for r, _ in rows)
    photos = {p: r.id for r, ps in rows for p in ps}
    missing = [str(p) for p in photos if not p.is_file()]
    report: dict[str, Any] = {"records": len(rows), "photos_missing": missing}
    present = {p: rid for p, rid in photos.items() if p.is_file()}
    if present and embed_photo is not None:
        report.update(add_photos(registry, present, embed_photo))
    elif present:
        report["photos_not_embedded"] = len(present)
    return report
