"""Every analyst notebook runs end to end with papermill on a small real case.

The case is real evidence through the real ingest, with synthetic faces and hits (see
tests/smallcase.py). Domains with nothing to show for it (no embeddings, no uniform attributes)
must say so in the notebook rather than fail or invent results.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from workbench.reports.run import execute_notebook

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def _outputs(path: Path) -> tuple[str, list[dict]]:
    nb = nbformat.read(path, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    html = "\n".join("".join(o.get("data", {}).get("text/html", ""))
                     for c in nb.cells for o in c.get("outputs", []))
    return html, errors


def _run(name: str, case_dir: Path, tmp_path: Path, **parameters: object) -> tuple[Path, str]:
    # A cell of these notebooks takes seconds: a reply missing for 120 s is a lost message,
    # and execute_notebook runs the notebook once more in a new kernel.
    out = execute_notebook(NOTEBOOKS / f"{name}.ipynb", case_dir, out=tmp_path / f"{name}.ipynb",
                           parameters=parameters, timeout_s=120)
    html, errors = _outputs(out)
    assert errors == [], [f"{e.ename}: {e.evalue}" for e in errors]
    nb = nbformat.read(out, as_version=4)
    assert nb.metadata["papermill"]["parameters"]["case_dir"] == str(case_dir.resolve())
    return out, html


def test_every_notebook_has_a_parameters_cell_with_case_dir() -> None:
    names = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    assert names == ["case_triage", "map_and_timeline", "missing_person_search",
                     "uniform_school_search"]
    for path in NOTEBOOKS.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1 and "case_dir" in tagged[0].source, path.name
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
            f"{path.name} is committed with outputs; clear them")


def test_case_triage(notebook_case: Path, tmp_path: Path) -> None:
    _out, html = _run("case_triage", notebook_case, tmp_path)
    assert "5 items match" in html
    assert "unreliable on children and across demographics" in html
    assert "2 faces in this view" in html and "age ≈ 30 ± 6" in html
    assert "synthetic_rule" in html  # the review queue's item
    assert "Valid:" in html  # the shipped criteria validate
    assert 'data-wb-thumb="revealed"' not in html


def test_missing_person_search_says_what_it_searched(notebook_case: Path, tmp_path: Path
                                                     ) -> None:
    _out, html = _run("missing_person_search", notebook_case, tmp_path,
                      registry=str(tmp_path / "registry"))
    # The synthetic faces carry no embeddings: nothing may be matched, and the widget says so.
    assert "Missing-person lookup" in html
    assert re.search(r"Searched 0 faces|wb-error", html)
    assert "never an identification" in html


def test_uniform_school_search(notebook_case: Path, tmp_path: Path) -> None:
    _out, html = _run("uniform_school_search", notebook_case, tmp_path, top=5)
    assert "1 people with clothing attributes" in html and "striped" in html
    assert "5 schools ranked for" in html and "not an identification" in html


@pytest.mark.slow  # about 20 s: folium renders and the maps package inlines Leaflet
def test_map_and_timeline_draw_offline(notebook_case: Path, tmp_path: Path) -> None:
    out, html = _run("map_and_timeline", notebook_case, tmp_path)
    assert "<iframe" in html and "srcdoc=" in html
    assert "3 dated items" in html and "<svg" in html
    from workbench.reports.page import external_urls

    assert external_urls(html) == []
    nb = nbformat.read(out, as_version=4)
    from workbench.reports.manifest import collect_shown

    assert len(collect_shown(nb)) == 3  # the three geotagged, dated photos


@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists() or not shutil.which("pdftotext"),
                    reason="needs apt-get install -y chromium poppler-utils")
def test_cli_executes_and_exports_pdf(notebook_case: Path, tmp_path: Path) -> None:
    """`workbench report --execute` end to end: papermill, then a PDF read back."""
    from workbench.cli import main

    pdf = tmp_path / "map.pdf"
    code = main(["report", str(NOTEBOOKS / "map_and_timeline.ipynb"), "--execute", "--case",
                 str(notebook_case), "--format", "pdf", "--out", str(pdf), "--cell-timeout", "120"])
    assert code == 0 and pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Evidence manifest" in text and "Map and timeline" in text
    assert (notebook_case / "reports" / "map_and_timeline.ipynb").is_file()


@pytest.mark.slow
def test_a_cell_without_a_reply_is_retried_then_named(tmp_path: Path) -> None:
    from workbench.reports.run import NotebookRunError

    notebook = nbformat.v4.new_notebook(metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    notebook.cells = [
        nbformat.v4.new_code_cell("case_dir = ''", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import time\ntime.sleep(30)"),
    ]
    path = tmp_path / "slow.ipynb"
    nbformat.write(notebook, path)
    with pytest.raises(NotebookRunError, match=r"no reply within 2 s, 2 times"):
        execute_notebook(path, tmp_path, out=tmp_path / "out.ipynb", timeout_s=2, attempts=2)
