"""Move a SQLite case into PostgreSQL (``workbench case move-db CASE --to postgresql://...``).

Every table's rows are copied from ``case.db`` into a new schema of the database, in one
PostgreSQL transaction, while the SQLite case is held by its write lock (nobody changes it
meanwhile). The copy is checked (row counts per table, the audit chain and its head) and a
``case.move-db`` audit entry is chained after the copied log; the folder then gets
``database.json`` (still under the lock, so a later open finds PostgreSQL) and ``case.db`` is
renamed ``case.db.moved-<timestamp>``, kept as it was (never deleted: it is the case's record
up to the move). In the same SQLite transaction every table of ``case.db`` gets triggers
that refuse writes: a session that had the case open before the move still holds that file,
and its writes are refused with a clear error instead of landing in the kept record, where no
one would see them. Any failure leaves the folder a SQLite case, unchanged (the triggers
removed), and removes what was written in PostgreSQL.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import CaseError
from workbench.store import pg
from workbench.store.case import DB_NAME, DB_POINTER, MOVED_AWAY, Case, _now

# name prefix of the triggers that seal a moved case.db
SEAL = "workbench_moved_"


@dataclass(frozen=True)
class Moved:
    """What :func:`move_to_postgresql` did."""

    schema: str
    rows: dict[str, int]
    kept_as: Path


def move_to_postgresql(folder: str | os.PathLike[str], url: str) -> Moved:
    """Move the SQLite case in ``folder`` into PostgreSQL at ``url`` (its own schema).

    Args:
        folder: a SQLite case folder (migrated to this workbench's schema first).
        url: a ``postgresql://`` URL of a database with pgvector.

    Returns:
        The schema it now lives in, the rows copied per table, and where ``case.db`` went.

    Raises:
        CaseError: not a SQLite case, the target schema already holds a case, or the copy
            failed (the folder is then unchanged).
        PermissionDenied: the case has users and the acting one is not an admin.
    """
    from workbench.auth.identity import PermissionDenied

    case = Case.open(folder)
    try:
        if case.backend != "sqlite":
            raise CaseError(f"{case.path} is already kept in PostgreSQL; nothing to move")
        actor = case.actor()
        if actor.how != "open case" and not actor.has("admin"):
            raise PermissionDenied(f"moving a case's database needs the admin role; "
                                   f"{actor.name} has {list(actor.roles) or 'none'}")
        lite = case.db
        # SQLite's write lock from the copy until the folder names PostgreSQL and the file
        # is sealed: what is copied is what stays behind, an open after the switch finds
        # the new database, and a session already holding the file can no longer write
        lite.execute("BEGIN IMMEDIATE")
        try:
            schema, rows = _copy(case, url)
        except BaseException:
            lite.execute("ROLLBACK")
            raise
        try:
            pg.write_pointer(case.path / DB_POINTER, url, schema)
            _seal(lite)
        except BaseException:
            lite.execute("ROLLBACK")
            _undo(case.path, url, schema)
            raise
        lite.execute("COMMIT")
        try:
            lite.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # case.db alone holds every row
        except BaseException:
            _undo(case.path, url, schema)
            raise
    finally:
        case.close()
    try:
        kept = _keep_sqlite(case.path)
    except BaseException:
        _undo(case.path, url, schema)
        raise
    return Moved(schema, rows, kept)


def _copy(case: Case, url: str) -> tuple[str, dict[str, int]]:
    """Copy and verify, in one PostgreSQL transaction; on failure nothing stays there."""
    schema = pg.schema_name(case.path)
    target = pg.PgConnection(url, schema)
    try:
        if pg._has_tables(target):
            raise CaseError(f"schema {schema} of {pg._safe(url)} already holds a case; "
                            "drop it or move this case into another database")
        target.execute("BEGIN IMMEDIATE")
        try:
            rows = _copy_rows(case.db, target)
            moved = Case(case.path, target)  # type: ignore[arg-type]  # sqlite3's interface
            check = moved.audit_verify()
            if not check.ok or moved.audit_head() != case.audit_head():
                raise CaseError(f"the audit log copied to PostgreSQL does not verify "
                                f"({check}); the case stays in SQLite")
            moved.audit("case.move-db", target=f"{pg._safe(url)} schema {schema}", detail={
                "from": f"{case.path / DB_NAME}", "rows": rows,
                "sqlite_audit_head": list(case.audit_head())})
            if not moved.audit_verify().ok:
                raise CaseError("the audit chain does not verify after the move entry; "
                                "the case stays in SQLite")
        except BaseException:
            target.execute("ROLLBACK")
            raise
        target.execute("COMMIT")
    except BaseException:
        target.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'
                       if not pg._has_tables(target) else "SELECT 1")
        target.close()
        raise
    target.close()
    return schema, rows


def _copy_rows(lite: sqlite3.Connection, target: pg.PgConnection) -> dict[str, int]:
    """Every table's rows, parents before children; the counts checked on both sides."""
    target.executescript(pg.SCHEMA.ddl())
    rows = {}
    for table in _parents_first(lite):
        columns = pg.SCHEMA.columns[table]
        names = ", ".join(f'"{c}"' for c in columns)
        # a frame's video (evidence.parent_id) is copied before the frame
        order = " ORDER BY parent_id IS NOT NULL" if table == "evidence" else ""
        data = lite.execute(f"SELECT {names} FROM {table}{order}").fetchall()
        try:
            target.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})", [tuple(r) for r in data])
        except sqlite3.Error as error:
            raise CaseError(f"table {table} could not be copied into PostgreSQL ({error}); "
                            "the case stays in SQLite, unchanged") from None
        copied = target.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        if copied != len(data):
            raise CaseError(f"table {table}: {len(data)} rows in SQLite, {copied} copied; "
                            "the case stays in SQLite, unchanged")
        rows[table] = copied
    for table, columns in pg.SCHEMA.columns.items():
        if "seq" in columns and pg.SCHEMA.keys[table] == ["seq"]:
            # identity columns given explicit values: the next row continues after them
            target.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'seq'), "
                           f"GREATEST((SELECT MAX(seq) FROM {table}), 1), "
                           f"(SELECT MAX(seq) FROM {table}) IS NOT NULL)")
    return rows


