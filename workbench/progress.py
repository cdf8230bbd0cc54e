"""Progress bars for long work: tqdm on a terminal, an ipywidgets bar in a notebook.

``tqdm.auto`` makes that choice itself, so domain code stays free of widget imports.
"""

from __future__ import annotations

from typing import Any


def progress_bar(total: int | None, desc: str, enabled: bool = True, unit: str = "file") -> Any:
    """A progress bar that fits where the code runs; a silent one when ``enabled`` is False."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled, dynamic_ncols=True)
