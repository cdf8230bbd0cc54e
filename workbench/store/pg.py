"""The case store in PostgreSQL: the same store modules, through a connection that speaks
the SQL they are written in.

The store's queries are written once, in SQLite's dialect (``?`` parameters, ``INSERT OR
REPLACE``, ``json_extract``). :class:`PgConnection` offers the part of ``sqlite3.Connection``
the store uses (``execute``, ``executemany``, rows readable by index and by name,
``in_transaction``) over psycopg and rewrites each statement once (cached), so every store
module runs unchanged against either backend. The schema is the SQLite schema after all
migrations, read from a scratch in-memory database and rewritten to PostgreSQL types, so the
two cannot drift apart; face embeddings become a pgvector ``vector`` column (searchable with
``<->``) that the store still reads and writes as float32 bytes.

A case in PostgreSQL lives in its own schema (``search_path``) of the database the URL
names, and keeps its folder for the files it makes (frames, thumbnails): the folder holds
``database.json`` with the URL instead of ``case.db``. Writers take one advisory lock per
case (what SQLite's ``BEGIN IMMEDIATE`` gives), so the audit chain never forks; readers are
never blocked.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import CaseError

# Tables whose float32 BLOB columns are pgvector vectors in PostgreSQL.
VECTOR_COLUMNS = {("faces", "embedding")}
_RESERVED = re.compile(r"(?<![\w.\"])(user)(?![\w\"(])")
_TYPES = {"INTEGER": "BIGINT", "REAL": "DOUBLE PRECISION", "BLOB": "BYTEA", "TEXT": "TEXT"}
# Whole statements with no PostgreSQL counterpart, and what answers the same question.
_STATEMENTS = {
    "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit'":
        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit'::regclass AND NOT tgisinternal",
}
# SQLite functions PostgreSQL lacks for the store's argument types, created in the case's
# schema (first on the search path): ROUND of a double to n places stays a double.
_FUNCTIONS = """
CREATE OR REPLACE FUNCTION round(double precision, integer) RETURNS double precision
    LANGUAGE sql IMMUTABLE AS $$ SELECT round($1::numeric, $2)::double precision $$;
"""
_AUDIT_TRIGGERS = """
CREATE OR REPLACE FUNCTION wb_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.hash IS NOT NULL OR NEW.seq IS DISTINCT FROM OLD.seq
       OR NEW.at IS DISTINCT FROM OLD.at OR NEW.who IS DISTINCT FROM OLD.who
       OR NEW.action IS DISTINCT FROM OLD.action OR NEW.target IS DISTINCT FROM OLD.target
       OR NEW.detail IS DISTINCT FROM OLD.detail THEN
        RAISE EXCEPTION 'the audit log is append-only';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    FOR EACH ROW EXECUTE FUNCTION wb_audit_append_only();
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION wb_audit_append_only();
"""


class Row(tuple):
    """A result row readable like ``sqlite3.Row``: by index, by column name, ``keys()``."""

    _names: tuple[str, ...] = ()

    def __new__(cls, values: Iterable[Any], names: tuple[str, ...]) -> Row:
        row = super().__new__(cls, values)
        row._names = names
        return row

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return super().__getitem__(self._names.index(key))
        return super().__getitem__(key)

    def keys(self) -> list[str]:
        return list(self._names)


class Cursor:
    """What ``execute`` returns: rows as :class:`Row`, ``rowcount``."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor
        self.rowcount = cursor.rowcount

    def _names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self._cursor.description or ())

    def fetchone(self) -> Row | None:
        if self._cursor.description is None:
            return None
        values = self._cursor.fetchone()
        return None if values is None else Row(values, self._names())

    def fetchall(self) -> list[Row]:
        if self._cursor.description is None:
            return []
        names = self._names()
        return [Row(values, names) for values in self._cursor.fetchall()]

    def __iter__(self) -> Iterator[Row]:
        return iter(self.fetchall())

    @property
    def description(self) -> Any:
        return self._cursor.description


