"""Progress for long jobs: a bar, a line of text, a start button, the job's result."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import traitlets

from workbench.widgets.base import WorkbenchWidget

Progress = Callable[[int, int, str], None]


class JobProgress(WorkbenchWidget):
    """Run a long job from a button and show its progress.

    Args:
        job: ``job(progress) -> result``; the job calls ``progress(done, total, text)``.
        label: what the button says.

    Example:
        >>> JobProgress(lambda progress: ingest(case, folder, progress=progress))  # doctest: +SKIP
    """

    done = traitlets.Int(0)
    total = traitlets.Int(0)
    running = traitlets.Bool(False)
    finished = traitlets.Bool(False)
    title = "Job"

    def __init__(self, job: Callable[[Progress], Any], label: str = "Start") -> None:
        super().__init__()
        self._job = job
        self.result: Any = None
        self.bar = w.IntProgress(value=0, min=0, max=1, description="", bar_style="info")
        self.text = w.HTML()
        self.start_button = w.Button(description=label, icon="play", button_style="primary")
        self.start_button.on_click(self._on_start)
        self.children = [w.HBox([self.start_button, self.bar, self.text]), self.status]

    def progress(self, done: int, total: int, text: str = "") -> None:
        """What the job calls as it works."""
        self.total = max(0, int(total))
        self.done = max(0, min(int(done), self.total)) if self.total else int(done)
        self.bar.max = max(1, self.total)
        self.bar.value = min(self.done, self.bar.max)
        self.text.value = html.escape(f"{self.done}/{self.total} {text}".strip())

    def _on_start(self, _button: w.Button | None = None) -> None:
        if self.running:
            return
        self.running, self.finished = True, False
        self.start_button.disabled = True
        self.bar.bar_style = "info"
        try:
            self.result = self.call(self._job, self.progress)
        finally:
            self.running = False
            self.start_button.disabled = False
        self.finished = not self.error
        self.bar.bar_style = "danger" if self.error else "success"
        if not self.error:
            self.message = "Finished."

    def snapshot_body(self) -> str:
        return f"<p>{self.done}/{self.total} {html.escape(self.message)}</p>"
