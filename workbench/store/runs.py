"""How every step records its run: one context manager, one set of statuses.

Each domain used to write its own start-run / try / finish-run, with different statuses for
the same event (a failed scoring run said ``failed``, an interrupted one also ``failed``; a
failed face analysis said ``interrupted``; several left ``running`` behind). Now:

==============  ======================================================================
status          when
==============  ======================================================================
``running``     started, not finished (a run whose process is gone becomes
                ``interrupted`` the next time the case is opened for writing)
``done``        the block finished
``interrupted`` Ctrl-C or SIGTERM (``KeyboardInterrupt``, see ``workbench.parallel``),
                or the process was killed
``failed``      any other exception left the block
==============  ======================================================================

Example:
    >>> with case.recording(Run.start("score")) as rec:          # doctest: +SKIP
    ...     rec.summary["hits"] = store_hits(case, rec.run.id)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workbench.types import Run

if TYPE_CHECKING:
    from workbench.store.case import Case

RUNNING, DONE, INTERRUPTED, FAILED = "running", "done", "interrupted", "failed"
STATUSES = (RUNNING, DONE, INTERRUPTED, FAILED)


@dataclass
class Recording:
    """A run being recorded: the code inside the block fills ``summary``.

    Attributes:
        run: the run as recorded (its ``id`` goes on every row the block writes).
        summary: what the run's finish entry says; written whatever the status.
        summarize: when set, called at the finish instead of reading ``summary`` (for
            summaries that are only complete once the block has unwound).
    """

    run: Run
    summary: dict[str, Any] = field(default_factory=dict)
    summarize: Callable[[], Mapping[str, Any]] | None = None

    def final_summary(self) -> Mapping[str, Any]:
        return self.summarize() if self.summarize is not None else self.summary


def status_for(error: BaseException | None) -> str:
    """The status a run ends with when ``error`` (None: nothing) left its block."""
    if error is None:
        return DONE
    return INTERRUPTED if isinstance(error, KeyboardInterrupt) else FAILED


@contextmanager
def recording(case: Case, run: Run) -> Iterator[Recording]:
    """Record ``run`` in ``case`` around a block (see the module docs for the statuses)."""
    record = Recording(case.start_run(run))
    try:
        yield record
    except BaseException as error:
        case.finish_run(run.id, status_for(error), record.final_summary())
        raise
    case.finish_run(run.id, DONE, record.final_summary())


def run_params(case: Case, kind: str) -> list[str]:
    """The recorded parameters (JSON text) of every run of ``kind``."""
    return case.query("SELECT params FROM runs WHERE kind = ?", (kind,))["params"].tolist()