class PgConnection:
    """The part of ``sqlite3.Connection`` the case store uses, over one psycopg connection.

    Args:
        url: a ``postgresql://`` URL (a password is best kept in ``~/.pgpass``).
        schema: the case's schema in that database (created if missing).
    """

    def __init__(self, url: str, schema: str) -> None:
        import psycopg

        try:
            self._pg = psycopg.connect(url, autocommit=True)
        except psycopg.OperationalError as error:
            raise CaseError(f"cannot reach the case database at {_safe(url)}: {error}; "
                            "start PostgreSQL or correct the URL in the case's "
                            "database.json") from None
        self.schema = schema
        self._pg.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        self._pg.execute("CREATE EXTENSION IF NOT EXISTS vector")
        self._pg.execute(f'SET search_path TO "{schema}", public')
        _register_vector(self._pg)

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self._pg.info.transaction_status != TransactionStatus.IDLE

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Cursor:
        if sql.strip().upper() == "BEGIN IMMEDIATE":
            # one writer per case at a time, as in SQLite; readers go on
            cursor = self._pg.execute("BEGIN")
            self._pg.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.schema,))
            return Cursor(cursor)
        text, vectors = translate(sql)
        with _as_sqlite_errors():
            # parameters always given (maybe none), so psycopg reads %% as one %
            return Cursor(self._pg.execute(text, _params(params, vectors) if params else ()))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Cursor:
        text, vectors = translate(sql)
        cursor = self._pg.cursor()
        with _as_sqlite_errors():
            cursor.executemany(text, [_params(r, vectors) for r in rows])
        return Cursor(cursor)

    def executescript(self, script: str) -> None:
        self._pg.execute(script)

    def close(self) -> None:
        self._pg.close()

    def frame(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        """A query's rows as a DataFrame (what ``pandas.read_sql_query`` gives for SQLite)."""
        import pandas as pd

        cursor = self.execute(sql, params)
        names = [d.name for d in cursor.description or ()]
        return pd.DataFrame([tuple(r) for r in cursor.fetchall()], columns=names)


@contextlib.contextmanager
def _as_sqlite_errors() -> Iterator[None]:
    """PostgreSQL's errors as the ``sqlite3`` exceptions the store already handles (a
    broken constraint is an ``IntegrityError`` on both backends)."""
    import psycopg

    try:
        yield
    except psycopg.errors.IntegrityError as error:
        raise sqlite3.IntegrityError(str(error).strip()) from error
    except psycopg.Error as error:
        raise sqlite3.OperationalError(str(error).strip()) from error


def _params(params: Sequence[Any] | dict[str, Any], vectors: frozenset[int]) -> Any:
    if isinstance(params, dict) or not vectors:
        return params
    return [_vector_text(v) if i in vectors else v for i, v in enumerate(params)]


def _vector_text(blob: bytes | None) -> str | None:
    if blob is None:
        return None
    return "[" + ",".join(repr(float(x)) for x in np.frombuffer(blob, "<f4")) + "]"


def _register_vector(pg: Any) -> None:
    """Read pgvector values back as little-endian float32 bytes, as SQLite stores them."""
    from psycopg.adapt import Loader
    from psycopg.types import TypeInfo

    info = TypeInfo.fetch(pg, "vector")
    if info is None:
        raise CaseError("the pgvector extension is missing from the case database; install "
                        "it (CREATE EXTENSION vector) or use a server that has it")

    class VectorLoader(Loader):
        def load(self, data: Any) -> bytes:
            text = bytes(data).decode().strip("[]")
            values = np.array(text.split(","), dtype="<f4") if text else np.empty(0, "<f4")
            return values.tobytes()

    pg.adapters.register_loader(info.oid, VectorLoader)


@functools.lru_cache(maxsize=1024)
def translate(sql: str) -> tuple[str, frozenset[int]]:
    """One statement in SQLite's dialect as PostgreSQL runs it, and which parameters are
    vectors (sent as pgvector text). Cached: the store sends the same texts again and again.
    """
    if sql.strip() in _STATEMENTS:
        return _STATEMENTS[sql.strip()], frozenset()
    text = sql.replace("%", "%%")
    vectors = _vector_params(text)
    text = _placeholders(text)
    text = re.sub(r"group_concat\((DISTINCT\s+)?([^()]*)\)",
                  lambda m: f"string_agg({m.group(1) or ''}{m.group(2)}, ',')", text, flags=re.I)
    text = re.sub(r"json_group_array\(([^()]*)\)", r"json_agg(\1)::text", text, flags=re.I)
    text = re.sub(r"json_extract\(([^,()]+),\s*'\$\.(\w+)'\)",
                  r"nullif(jsonb_extract_path((\1)::jsonb, '\2'), 'null'::jsonb)", text)
    text = re.sub(r"json_extract\(([^,()]+),\s*%s\)",
                  lambda m: f"nullif(jsonb_extract_path(({m.group(1)})::jsonb, "
                  """btrim(substr(%s::text, 3), '"')), 'null'::jsonb)""", text)
    match = re.match(r"\s*INSERT\s+OR\s+(IGNORE|REPLACE)\s+INTO\s+(\w+)\s*(\(([^)]*)\))?",
                     text, flags=re.I)
    if match:
        action, table = match.group(1).upper(), match.group(2)
        text = f"INSERT INTO {table} " + text[match.end(2):].lstrip()
        if action == "IGNORE":
            text += " ON CONFLICT DO NOTHING"
        else:
            columns = ([c.strip().strip('"') for c in match.group(4).split(",")]
                       if match.group(4)
                       else SCHEMA.columns[table])
            keys = SCHEMA.keys[table]
            # SQLite's REPLACE deletes the old row: columns not named fall back to default
            updates = ", ".join(
                [f"{c} = EXCLUDED.{c}" for c in columns if c not in keys]
                + [f"{c} = DEFAULT" for c in SCHEMA.columns[table]
                   if c not in keys and c not in columns])
            updates = _RESERVED.sub(r'"\1"', updates)
            text += (f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}" if updates
                     else f" ON CONFLICT ({', '.join(keys)}) DO NOTHING")
    return text, vectors