def _parents_first(lite: sqlite3.Connection) -> list[str]:
    """The case's tables ordered so a row's foreign keys are copied before it."""
    tables = list(pg.SCHEMA.columns)
    parents = {t: {r[2] for r in lite.execute(f"PRAGMA foreign_key_list({t})")} - {t}
               for t in tables}
    ordered: list[str] = []
    while len(ordered) < len(tables):
        ready = [t for t in tables if t not in ordered and parents[t] <= set(ordered)]
        if not ready:
            raise CaseError(f"circular foreign keys among {set(tables) - set(ordered)}")
        ordered.extend(ready)
    return ordered


def _keep_sqlite(folder: Path) -> Path:
    """Rename ``case.db`` (and a left-over WAL) to ``case.db.moved-<time>``; all or none."""
    stamp = _now().replace(":", "").replace("+0000", "Z")
    kept = folder / f"{DB_NAME}.moved-{stamp}"
    renamed: list[tuple[Path, Path]] = []
    try:
        for suffix in ("", "-wal", "-shm"):
            source, target = folder / f"{DB_NAME}{suffix}", folder / f"{kept.name}{suffix}"
            if source.exists():
                source.rename(target)
                renamed.append((source, target))
    except BaseException:
        for source, target in reversed(renamed):
            target.rename(source)
        raise
    return kept


def _seal(lite: sqlite3.Connection) -> None:
    """Triggers on every table of ``case.db`` refusing inserts, updates and deletes."""
    tables = [r[0] for r in lite.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                         "AND name NOT LIKE 'sqlite%'")]
    for table in tables:
        for op in ("INSERT", "UPDATE", "DELETE"):
            lite.execute(f'CREATE TRIGGER "{SEAL}{table}_{op.lower()}" BEFORE {op} ON "{table}" '
                         f"BEGIN SELECT RAISE(ABORT, '{MOVED_AWAY}'); END")


def _unseal(lite: sqlite3.Connection) -> None:
    """Remove :func:`_seal`'s triggers (a move that failed after sealing)."""
    names = [r[0] for r in lite.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                        "AND name GLOB ?", (f"{SEAL}*",))]
    for name in names:
        lite.execute(f'DROP TRIGGER "{name}"')


def _undo(folder: Path, url: str, schema: str) -> None:
    """The folder back to a SQLite case (writable again), the copy in PostgreSQL removed."""
    (folder / DB_POINTER).unlink(missing_ok=True)
    if (folder / DB_NAME).exists():
        lite = sqlite3.connect(folder / DB_NAME, timeout=60, isolation_level=None)
        try:
            _unseal(lite)
        finally:
            lite.close()
    _drop(url, schema)


def _drop(url: str, schema: str) -> None:
    """Remove a schema this move created, when the folder could not be switched to it."""
    conn = pg.PgConnection(url, schema)
    try:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        conn.close()
