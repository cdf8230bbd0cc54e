"""A case kept in PostgreSQL migrates forward on open, as a SQLite case does: an older case
(built here by applying only its first migrations, translated as the workbench translates
them) opens with its rows and decisions kept, at the current version, its audit chain
intact; a case newer than the workbench is refused."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from workbench.errors import CaseError
from workbench.store import Case, pg
from workbench.store.reviews import decisions
from workbench.store.schema import MIGRATIONS

from .old_cases import AT, A, B, check_decisions_kept, write_evidence, write_schema6_decisions


def _old_pg_case(folder: Path, url: str, version: int) -> pg.PgConnection:
    """A case folder whose PostgreSQL schema has only the first ``version`` migrations."""
    folder.mkdir()
    schema = pg.schema_name(folder)
    pg.write_pointer(folder / "database.json", url, schema)
    conn = pg.PgConnection(url, schema)
    assert pg.migrate(conn, AT, target=version) == version
    write_evidence(conn)
    return conn


def _columns(conn: pg.PgConnection) -> dict[str, list[tuple[str, str]]]:
    rows = conn.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema=? ORDER BY table_name, ordinal_position", (conn.schema,))
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        out.setdefault(table, []).append((column, kind))
    return out


def test_a_schema_6_postgresql_case_migrates_on_open(pg_url: str, tmp_path: Path) -> None:
    conn = _old_pg_case(tmp_path / "old", pg_url, 6)
    ids = write_schema6_decisions(conn)
    conn.close()
    with Case.open(tmp_path / "old") as case:
        assert case.backend == "postgresql"
        versions = case.db.execute("SELECT version FROM schema_migrations ORDER BY version")
        assert [r[0] for r in versions] == list(range(1, len(MIGRATIONS) + 1))
        check_decisions_kept(case, ids)
        assert case.audit_verify().ok
        with pytest.raises(Exception, match="append-only"):
            with case.transaction() as db:
                db.execute("UPDATE audit SET who='someone else'")
    with Case.open(tmp_path / "old") as again:  # migrated once: opening again changes nothing
        count = again.db.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0]
        assert count == len(MIGRATIONS) and again.audit_verify().ok


def test_a_case_from_before_the_audit_chain_is_migrated_and_sealed(
        pg_url: str, tmp_path: Path) -> None:
    conn = _old_pg_case(tmp_path / "v3", pg_url, 3)
    conn.execute("INSERT INTO audit (at, who, action, target, detail) VALUES "
                 "(?, 'bob', 'case.init', 'x', '{}')", (AT,))
    embedding = bytes(16)  # four float32 zeros
    conn.execute("INSERT INTO faces (id, evidence_id, idx, embedding) VALUES (?, ?, ?, ?)",
                 (f"{A}:0", A, 0, embedding))
    conn.close()
    with Case.open(tmp_path / "v3") as case:
        log = case.audit_log()
        assert log["action"].tolist() == ["case.init", "audit.chain.start"]
        assert log["who"].tolist()[0] == "bob" and case.audit_verify().ok
        assert case.db.execute("SELECT embedding FROM faces").fetchone()[0] == embedding
        assert [r[0] for r in case.db.execute("SELECT id FROM evidence ORDER BY id")] == [A, B]


def test_a_migrated_case_has_the_tables_of_a_new_one(pg_url: str, tmp_path: Path) -> None:
    _old_pg_case(tmp_path / "from1", pg_url, 1).close()
    with Case.open(tmp_path / "from1") as migrated, \
            Case.init(tmp_path / "new", db=pg_url) as new:
        assert _columns(migrated.db) == _columns(new.db)  # type: ignore[arg-type]


def test_a_case_newer_than_the_workbench_is_refused(pg_url: str, tmp_path: Path) -> None:
    with Case.init(tmp_path / "future", db=pg_url) as case:
        with case.transaction() as conn:
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?)",
                         (len(MIGRATIONS) + 1, AT))
    with pytest.raises(CaseError, match="newer than this workbench.*upgrade"):
        Case.open(tmp_path / "future")


def test_two_analysts_opening_an_old_case_at_once_migrate_it_once(
        pg_url: str, tmp_path: Path) -> None:
    conn = _old_pg_case(tmp_path / "shared", pg_url, 6)
    ids = write_schema6_decisions(conn)
    conn.close()
    seen: list[set[str]] = []
    errors: list[BaseException] = []

    def analyst() -> None:
        try:
            with Case.open(tmp_path / "shared") as case:
                seen.append(set(decisions(case)))
        except BaseException as error:  # noqa: BLE001  # reported below
            errors.append(error)

    threads = [threading.Thread(target=analyst) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(seen) == 2 and seen[0] == seen[1]
    assert ids["minor_fear:a"] in seen[0] and "synthetic-key" in seen[0]
    with Case.open(tmp_path / "shared") as case:
        versions = [r[0] for r in case.db.execute("SELECT version FROM schema_migrations")]
        assert sorted(versions) == list(range(1, len(MIGRATIONS) + 1))
        assert case.audit_verify().ok
