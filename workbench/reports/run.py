"""Run an analyst notebook on a case with papermill (a new case needs only its path)."""

from __future__ import annotations

from pathlib import Path

from workbench.errors import WorkbenchError


class NotebookRunError(WorkbenchError):
    """A notebook failed while running on a case; the message names the cell's error."""


def execute_notebook(notebook: str | Path, case_dir: str | Path, out: str | Path | None = None,
                     timeout_s: int = 600) -> Path:
    """Execute ``notebook`` with ``case_dir`` as its parameter; returns the executed copy.

    The executed copy goes to ``<case>/reports/<notebook name>`` unless ``out`` is given,
    so the analyst's template stays clean and the case keeps what was run.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    case = Path(case_dir).resolve()
    target = Path(out) if out else case / "reports" / Path(notebook).name
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        papermill.execute_notebook(
            str(notebook), str(target), parameters={"case_dir": str(case)},
            kernel_name="python3", progress_bar=False, execution_timeout=timeout_s,
            cwd=str(Path(notebook).resolve().parent))
    except PapermillExecutionError as error:
        raise NotebookRunError(f"{Path(notebook).name} failed in cell {error.exec_count}: "
                               f"{error.ename}: {error.evalue}") from error
    return target
