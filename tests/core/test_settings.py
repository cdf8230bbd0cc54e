"""Every WORKBENCH_* variable is read through workbench/settings.py and listed in its table."""

from __future__ import annotations

import ast
import json
import re

import pytest

from workbench import settings

from .source_scan import PACKAGE, docstring_ids, offenders

NAME = re.compile(r"^\$?WORKBENCH_[A-Z_]+$")


def _variable_literals(source: str) -> list[str]:
    """String constants in code that are exactly a WORKBENCH_* name (not prose mentioning one)."""
    tree = ast.parse(source)
    skip = docstring_ids(tree)
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in skip and NAME.match(node.value)]


def test_no_module_outside_settings_names_a_variable() -> None:
    found = offenders(_variable_literals, skip=lambda rel: rel == "settings.py")
    assert found == {}, f"read these through workbench.settings: {found}"


def test_the_scan_finds_a_direct_read() -> None:
    # The check above must not pass by seeing nothing.
    assert _variable_literals('import os\nos.environ.get("WORKBENCH_CACHE")\n') == [
        "WORKBENCH_CACHE"]
    assert _variable_literals('"""Set WORKBENCH_CACHE."""\nx = "see $WORKBENCH_CACHE"\n') == []


def test_dashboard_reads_its_case_through_settings() -> None:
    notebook = json.loads((PACKAGE / "apps" / "dashboards" / "case_overview.ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
    assert "settings.read(settings.CASE)" in code
    assert _variable_literals(code) == []


def test_table_lists_every_variable() -> None:
    doc = settings.__doc__ or ""
    listed = set(re.findall(r"``(WORKBENCH_[A-Z_]+)``\s{2,}", doc))
    assert listed == set(settings.VARIABLES)


def test_read_treats_empty_as_unset_and_refuses_unlisted_names(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.CACHE, "/tmp/somewhere")
    assert settings.read(settings.CACHE) == "/tmp/somewhere"
    monkeypatch.setenv(settings.CACHE, "")
    assert settings.read(settings.CACHE) is None
    assert settings.read(settings.TILE_URL, {settings.TILE_URL: "http://t/{z}/{x}/{y}"}) == (
        "http://t/{z}/{x}/{y}")
    with pytest.raises(settings.SettingsError, match="add it to the table"):
        settings.read("WORKBENCH_NOT_A_SETTING")


def test_case_paths_split_on_the_path_separator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.CASES, "/a::/b")
    assert settings.case_paths() == ["/a", "/b"]
    monkeypatch.delenv(settings.CASES)
    assert settings.case_paths() == []
