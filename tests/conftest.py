"""Fixtures every test tier shares: where the shared test data is, and fresh cases."""

from __future__ import annotations

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
