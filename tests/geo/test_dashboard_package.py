"""The dashboard notebook is package data: a wheel install serves the same file as a checkout."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from importlib.resources import files
from pathlib import Path

import pytest

from workbench.apps import serve

REPO = Path(__file__).resolve().parents[2]


def test_dashboard_is_found_through_the_package() -> None:
    notebook = files("workbench.apps").joinpath("dashboards", "case_overview.ipynb")
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    assert any("overview.wait_for_visit()" in "".join(c["source"]) for c in cells)
    assert serve.DASHBOARD.resolve() == Path(str(notebook)).resolve()
    # The served folder holds the notebook and nothing a visitor should browse.
    assert sorted(p.name for p in serve.DASHBOARD.parent.iterdir()) == ["case_overview.ipynb"]


def test_repository_link_points_at_the_packaged_notebook() -> None:
    link = REPO / "dashboards" / "case_overview.ipynb"
    assert link.resolve() == serve.DASHBOARD.resolve()


@pytest.mark.slow
def test_wheel_carries_the_dashboard_and_its_template(tmp_path: Path) -> None:
    # Built from a copy so the build leaves nothing in the working tree.
    src = tmp_path / "src"
    shutil.copytree(REPO / "workbench", src / "workbench",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", src)
    shutil.copy(REPO / "README.md", src)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path / "dist"), str(src)], check=True, timeout=300)
    wheel = next((tmp_path / "dist").glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "workbench/apps/dashboards/case_overview.ipynb" in names
    assert "workbench/apps/jupyter_data/voila/templates/workbench/index.html.j2" in names
