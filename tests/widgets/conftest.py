"""Fixtures for the widget tests: a small real case (real ingest, synthetic faces/hits)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location(
    "wb_smallcase", Path(__file__).resolve().parents[1] / "notebooks" / "smallcase.py")
smallcase = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(smallcase)


@pytest.fixture(scope="session")
def small_case_dir(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    return smallcase.build_small_case(tmp_path_factory.mktemp("small"), shared_data)


@pytest.fixture()
def small_case(small_case_dir: Path):
    from workbench.store import Case

    case = Case.open(small_case_dir)
    yield case
    case.close()


@pytest.fixture()
def fresh_case(tmp_path: Path, shared_data: Path):
    """A small case of its own, for tests that change what other tests read (re-scoring)."""
    from workbench.store import Case

    case = Case.open(smallcase.build_small_case(tmp_path, shared_data))
    yield case
    case.close()
