"""Known-hash lists: import (Project VIC VICS 2.0 JSON, CSV), match, export.

A match is a :class:`~workbench.types.Hit` of kind ``hash`` whose ``source`` is the
list's name: exact MD5 / SHA-1 / SHA-256, or PDQ within Hamming distance 31 when the
evidence's PDQ quality is at least 50 (ThreatExchange's thresholds).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.errors import HashListError
from workbench.ingest.hashing import (
    PDQ_MATCH_DISTANCE,
    PDQ_MIN_QUALITY,
    pdq_distances,
    pdq_hex_to_bytes,
)
from workbench.store import evidence as store_evidence
from workbench.store import hashlists as store_lists
from workbench.types import Condition, Hit, utc_now

if TYPE_CHECKING:
    from workbench.store import Case

ALGOS = ("md5", "sha1", "sha256", "pdq")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "pdq": 64}
VICS_CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/CUSTOM/$metadata#Media"


@dataclass(frozen=True)
class KnownHash:
    algo: str
    value: str
    category: str = ""
    detail: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Rejected:
    """A row (or one value of it) that was not imported, and why.

    ``line`` is the line of a CSV file, or the number of the Media entry (from 1) in a
    VICS JSON file, whose structure has no reliable line per entry.
    """

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class HashListInfo:
    """What an import did.

    Attributes:
        id, name, format: the stored list.
        entries: distinct hash values the list holds.
        rows: data rows (CSV lines, VICS Media entries) read.
        imported: hash values newly stored by this import.
        duplicates: values repeated in the file or already stored in this list.
        rejected: rows or values not imported, with their line (entry) numbers.
    """

    id: str
    name: str
    format: str
    entries: int
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: tuple[Rejected, ...] = ()

    def __str__(self) -> str:
        text = (f"read {self.rows} rows of {self.name!r} ({self.format}): imported "
                f"{self.imported} hashes, {self.duplicates} duplicates, "
                f"{len(self.rejected)} rejected")
        shown = "".join(f"\n  {r}" for r in self.rejected[:20])
        more = len(self.rejected) - 20
        return text + shown + (f"\n  ... and {more} more" if more > 0 else "")


@dataclass
class Parsed:
    """Known hashes of a file, with how many rows were read and what was rejected."""

    entries: list[KnownHash]
    rows: int
    rejected: list[Rejected]


# -- parsing ---------------------------------------------------------------------------

def _clean(algo: str, value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip().lower()
    if algo == "pdq" and len(text) != 64:
        return None
    if not text or not _HEX.match(text) or len(text) != _LENGTHS[algo]:
        return None
    return text


def _why_invalid(algo: str, value: Any) -> str:
    shown = str(value).strip()
    shown = shown if len(shown) <= 70 else shown[:67] + "..."
    return f"{algo} {shown!r} is not {_LENGTHS[algo]} hex digits"


def _row_values(line: int, values: Mapping[str, Any], category: str,
                detail: Mapping[str, Any] | None, parsed: Parsed) -> None:
    """Add one row's valid values; reject the invalid ones, or the row if none is valid."""
    found = 0
    for algo in ALGOS:
        raw = values.get(algo)
        if raw is None or str(raw).strip() == "":
            continue
        value = _clean(algo, raw)
        if value is None:
            parsed.rejected.append(Rejected(line, _why_invalid(algo, raw)))
            continue
        parsed.entries.append(KnownHash(algo, value, category, detail))
        found += 1
    if not found and not any(r.line == line for r in parsed.rejected):
        parsed.rejected.append(Rejected(line, "no MD5, SHA-1, SHA-256 or PDQ value"))


def _media_entries(node: Any) -> Iterator[Mapping[str, Any]]:
    """VICS ``value`` may hold Media entries directly (2.0) or Cases with ``Media`` (1.x)."""
    if isinstance(node, list):
        for child in node:
            yield from _media_entries(child)
    elif isinstance(node, Mapping):
        lowered = {k.lower(): k for k in node}
        # a Media entry has hashes or at least its MediaID (one without hashes is counted
        # and reported as rejected, never dropped silently)
        if any(a in lowered for a in ALGOS) or "mediaid" in lowered:
            yield node
        for key in ("media", "mediafiles"):
            if key in lowered and isinstance(node[lowered[key]], list):
                yield from _media_entries(node[lowered[key]])


def parse_vics(data: bytes) -> list[KnownHash]:
    """Known hashes from a VICS (Project VIC) JSON export."""
    return parse_vics_rows(data).entries