def _vector_params(sql: str) -> frozenset[int]:
    """Positions of the parameters an INSERT sends into vector columns."""
    match = re.match(r"\s*INSERT\s+(?:OR\s+\w+\s+)?INTO\s+(\w+)\s*\(([^)]*)\)", sql, re.I)
    if not match:
        return frozenset()
    table = match.group(1)
    columns = [c.strip() for c in match.group(2).split(",")]
    return frozenset(i for i, c in enumerate(columns) if (table, c) in VECTOR_COLUMNS)


def _placeholders(sql: str) -> str:
    """Outside quoted text: ``?`` to ``%s`` (``%s::vector`` for a vector column), and column
    names PostgreSQL reserves quoted (``user`` would otherwise mean ``current_user``)."""
    vectors = _vector_params(sql)
    out, index = [], 0
    for number, part in enumerate(re.split(r"('(?:[^']|'')*')", sql)):
        if number % 2:  # a quoted literal, kept as it is
            out.append(part)
            continue
        part = _RESERVED.sub(r'"\1"', part)
        pieces = part.split("?")
        for piece in pieces[:-1]:
            out.append(piece + ("%s::vector" if index in vectors else "%s"))
            index += 1
        out.append(pieces[-1])
    return "".join(out)


class _Schema:
    """The SQLite schema after every migration, as PostgreSQL DDL plus each table's
    columns and key (what ``INSERT OR REPLACE`` needs). Built once, on first use."""

    @functools.cached_property
    def _tables(self) -> dict[str, tuple[list[str], list[str], str]]:
        from workbench.store.schema import migrate

        scratch = sqlite3.connect(":memory:", isolation_level=None)
        migrate(scratch, "1970-01-01T00:00:00+00:00")
        out = {}
        for (name,) in scratch.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name != 'sqlite_sequence'"):
            info = scratch.execute(f"PRAGMA table_info({name})").fetchall()
            columns = [r[1] for r in info]
            keys = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]
            sql = scratch.execute("SELECT sql FROM sqlite_master WHERE name=?", (name,)
                                  ).fetchone()[0]
            out[name] = (columns, keys, _table_ddl(name, sql))
        self.indexes = [r[0] for r in scratch.execute(
            "SELECT sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL")]
        self._version = scratch.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0]
        self.migrations = scratch.execute(
            "SELECT version, applied_at FROM schema_migrations ORDER BY version").fetchall()
        scratch.close()
        return out

    @property
    def version(self) -> int:
        return self._tables and self._version

    @property
    def columns(self) -> dict[str, list[str]]:
        return {name: cols for name, (cols, _, _) in self._tables.items()}

    @property
    def keys(self) -> dict[str, list[str]]:
        return {name: keys for name, (_, keys, _) in self._tables.items()}

    def ddl(self) -> str:
        tables = "\n".join(ddl for _, _, ddl in self._tables.values())
        return "\n".join([tables, *(f"{i};" for i in self.indexes), _FUNCTIONS,
                          _AUDIT_TRIGGERS])


def _table_ddl(name: str, sql: str) -> str:
    sql = _RESERVED.sub(r'"\1"', re.sub(r"--[^\n]*", "", sql))
    sql = re.sub(r"INTEGER\s+PRIMARY\s+KEY\s+AUTOINCREMENT",
                 "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", sql, flags=re.I)
    for column in (c for t, c in VECTOR_COLUMNS if t == name):
        sql = re.sub(rf"\b{column}\s+BLOB\b", f"{column} vector", sql)
    sql = re.sub(r"\b(INTEGER|REAL|BLOB)\b",
                 lambda m: _TYPES[m.group(1).upper()], sql, flags=re.I)
    return sql.strip() + ";"


SCHEMA = _Schema()


