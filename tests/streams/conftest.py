"""Fixtures of the stream tests: the synthetic clip and the test rules; the alert
receivers (a real SMTP server, a real webhook) are the missing-person alert tests' own."""

from __future__ import annotations

from pathlib import Path

import pytest
from missing.test_alerts import smtp_server, webhook  # noqa: F401 - shared fixtures

from .helpers import RULES, make_clip


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 s, 10 fps, 160x120: two squares, one upper (a 'frightened minor'), one lower."""
    return make_clip(tmp_path_factory.mktemp("clip") / "boxes.mp4")


@pytest.fixture()
def rules_file(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    return path
