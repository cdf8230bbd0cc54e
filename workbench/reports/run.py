"""Run an analyst notebook on a case with papermill (a new case needs only its path)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from workbench.errors import WorkbenchError


class NotebookRunError(WorkbenchError):
    """A notebook failed while running on a case; the message names the cell's error."""


def execute_notebook(notebook: str | Path, case_dir: str | Path, out: str | Path | None = None,
                     parameters: Mapping[str, Any] | None = None, timeout_s: int = 600,
                     attempts: int = 2) -> Path:
    """Execute ``notebook`` with ``case_dir`` (and any other ``parameters``) injected.

    The executed copy goes to ``<case>/reports/<notebook name>`` unless ``out`` is given,
    so the analyst's template stays clean and the case keeps what was run.

    A cell that gets no reply within ``timeout_s`` is run again from the start in a new
    kernel, up to ``attempts`` times in all: in CI the kernel was seen idle while the
    client still waited for a cell's reply (twice in about a hundred notebook runs, never
    reproduced alone), so a lost message must not hang a report for ever.

    Example:
        >>> execute_notebook("notebooks/case_triage.ipynb", "cases/demo")   # doctest: +SKIP
        PosixPath('cases/demo/reports/case_triage.ipynb')
    """
    import papermill
    from nbclient.exceptions import CellTimeoutError
    from papermill.exceptions import PapermillExecutionError

    case = Path(case_dir).resolve()
    target = Path(out) if out else case / "reports" / Path(notebook).name
    target.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, max(1, attempts) + 1):
        try:
            papermill.execute_notebook(
                str(notebook), str(target),
                parameters={**(parameters or {}), "case_dir": str(case)},
                kernel_name="python3", progress_bar=False, execution_timeout=timeout_s,
                cwd=str(Path(notebook).resolve().parent))
            return target
        except PapermillExecutionError as error:
            raise NotebookRunError(f"{Path(notebook).name} failed in cell {error.exec_count}: "
                                   f"{error.ename}: {error.evalue}") from error
        except CellTimeoutError as error:
            if attempt >= attempts:
                raise NotebookRunError(
                    f"{Path(notebook).name}: a cell got no reply within {timeout_s} s, "
                    f"{attempts} times; raise --cell-timeout if a cell really runs that long"
                ) from error
    return target