def parse_vics_rows(data: bytes) -> Parsed:
    """Known hashes from a VICS JSON export, with rows read and entries rejected."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise HashListError(f"not a VICS JSON file: {error}") from None
    if not isinstance(document, Mapping) or "value" not in document:
        raise HashListError("a VICS JSON file has a top-level object with a 'value' list; "
                            "this one does not. Export the list from Griffeye/CAID as VICS 2.0.")
    parsed = Parsed([], 0, [])
    for number, media in enumerate(_media_entries(document["value"]), start=1):
        parsed.rows += 1
        lowered = {k.lower(): v for k, v in media.items()}
        category = str(lowered.get("category", "") if lowered.get("category") is not None else "")
        detail = {k: lowered[k] for k in ("mediaid", "mediasize", "isprecategorized")
                  if k in lowered}
        _row_values(number, lowered, category, detail, parsed)
    return parsed


def parse_csv(data: bytes) -> list[KnownHash]:
    """Known hashes from CSV: columns named md5/sha1/sha256/pdq (+ category), or one bare
    column of MD5 or SHA-1 values. A bare 64-digit column is taken as SHA-256: name the
    column ``pdq`` for PDQ values."""
    return parse_csv_rows(data).entries


def parse_csv_rows(data: bytes) -> Parsed:
    """Known hashes from CSV, with rows read and rows (values) rejected by line number."""
    text = data.decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text))
    rows: list[tuple[int, list[str]]] = []
    line = 1
    for row in reader:
        if any(c.strip() for c in row):
            rows.append((line, row))
        line = reader.line_num + 1  # the line the next row starts on
    if not rows:
        raise HashListError("the CSV hash list is empty")
    header = [c.strip().lower() for c in rows[0][1]]
    parsed = Parsed([], 0, [])
    if any(h in ALGOS for h in header):
        columns = {h: i for i, h in enumerate(header)}
        cat_col = columns.get("category")
        for number, row in rows[1:]:
            parsed.rows += 1
            category = row[cat_col].strip() if cat_col is not None and cat_col < len(row) else ""
            values = {a: row[columns[a]] for a in ALGOS if a in columns and columns[a] < len(row)}
            _row_values(number, values, category, None, parsed)
        return parsed
    for number, row in rows:
        parsed.rows += 1
        value = row[0].strip().lower()
        algo = {32: "md5", 40: "sha1", 64: "sha256"}.get(len(value))
        if algo and _clean(algo, value):
            parsed.entries.append(KnownHash(algo, value))
        else:
            shown = value if len(value) <= 70 else value[:67] + "..."
            parsed.rejected.append(Rejected(number, f"{shown!r} is not an MD5, SHA-1 or "
                                                    f"SHA-256 value"))
    if not parsed.entries:
        raise HashListError("no MD5/SHA-1/SHA-256/PDQ values found; give the CSV a header "
                            "row naming the columns md5, sha1, sha256, pdq, category")
    return parsed


# -- storing ---------------------------------------------------------------------------

def import_hash_list(case: Case, path: str | os.PathLike[str], name: str | None = None
                     ) -> HashListInfo:
    """Import a VICS JSON or CSV hash list into the case (idempotent per file content).

    Returns:
        The list, with rows read, hashes imported, duplicates and rejected rows (by line).
    """
    source = Path(path)
    try:
        data = source.read_bytes()
    except OSError as error:
        raise HashListError(f"cannot read hash list {source}: {error}") from None
    head = data.lstrip()[:1]
    fmt = "vics" if source.suffix.lower() == ".json" or head in (b"{", b"[") else "csv"
    parsed = parse_vics_rows(data) if fmt == "vics" else parse_csv_rows(data)
    entries = parsed.entries
    distinct = len({(e.algo, e.value) for e in entries})
    digest = hashlib.sha256(data).hexdigest()
    name = name or source.stem
    list_id = hashlib.sha256(f"{name}\x1f{digest}".encode()).hexdigest()[:32]
    with case.transaction():
        imported = store_lists.add_list(
            case, (list_id, name, fmt, str(source.absolute()), digest, distinct,
                   utc_now().isoformat()),
            [(list_id, e.algo, e.value, e.category, json.dumps(dict(e.detail or {})))
             for e in entries])
        info = HashListInfo(list_id, name, fmt, distinct, rows=parsed.rows, imported=imported,
                            duplicates=len(entries) - imported,
                            rejected=tuple(parsed.rejected))
        case.audit("hashlist.import", target=name, detail={
            "list_id": list_id, "format": fmt, "entries": distinct, "rows": info.rows,
            "imported": imported, "duplicates": info.duplicates,
            "rejected": [[r.line, r.reason] for r in info.rejected[:1000]],
            "sha256": digest, "path": str(source.absolute())})
    return info


# -- matching --------------------------------------------------------------------------

class HashMatcher:
    """All known hashes of a case in memory, ready to match evidence records."""

    def __init__(self, rows: Iterable[Mapping[str, Any]]) -> None:
        self.exact: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
        pdq_values: list[bytes] = []
        self.pdq_meta: list[tuple[str, str, str, str]] = []
        for row in rows:
            meta = (row["list_id"], row["name"], row["category"])
            if row["algo"] == "pdq":
                pdq_values.append(pdq_hex_to_bytes(row["value"]))
                self.pdq_meta.append((*meta, row["value"]))
            else:
                self.exact.setdefault((row["algo"], row["value"]), []).append(meta)
        self.pdq_table = (np.frombuffer(b"".join(pdq_values), dtype=np.uint8).reshape(-1, 32)
                          if pdq_values else np.empty((0, 32), dtype=np.uint8))

    @classmethod
    def from_case(cls, case: Case, list_ids: Iterable[str] | None = None) -> HashMatcher:
        return cls(store_lists.known_hashes(case, list_ids))

    def __len__(self) -> int:
        return len(self.exact) + len(self.pdq_meta)

    def match(self, record: Mapping[str, Any], run_id: str = "") -> list[tuple[Hit, str]]:
        """Hits for one evidence record (one per list that matched), each with its key.

        Every hash that matched the list is a fired condition of that one hit, so an image
        found by MD5 and SHA-1 in the same list is one lead, not two.
        """
        by_list: dict[str, dict[str, Any]] = {}
        evidence_id = record["id"]
        for algo in ("sha256", "md5", "sha1"):
            value = evidence_id if algo == "sha256" else record.get(algo)
            for list_id, name, category in self.exact.get((algo, value or ""), []):
                entry = by_list.setdefault(list_id, {"name": name, "conditions": [],
                                                     "score": 0.0, "categories": set()})
                entry["conditions"].append(Condition(algo, value, True,
                                                     f"exact {algo.upper()} match"))
                entry["score"] = 1.0
                entry["categories"].add(category)
        pdq, quality = record.get("pdq"), record.get("pdq_quality")
        if pdq and quality is not None and quality >= PDQ_MIN_QUALITY and len(self.pdq_table):
            distances = pdq_distances(pdq, self.pdq_table)
            for index in np.flatnonzero(distances <= PDQ_MATCH_DISTANCE):
                list_id, name, category, value = self.pdq_meta[int(index)]
                distance = int(distances[index])
                entry = by_list.setdefault(list_id, {"name": name, "conditions": [],
                                                     "score": 0.0, "categories": set()})
                if any(c.name == "pdq_distance" and c.value <= distance
                       for c in entry["conditions"]):
                    continue  # keep the closest PDQ entry of a list only
                entry["conditions"] = [c for c in entry["conditions"]
                                       if c.name not in ("pdq_distance", "pdq_quality")]
                entry["conditions"] += [
                    Condition("pdq_distance", distance, True,
                              f"Hamming distance {distance} <= {PDQ_MATCH_DISTANCE}; "
                              f"list value {value}"),
                    Condition("pdq_quality", int(quality), True,
                              f"quality {quality} >= {PDQ_MIN_QUALITY}"),
                ]
                entry["score"] = max(entry["score"], round(1.0 - distance / 64.0, 4))
                entry["categories"].add(category)
        found = []
        for list_id, entry in by_list.items():
            categories = ", ".join(sorted(c for c in entry["categories"] if c))
            conditions = (*entry["conditions"],
                          Condition("category", categories, bool(categories), "list category"))
            found.append((Hit(evidence_id, "hash", entry["name"], entry["score"], conditions,
                              run_id, version=list_id), list_id))
        return found


def match_case(case: Case, list_ids: Iterable[str] | None = None) -> list[Hit]:
    """Match every item already in the case against known hashes (e.g. a new list).

    Records a ``hashlist-match`` Run and saves the hits; returns the hits found.
    """
    from workbench.types import Run

    ids = list(list_ids) if list_ids is not None else None
    matcher = HashMatcher.from_case(case, ids)
    run = Run.start("hashlist-match", params={"lists": ids or "all"})
    hits: list[tuple[Hit, str]] = []
    with case.recording(run) as rec:
        for row in store_evidence.hash_rows(case):
            hits.extend(matcher.match(dict(row), run.id))
        with case.transaction():
            added = case.add_hits((h for h, _ in hits), (k for _, k in hits))
        rec.summary.update(hits=len(hits), new_hits=added)
    return [h for h, _ in hits]


# -- export ----------------------------------------------------------------------------

def export_vics(case: Case, out: str | os.PathLike[str]) -> int:
    """Write the case's media as VICS 2.0 JSON (one Media entry per distinct file).

    Video frames are left out (they are derived, not seized). Returns the entry count.
    """
    rows = store_evidence.seized_media(case)
    media = []
    for number, row in enumerate(rows, start=1):
        paths = json.loads(row["paths"])
        media.append({
            "MediaID": number,
            "Category": 0,            # uncategorised: categories are a human decision
            "MD5": (row["md5"] or "").upper(),
            "SHA1": (row["sha1"] or "").upper(),
            "SHA256": row["id"].upper(),
            "PDQ": row["pdq"],
            "MediaSize": row["bytes"],
            "IsPrecategorized": False,
            "DateUpdated": row["added_at"],
            "MediaFiles": [{"FileName": Path(p.split("!/")[-1]).name, "FilePath": p}
                           for p in paths],
        })
    document = {"@odata.context": VICS_CONTEXT, "value": media}
    Path(out).write_text(json.dumps(document, indent=1), encoding="utf-8")
    case.audit("hashlist.export", target=str(out), detail={"entries": len(media),
                                                           "format": "vics-2.0"})
    return len(media)
