"""Fixtures for the notebook tests: a small real case to run every notebook on."""

from __future__ import annotations

from pathlib import Path

import pytest
from smallcase import build_small_case


@pytest.fixture(scope="module")
def notebook_case(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    return build_small_case(tmp_path_factory.mktemp("nbcase"), shared_data)
