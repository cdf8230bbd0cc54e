"""The shared registry: PostgreSQL with the pgvector extension, same interface as SQLite.

Several analysts point ``WORKBENCH_REGISTRY`` (or ``--registry``) at one
``postgresql://`` URL. Photo embeddings are ``vector`` columns compared with pgvector's
negative inner product ``<#>`` (cosine similarity of unit vectors). Below
``exact_limit`` photos of a key the search is an exact scan; past it an HNSW index on
that key's photos is built (``vector_ip_ops``) and the planner uses it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from workbench.missing.index import EXACT_LIMIT, HNSW_EF_SEARCH
from workbench.missing.records import MissingPerson, MissingPersonsError, RegistryPhoto
from workbench.missing.store import (
    RECORD_COLUMNS,
    PhotoMatch,
    Registry,
    best_per_record,
    record_row,
    row_record,
)
from workbench.types import utc_now

_SCHEMA = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS wb_records (
    id TEXT PRIMARY KEY, source TEXT NOT NULL, name TEXT, sex TEXT, sex_raw TEXT,
    race_ethnicity TEXT, date_of_birth TEXT, age_missing_min DOUBLE PRECISION,
    age_missing_max DOUBLE PRECISION, date_last_seen TEXT, place TEXT,
    lat DOUBLE PRECISION, lon DOUBLE PRECISION, case_url TEXT,
    extra JSONB NOT NULL DEFAULT '{}', updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS wb_photos (
    id BIGSERIAL PRIMARY KEY,
    record_id TEXT NOT NULL REFERENCES wb_records(id) ON DELETE CASCADE,
    embedding_key TEXT NOT NULL, location TEXT, sha256 TEXT, photo_date TEXT,
    dim INTEGER NOT NULL, embedding vector NOT NULL, added_at TEXT NOT NULL,
    UNIQUE (record_id, embedding_key, sha256)
);
CREATE INDEX IF NOT EXISTS wb_photos_key ON wb_photos(embedding_key);
CREATE TABLE IF NOT EXISTS wb_alerts (
    key TEXT PRIMARY KEY, record_id TEXT NOT NULL, detail JSONB NOT NULL,
    status TEXT NOT NULL DEFAULT 'sending', channels JSONB NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL, finished_at TEXT
);
"""


def _vec(x: np.ndarray) -> str:
    return "[" + ",".join(f"{v:.7g}" for v in np.asarray(x, dtype=np.float32).reshape(-1)) + "]"