def create_schema(conn: PgConnection, now: str) -> None:
    """Create the case tables in an empty schema (the current SQLite schema, translated), or
    bring an older case's tables up to this workbench's schema (:func:`migrate`)."""
    if _has_tables(conn):
        migrate(conn, now)
        return
    conn.execute("BEGIN IMMEDIATE")
    if _has_tables(conn):  # another process created it while this one waited for the lock
        conn.execute("ROLLBACK")
        migrate(conn, now)
        return
    try:
        conn.executescript(SCHEMA.ddl())
        conn.executemany("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                         [(version, now) for version, _ in SCHEMA.migrations])
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _has_tables(conn: PgConnection) -> bool:
    return conn.execute(
        "SELECT 1 FROM information_schema.tables WHERE table_schema=? AND table_name=?",
        (conn.schema, "schema_migrations")).fetchone() is not None


def migrate(conn: PgConnection, now: str, target: int | None = None) -> int:
    """Apply the migrations a case in PostgreSQL lacks, as SQLite cases get them on open.

    Exactly the missing steps of ``schema.MIGRATIONS`` run, in order: an SQL step through
    :func:`migration_sql` (the same translation as the schema of a new case), a Python step
    on this connection (its ``?`` statements translated as the store's are). All of them and
    their ``schema_migrations`` rows go in one transaction under the case's write lock, so
    a failure leaves the case at its old version and two analysts opening it at once
    migrate it once. The audit triggers are installed again after the steps (SQLite's
    trigger bodies have no PostgreSQL form; the current ones hold for the current schema).

    Args:
        conn: the case's connection.
        now: the time recorded for the applied steps.
        target: stop after this version (tests build older cases with it); default all.

    Returns:
        The case's schema version afterwards.

    Raises:
        CaseError: the case's schema is newer than this workbench's.
    """
    from workbench.store.schema import MIGRATIONS

    target = len(MIGRATIONS) if target is None else target
    version = _version(conn, newest=len(MIGRATIONS))
    if version >= target:  # the usual open: no write lock taken
        return version
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
                     "(version BIGINT PRIMARY KEY, applied_at TEXT)")
        # again under the lock: another analyst may have migrated it meanwhile
        version = _version(conn, newest=len(MIGRATIONS))
        if version < target:
            if version == 0:
                conn.executescript(_FUNCTIONS)
            for number, step in enumerate(MIGRATIONS[version:target], start=version + 1):
                if callable(step):
                    step(conn)  # type: ignore[arg-type]  # speaks sqlite3's interface
                else:
                    conn.executescript(migration_sql(step))
                conn.execute("INSERT INTO schema_migrations (version, applied_at) "
                             "VALUES (?, ?)", (number, now))
            conn.executescript("DROP TRIGGER IF EXISTS audit_no_update ON audit;\n"
                               "DROP TRIGGER IF EXISTS audit_no_delete ON audit;\n"
                               + _AUDIT_TRIGGERS)
            version = target
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return version


def _version(conn: PgConnection, newest: int | None = None) -> int:
    """The case's schema version (0 before any table); above ``newest`` is refused."""
    version = int(conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0]
                  or 0) if _has_tables(conn) else 0
    if newest is not None and version > newest:
        raise CaseError(f"the case database uses schema {version}, newer than this "
                        f"workbench ({newest}); upgrade the workbench to open it")
    return version


def migration_sql(script: str) -> str:
    """One SQLite migration script as PostgreSQL DDL: tables, columns and indexes through
    the same rewriting as a new case's schema; trigger statements dropped (see
    :func:`migrate`)."""
    script = re.sub(r"--[^\n]*", "", script)
    script = re.sub(r"CREATE\s+TRIGGER\b.*?\bEND\s*;", "", script, flags=re.I | re.S)
    script = re.sub(r"DROP\s+TRIGGER\s+\w+\s*;", "", script, flags=re.I)
    out = []
    for statement in (s.strip() for s in script.split(";")):
        table = re.match(r"(?:CREATE\s+TABLE|ALTER\s+TABLE)\s+(\w+)", statement, re.I)
        if table:
            out.append(_table_ddl(table.group(1), statement))
        elif statement:
            out.append(statement + ";")
    return "\n".join(out)


def schema_name(folder: Path) -> str:
    """The schema a new case gets: its folder's name, made safe, and a hash of its path."""
    slug = re.sub(r"[^a-z0-9]+", "_", folder.name.lower()).strip("_")[:40] or "case"
    return f"wb_{slug}_{hashlib.sha256(str(folder).encode()).hexdigest()[:8]}"


def write_pointer(path: Path, url: str, schema: str) -> None:
    """``database.json`` of a PostgreSQL case (owner-only: the URL may hold a password)."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "w") as out:
        json.dump({"format": "workbench-case-db/1", "url": url, "schema": schema}, out,
                  indent=2)


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(//[^:/@]+):[^@]*@", r"\1:***@", url)
