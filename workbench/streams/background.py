"""A watch on its own thread, for notebooks: the kernel stays free and a button can stop it.

The thread opens the case itself (an SQLite connection belongs to the thread that opened
it) and runs :func:`workbench.streams.watch.watch` until the stream ends or
:meth:`BackgroundWatch.stop` is called. Signals are not involved: only the main thread
receives them, and a notebook's stop is the button.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.streams.watch import Analyzer, WatchSettings, WatchStatus


class BackgroundWatch:
    """A running watch: ``stop()``, ``join()``, and its ``status`` and ``error`` once done."""

    def __init__(self, case_dir: str | os.PathLike[str], source: str,
                 settings: WatchSettings | None = None, analyzer: Analyzer | None = None,
                 on_update: Callable[[WatchStatus], None] | None = None) -> None:
        self.stop_event = threading.Event()
        self.status: WatchStatus | None = None
        self.error = ""
        self._args = (os.fspath(case_dir), source, settings, analyzer, on_update)
        self.thread = threading.Thread(target=self._run, name="workbench-watch", daemon=True)

    def _run(self) -> None:
        from workbench.streams.watch import watch

        case_dir, source, settings, analyzer, on_update = self._args
        try:
            self.status = watch(case_dir, source, settings, analyzer, self.stop_event, on_update)
        except Exception as error:  # noqa: BLE001 - a thread's error must reach the screen
            from workbench.streams.watch import WatchStatus

            self.error = str(error) if isinstance(error, WorkbenchError) else \
                f"{type(error).__name__}: {error}"
            self.status = WatchStatus(state="stopped", stopped_by=f"failed: {self.error}")
            if on_update is not None:
                on_update(self.status)

    @property
    def running(self) -> bool:
        return self.thread.is_alive()

    def stop(self) -> None:
        """Ask the watch to stop after the frame in hand (the run is recorded as done)."""
        self.stop_event.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the watch to end; True when it has."""
        self.thread.join(timeout)
        return not self.thread.is_alive()


def watch_in_background(case_dir: str | os.PathLike[str], source: str,
                        settings: WatchSettings | None = None, analyzer: Analyzer | None = None,
                        on_update: Callable[[WatchStatus], None] | None = None
                        ) -> BackgroundWatch:
    """Start :func:`~workbench.streams.watch.watch` on a thread and return its handle."""
    handle = BackgroundWatch(case_dir, source, settings, analyzer, on_update)
    handle.thread.start()
    return handle
