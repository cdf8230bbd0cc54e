"""Registry storage: one interface, a backend class per store.

* :class:`SQLiteRegistry` - the default: a folder with ``registry.db`` (SQLite, WAL);
  embeddings live in the database as float32 blobs and are searched through
  :class:`~workbench.missing.index.VectorIndex` (exact, or FAISS HNSW when large).
* :class:`~workbench.missing.pgstore.PgRegistry` - PostgreSQL with pgvector, for a
  registry several analysts share.

:func:`workbench.missing.backends.open_registry` picks the backend from the location: a
``postgresql://`` URL opens PostgreSQL, anything else is a folder. With no location it
uses the environment variable ``WORKBENCH_REGISTRY`` and then ``~/.workbench/registry``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from workbench.missing.index import IndexSettings, VectorIndex
from workbench.missing.records import MissingPerson, MissingPersonsError, RegistryPhoto
from workbench.types import utc_now

DB_NAME = "registry.db"

RECORD_COLUMNS = (
    "id", "source", "name", "sex", "sex_raw", "race_ethnicity", "date_of_birth",
    "age_missing_min", "age_missing_max", "date_last_seen", "place", "lat", "lon",
    "case_url", "extra",
)


@dataclass(frozen=True)
class PhotoMatch:
    """One registry photo found near a query face."""

    record_id: str
    photo_id: int
    similarity: float


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def record_row(record: MissingPerson) -> tuple[Any, ...]:
    """A record as a tuple in ``RECORD_COLUMNS`` order (dates ISO, extra as JSON)."""
    d = record.as_dict()
    d["extra"] = _json(d["extra"])
    return tuple(d[c] for c in RECORD_COLUMNS)


def row_record(row: Mapping[str, Any]) -> MissingPerson:
    """Inverse of :func:`record_row`."""
    values = {c: row[c] for c in RECORD_COLUMNS}
    extra = values["extra"]
    values["extra"] = json.loads(extra) if isinstance(extra, str) else dict(extra or {})
    for key in ("date_of_birth", "date_last_seen"):
        if values[key] is not None and not isinstance(values[key], str):
            values[key] = values[key].isoformat()
    return MissingPerson(**values)


def best_per_record(labels: np.ndarray, sims: np.ndarray, photo_records: Mapping[int, str],
                    k: int) -> list[PhotoMatch]:
    """Keep each record's most similar photo, best first, at most ``k`` records."""
    seen: dict[str, PhotoMatch] = {}
    for photo_id, sim in zip(labels.tolist(), sims.tolist(), strict=True):
        record_id = photo_records[int(photo_id)]
        if record_id not in seen:
            seen[record_id] = PhotoMatch(record_id, int(photo_id), float(sim))
        if len(seen) >= k:
            break
    return list(seen.values())


class Registry(ABC):
    """What every registry store offers. Records are upserted by id."""

    location: str

    @abstractmethod
    def upsert(self, records: Iterable[MissingPerson]) -> int:
        """Insert or replace records; returns how many were written."""

    @abstractmethod
    def records(self, ids: Sequence[str] | None = None) -> list[MissingPerson]:
        """All records (or those with the given ids), in id order."""

    @abstractmethod
    def count(self) -> int:
        """Number of records."""

    @abstractmethod
    def add_photo(self, photo: RegistryPhoto, embedding: np.ndarray) -> int:
        """Store a photo's embedding; a photo with the same sha256 for the record is kept once."""

    @abstractmethod
    def photos(self, record_id: str | None = None) -> list[dict[str, Any]]:
        """Photo rows (id, record_id, embedding_key, location, sha256, photo_date)."""

    @abstractmethod
    def photo_embeddings(self, record_id: str, embedding_key: str) -> np.ndarray:
        """The ``(n, d)`` embeddings of one record's photos with this key."""

    @abstractmethod
    def embedding_keys(self) -> list[str]:
        """The embedding keys present among the photos."""

    @abstractmethod
    def search(self, queries: np.ndarray, embedding_key: str, k: int = 10,
               record_ids: Sequence[str] | None = None) -> list[list[PhotoMatch]]:
        """For each query, the ``k`` most similar records (best photo each).

        Only photos embedded with ``embedding_key`` are compared. ``record_ids`` restricts
        the search to those records (the ones that passed the filters).
        """

    @abstractmethod
    def claim_alert(self, key: str, detail: Mapping[str, Any]) -> bool:
        """Record that an alert with this key is being sent; False if it already was."""

    @abstractmethod
    def finish_alert(self, key: str, status: str, channels: Mapping[str, Any]) -> None:
        """Record how sending the alert went."""

    @abstractmethod
    def alerts(self) -> list[dict[str, Any]]:
        """Every alert claimed, oldest first."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""

    def get(self, record_id: str) -> MissingPerson:
        """One record by id."""
        found = self.records([record_id])
        if not found:
            raise MissingPersonsError(f"no record {record_id!r} in registry {self.location}")
        return found[0]

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY, source TEXT NOT NULL, name TEXT, sex TEXT, sex_raw TEXT,
    race_ethnicity TEXT, date_of_birth TEXT, age_missing_min REAL, age_missing_max REAL,
    date_last_seen TEXT, place TEXT, lat REAL, lon REAL, case_url TEXT,
    extra TEXT NOT NULL DEFAULT '{}', updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS photos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id TEXT NOT NULL REFERENCES records(id) ON DELETE CASCADE,
    embedding_key TEXT NOT NULL, location TEXT, sha256 TEXT, photo_date TEXT,
    dim INTEGER NOT NULL, embedding BLOB NOT NULL, added_at TEXT NOT NULL,
    UNIQUE (record_id, embedding_key, sha256)
);
CREATE INDEX IF NOT EXISTS photos_key ON photos(embedding_key);
CREATE TABLE IF NOT EXISTS alerts (
    key TEXT PRIMARY KEY, record_id TEXT NOT NULL, detail TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'sending', channels TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL, finished_at TEXT
);
"""