class PgRegistry(Registry):
    """A registry in PostgreSQL + pgvector (tables prefixed ``wb_``)."""

    def __init__(self, dsn: str, exact_limit: int = EXACT_LIMIT,
                 ef_search: int = HNSW_EF_SEARCH) -> None:
        try:
            import psycopg
        except ImportError as error:
            raise MissingPersonsError("a PostgreSQL registry needs psycopg: "
                                "pip install 'psycopg[binary]'") from error
        from psycopg.rows import dict_row

        self.location = dsn.split("@")[-1] if "@" in dsn else dsn  # never echo a password
        self.exact_limit = exact_limit
        self._indexed: set[tuple[str, int]] = set()
        try:
            self._conn = psycopg.connect(dsn, autocommit=True, row_factory=dict_row)
        except psycopg.OperationalError as error:
            raise MissingPersonsError(f"cannot connect to the registry database: {error}") from error
        try:
            self._conn.execute(_SCHEMA)
        except psycopg.errors.FeatureNotSupported as error:
            raise MissingPersonsError("the database lacks the pgvector extension; ask the "
                                "database administrator to install `vector`") from error
        # pgvector's default ef_search (40) loses recall; a filtered search (the records
        # passing sex/age) must keep scanning until it has k rows (pgvector >= 0.8).
        self._conn.execute(f"SET hnsw.ef_search = {int(ef_search)}")
        try:
            self._conn.execute("SET hnsw.iterative_scan = relaxed_order")
        except psycopg.errors.Error:
            pass  # older pgvector: filtered searches may return fewer than k rows

    def close(self) -> None:
        self._conn.close()

    def upsert(self, records: Iterable[MissingPerson]) -> int:
        rows = [(*record_row(r), utc_now().isoformat()) for r in records]
        cols = ", ".join((*RECORD_COLUMNS, "updated_at"))
        marks = ", ".join(["%s"] * (len(RECORD_COLUMNS) + 1))
        updates = ", ".join(f"{c}=EXCLUDED.{c}" for c in (*RECORD_COLUMNS[1:], "updated_at"))
        with self._conn.transaction(), self._conn.cursor() as cur:
            cur.executemany(f"INSERT INTO wb_records ({cols}) VALUES ({marks}) "
                            f"ON CONFLICT (id) DO UPDATE SET {updates}", rows)
        return len(rows)

    def records(self, ids: Sequence[str] | None = None) -> list[MissingPerson]:
        if ids is None:
            rows = self._conn.execute("SELECT * FROM wb_records ORDER BY id").fetchall()
        else:
            rows = self._conn.execute("SELECT * FROM wb_records WHERE id = ANY(%s) ORDER BY id",
                                      (list(ids),)).fetchall()
        return [row_record(r) for r in rows]

    def count(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) AS n FROM wb_records").fetchone()["n"])

    def add_photo(self, photo: RegistryPhoto, embedding: np.ndarray) -> int:
        if not photo.embedding_key:
            raise MissingPersonsError("a registry photo needs the embedding_key of its embedding")
        vector = np.asarray(embedding, dtype=np.float32).reshape(-1)
        row = self._conn.execute(
            "INSERT INTO wb_photos (record_id, embedding_key, location, sha256, photo_date, dim,"
            " embedding, added_at) VALUES (%s, %s, %s, %s, %s, %s, %s::vector, %s) "
            "ON CONFLICT (record_id, embedding_key, sha256) DO NOTHING RETURNING id",
            (photo.record_id, photo.embedding_key, photo.location, photo.sha256 or None,
             photo.photo_date.isoformat() if photo.photo_date else None, len(vector),
             _vec(vector), utc_now().isoformat())).fetchone()
        if row is None:
            row = self._conn.execute(
                "SELECT id FROM wb_photos WHERE record_id=%s AND embedding_key=%s AND sha256=%s",
                (photo.record_id, photo.embedding_key, photo.sha256 or None)).fetchone()
        return int(row["id"])

    def _index_name(self, key: str) -> str:
        import hashlib

        return "wb_photos_hnsw_" + hashlib.sha256(key.encode()).hexdigest()[:12]

    def _ensure_ann_index(self, key: str, dim: int) -> None:
        """Build the key's HNSW index once it holds more photos than ``exact_limit``.

        Checked before a search rather than on every insert, so a bulk import stays linear.
        """
        if (key, dim) in self._indexed:
            return
        n = self._conn.execute("SELECT COUNT(*) AS n FROM wb_photos WHERE embedding_key=%s",
                               (key,)).fetchone()["n"]
        if n <= self.exact_limit:
            return
        name = self._index_name(key)
        literal = key.replace("'", "''")
        self._conn.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON wb_photos USING hnsw "
            f"((embedding::vector({int(dim)})) vector_ip_ops) "
            f"WHERE embedding_key = '{literal}' AND dim = {int(dim)}")
        self._indexed.add((key, dim))

    def photos(self, record_id: str | None = None) -> list[dict[str, Any]]:
        sql = ("SELECT id, record_id, embedding_key, location, sha256, photo_date FROM wb_photos"
               + (" WHERE record_id=%s" if record_id else "") + " ORDER BY id")
        return [dict(r) for r in self._conn.execute(sql, (record_id,) if record_id else ())]

    def photo_embeddings(self, record_id: str, embedding_key: str) -> np.ndarray:
        rows = self._conn.execute(
            "SELECT embedding::text AS e FROM wb_photos WHERE record_id=%s AND embedding_key=%s "
            "ORDER BY id", (record_id, embedding_key)).fetchall()
        if not rows:
            return np.zeros((0, 0), np.float32)
        return np.array([json.loads(r["e"]) for r in rows], dtype=np.float32)

    def embedding_keys(self) -> list[str]:
        return [r["embedding_key"] for r in self._conn.execute(
            "SELECT DISTINCT embedding_key FROM wb_photos ORDER BY 1")]

    def search(self, queries: np.ndarray, embedding_key: str, k: int = 10,
               record_ids: Sequence[str] | None = None) -> list[list[PhotoMatch]]:
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        queries = queries / np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)
        dim = queries.shape[1]
        self._ensure_ann_index(embedding_key, dim)
        where = "embedding_key = %s AND dim = %s"
        params: list[Any] = [embedding_key, dim]
        if record_ids is not None:
            where += " AND record_id = ANY(%s)"
            params.append(list(record_ids))
        out = []
        for q in queries:
            # Stored vectors may be unnormalised: divide by their norm for a true cosine.
            rows = self._conn.execute(
                f"SELECT id, record_id, (embedding::vector({dim}) <#> %s::vector({dim})) AS neg "
                f"FROM wb_photos WHERE {where} ORDER BY embedding::vector({dim}) <#> "
                f"%s::vector({dim}) LIMIT %s",
                (_vec(q), *params, _vec(q), k * 4)).fetchall()
            rows.sort(key=lambda r: r["neg"])  # relaxed_order scans may be slightly unsorted
            labels = np.array([r["id"] for r in rows], dtype=np.int64)
            sims = np.array([-float(r["neg"]) for r in rows], dtype=np.float32)
            owners = {int(r["id"]): r["record_id"] for r in rows}
            out.append(best_per_record(labels, sims, owners, k))
        return out

    def claim_alert(self, key: str, detail: Mapping[str, Any]) -> bool:
        row = self._conn.execute(
            "INSERT INTO wb_alerts (key, record_id, detail, created_at) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (key) DO UPDATE SET status='sending', detail=EXCLUDED.detail "
            "WHERE wb_alerts.status='failed' RETURNING key",
            (key, str(detail.get("record_id", "")), json.dumps(detail, default=str),
             utc_now().isoformat())).fetchone()
        return row is not None

    def finish_alert(self, key: str, status: str, channels: Mapping[str, Any]) -> None:
        self._conn.execute(
            "UPDATE wb_alerts SET status=%s, channels=%s, finished_at=%s WHERE key=%s",
            (status, json.dumps(channels), utc_now().isoformat(), key))

    def alerts(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._conn.execute(
            "SELECT * FROM wb_alerts ORDER BY created_at, key")]
