"""What runs inside a Dask worker: the local pool's task functions, with models kept per process.

A Dask worker is a long-lived process that serves many runs, so the face models are
cached per process keyed by the engine settings: loaded once when the settings are first
seen (by :class:`FaceModels`, the plugin registered before a run's tasks are sent, or by the
first task on a worker that joined later), reused by every later task with those settings.
The analysis itself is ``workbench.faces.analyze._analyze``, the function the local
process pool runs, so both engines store the same faces.

Workers read evidence from the paths the client sends: every worker must see the evidence
and the case folder at the same path (a shared file system; see docs/scale.md).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from distributed.diagnostics.plugin import WorkerPlugin

if TYPE_CHECKING:
    from workbench.faces.analyze import Task
    from workbench.faces.settings import FaceSettings
    from workbench.types import Faces

# A worker started with more than one thread would run tasks side by side on one engine;
# the models are not known to be thread-safe, so tasks of one process take turns.
_lock = threading.Lock()
_loaded: FaceSettings | None = None


def load_faces(settings: FaceSettings, run_id: str | None = None) -> None:
    """Load the face models for ``settings`` in this process unless they already are."""
    global _loaded
    from workbench.faces import analyze

    with _lock:
        if _loaded != settings:
            # the pool's initializer: one OpenMP thread, FaceEngine(settings).load()
            analyze._init_worker(settings, run_id or "")
            _loaded = settings


def analyze_one(task: Task, settings: FaceSettings, run_id: str
                ) -> tuple[str, Faces | None, str | None]:
    """``(evidence id, faces or None, error or None)`` for one item, as the pool returns it."""
    from workbench.faces import analyze

    load_faces(settings, run_id)
    with _lock:
        # the result carries the client's run (the client sets it again when it writes)
        analyze._worker_run_id = run_id
        return analyze._analyze(task)


def analyze_batch(tasks: list[Task], settings: FaceSettings, run_id: str
                  ) -> list[tuple[str, Faces | None, str | None]]:
    """:func:`analyze_one` for several items: one scheduler round trip for all of them."""
    return [analyze_one(task, settings, run_id) for task in tasks]


def loaded_settings() -> FaceSettings | None:
    """The settings whose models this process holds (None before the first analysis)."""
    return _loaded


class FaceModels(WorkerPlugin):
    """Dask worker plugin: load the face models when a worker starts or the plugin arrives.

    Registering it (``client.register_plugin``) waits until every connected worker has
    loaded, so a run's clock and progress start with warm workers; a worker that joins or
    is restarted later loads in its own ``setup``.
    """

    def __init__(self, settings: FaceSettings) -> None:
        self.settings = settings
        self.name = f"workbench-faces-{abs(hash(settings)):x}"

    def setup(self, worker: Any) -> None:
        load_faces(self.settings)



class IngestTools(WorkerPlugin):
    """Dask worker plugin: stop the worker's ExifTool when the worker closes.

    The ingest keeps one ``-stay_open`` ExifTool per process; a worker that closes without
    stopping it leaves the tool to die with the process group, and pyexiftool then warns.
    """

    name = "workbench-ingest-tools"

    def teardown(self, worker: Any) -> None:
        from workbench.ingest.external import close_reader

        close_reader()