class SQLiteRegistry(Registry):
    """The default local registry: ``<folder>/registry.db``."""

    def __init__(self, folder: Path, index_settings: IndexSettings | None = None) -> None:
        if folder.exists() and not folder.is_dir():
            raise MissingPersonsError(f"{folder} is not a folder; give a registry folder path")
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder.resolve()
        self.location = str(self.folder)
        self.index_settings = index_settings or IndexSettings()
        self._conn = sqlite3.connect(self.folder / DB_NAME, timeout=60, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.executescript(_SCHEMA)
        self._indexes: dict[str, tuple[VectorIndex, dict[int, str], np.ndarray]] = {}

    def close(self) -> None:
        self._conn.close()

    def upsert(self, records: Iterable[MissingPerson]) -> int:
        rows = [(*record_row(r), utc_now().isoformat()) for r in records]
        marks = ", ".join("?" * (len(RECORD_COLUMNS) + 1))
        updates = ", ".join(f"{c}=excluded.{c}" for c in (*RECORD_COLUMNS[1:], "updated_at"))
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            # ON CONFLICT DO UPDATE (not REPLACE) keeps the record's photos attached.
            self._conn.executemany(
                f"INSERT INTO records ({', '.join(RECORD_COLUMNS)}, updated_at) VALUES ({marks})"
                f" ON CONFLICT(id) DO UPDATE SET {updates}", rows)
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")
        return len(rows)

    def records(self, ids: Sequence[str] | None = None) -> list[MissingPerson]:
        if ids is None:
            rows = self._conn.execute("SELECT * FROM records ORDER BY id").fetchall()
        else:
            ids = list(ids)
            rows = []
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                rows += self._conn.execute(
                    f"SELECT * FROM records WHERE id IN ({', '.join('?' * len(chunk))})", chunk
                ).fetchall()
            rows.sort(key=lambda r: r["id"])
        return [row_record(r) for r in rows]

    def count(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM records").fetchone()[0])

    def add_photo(self, photo: RegistryPhoto, embedding: np.ndarray) -> int:
        vector = np.asarray(embedding, dtype=np.float32).reshape(-1)
        if not photo.embedding_key:
            raise MissingPersonsError("a registry photo needs the embedding_key of its embedding")
        cursor = self._conn.execute(
            "INSERT OR IGNORE INTO photos (record_id, embedding_key, location, sha256, photo_date,"
            " dim, embedding, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (photo.record_id, photo.embedding_key, photo.location, photo.sha256 or None,
             photo.photo_date.isoformat() if photo.photo_date else None, len(vector),
             vector.tobytes(), utc_now().isoformat()),
        )
        self._indexes.pop(photo.embedding_key, None)
        if cursor.rowcount == 1:
            return int(cursor.lastrowid)
        row = self._conn.execute(
            "SELECT id FROM photos WHERE record_id=? AND embedding_key=? AND sha256=?",
            (photo.record_id, photo.embedding_key, photo.sha256 or None)).fetchone()
        return int(row[0])

    def photos(self, record_id: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT id, record_id, embedding_key, location, sha256, photo_date FROM photos"
        rows = (self._conn.execute(sql + " WHERE record_id=? ORDER BY id", (record_id,))
                if record_id else self._conn.execute(sql + " ORDER BY id"))
        return [dict(r) for r in rows.fetchall()]

    def photo_embeddings(self, record_id: str, embedding_key: str) -> np.ndarray:
        rows = self._conn.execute(
            "SELECT dim, embedding FROM photos WHERE record_id=? AND embedding_key=? ORDER BY id",
            (record_id, embedding_key)).fetchall()
        if not rows:
            return np.zeros((0, 0), np.float32)
        return np.stack([np.frombuffer(r["embedding"], dtype=np.float32) for r in rows])

    def embedding_keys(self) -> list[str]:
        return [r[0] for r in self._conn.execute(
            "SELECT DISTINCT embedding_key FROM photos ORDER BY 1").fetchall()]

    def _index(self, key: str) -> tuple[VectorIndex, dict[int, str], _Owners]:
        if key not in self._indexes:
            rows = self._conn.execute(
                "SELECT id, record_id, dim, embedding FROM photos WHERE embedding_key=? "
                "ORDER BY id", (key,)).fetchall()
            dims = {r["dim"] for r in rows}
            if len(dims) > 1:
                raise MissingPersonsError(f"photos with key {key!r} have mixed dimensions {dims}")
            dim = dims.pop() if dims else 0
            matrix = (np.frombuffer(b"".join(r["embedding"] for r in rows), dtype=np.float32)
                      .reshape(len(rows), dim) if rows else np.zeros((0, 0), np.float32))
            labels = np.array([r["id"] for r in rows], dtype=np.int64)
            owners = np.array([r["record_id"] for r in rows], dtype=object)
            digest = hashlib.sha256(key.encode()).hexdigest()[:16]
            stamp = f"{key}|max_id={labels.max() if len(labels) else 0}"
            index = VectorIndex(matrix, labels, self.index_settings,
                                cache_path=self.folder / "index" / f"{digest}.faiss", stamp=stamp)
            self._indexes[key] = (index, dict(zip(labels.tolist(), owners, strict=True)),
                                  _Owners.of(owners))
        return self._indexes[key]

    def search(self, queries: np.ndarray, embedding_key: str, k: int = 10,
               record_ids: Sequence[str] | None = None) -> list[list[PhotoMatch]]:
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        index, photo_records, owners = self._index(embedding_key)
        rows = None if record_ids is None else owners.rows_of(record_ids)
        # Ask for more photos than records: a record with several photos fills several slots.
        labels, sims = index.search(queries, k=k * 4, rows=rows)
        return [best_per_record(labels[i], sims[i], photo_records, k) for i in range(len(queries))]

    def claim_alert(self, key: str, detail: Mapping[str, Any]) -> bool:
        # A failed alert may be claimed again (the next run retries it); any other is final.
        cursor = self._conn.execute(
            "INSERT INTO alerts (key, record_id, detail, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET status='sending', detail=excluded.detail "
            "WHERE alerts.status='failed'",
            (key, str(detail.get("record_id", "")), _json(detail), utc_now().isoformat()))
        return cursor.rowcount == 1

    def finish_alert(self, key: str, status: str, channels: Mapping[str, Any]) -> None:
        self._conn.execute("UPDATE alerts SET status=?, channels=?, finished_at=? WHERE key=?",
                           (status, _json(channels), utc_now().isoformat(), key))

    def alerts(self) -> list[dict[str, Any]]:
        rows = self._conn.execute("SELECT * FROM alerts ORDER BY created_at, key").fetchall()
        out = []
        for r in rows:
            d = dict(r)
            d["detail"], d["channels"] = json.loads(d["detail"]), json.loads(d["channels"])
            out.append(d)
        return out


@dataclass(frozen=True)
class _Owners:
    """Which record owns each indexed photo, as integer codes.

    A search limited to some records (age window, sex) needs a photo mask for every face;
    comparing the record-id strings of every photo (``np.isin`` on objects) took ~20 ms a
    face at 2,000 records and grew with the registry, 30x the vector search itself.
    """

    codes: np.ndarray          # per photo: index into ``record_code``'s order
    record_code: dict[str, int]

    @classmethod
    def of(cls, owners: np.ndarray) -> _Owners:
        names, codes = np.unique(owners.astype(str), return_inverse=True)
        return cls(codes.astype(np.int64), {name: i for i, name in enumerate(names.tolist())})

    def rows_of(self, record_ids: Sequence[str]) -> np.ndarray:
        """Boolean mask of the photos owned by any of ``record_ids``."""
        wanted = np.zeros(len(self.record_code), dtype=bool)
        known = [self.record_code[r] for r in record_ids if r in self.record_code]
        wanted[known] = True
        return wanted[self.codes]
