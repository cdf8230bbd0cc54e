"""Fixtures for the widget tests (the shared ``small_case`` lives in ``tests/conftest.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture()
def fresh_case(tmp_path: Path, shared_data: Path):
    """A small case of its own, for tests that change what other tests read (re-scoring)."""
    from smallcase import build_small_case

    from workbench.store import Case

    case = Case.open(build_small_case(tmp_path, shared_data))
    yield case
    case.close()
