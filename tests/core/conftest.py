"""The store's tests run on both backends: SQLite and PostgreSQL + pgvector (the session's
server, ``pg_url`` in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def new_case(request: pytest.FixtureRequest, tmp_path: Path):
    """A fresh, empty case on each backend: the store's tests run against both."""
    from workbench.store import Case

    db = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    case = Case.init(tmp_path / "case", name="test-case", db=db)
    yield case
    case.close()
