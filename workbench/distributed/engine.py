"""Where a command's tasks run: the local process pool (default) or a Dask cluster.

``ingest``, ``analyze``, ``explicit`` and ``uniforms`` take an optional engine. ``None``
keeps the local process pool (``workbench.parallel``), which on one machine is as fast as a
``LocalCluster`` with less start-up (see ``benchmarks/scale.py``); the two scans then run in
the calling process, as they always did (docs/scale.md). A :class:`DaskEngine` sends the *same* task
functions to Dask workers and hands their results back, in completion order, to the
calling process, which alone writes the case (one writer, the store's transactions).

What the scheduler guarantees and what this module adds:

* A worker that dies mid-task (``kill -9``, out of memory, a lost machine) is noticed by
  the scheduler, which runs its tasks again on another worker; the client still gets one
  result per task. A task that killed three workers raises ``KilledWorker``; its items are
  then recorded as failed with that reason instead of stopping the run.
* Task keys are derived from the content (the files' paths, sizes and modification times;
  the evidence SHA-256 and the analysis signature), and the store's writes are keyed the
  same way (evidence by SHA-256, faces replaced per evidence), so a task run twice or a
  result delivered again writes nothing twice.
* Ctrl-C or SIGTERM cancels the tasks still queued; a restarted client resumes through the
  ingest's and analysis's own resume logic (done files and analysed evidence are skipped).
* Tasks and results (evidence paths, pixels' analyses, face embeddings) are case material:
  a ``tls://`` scheduler address encrypts and authenticates the traffic with the
  certificates Dask's own settings name (``DASK_DISTRIBUTED__COMM__TLS__...``; a clear
  error when they are missing), and a plain ``tcp://`` address off this machine is
  connected to with a warning (docs/scale.md, "Encrypted traffic").

Example:
    >>> with open_engine("dask", workers=2) as engine:          # doctest: +SKIP
    ...     analyze_case("cases/demo", engine=engine)
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TextIO

from workbench import settings as wb_settings
from workbench.errors import WorkbenchError
from workbench.parallel import batches

if TYPE_CHECKING:
    from distributed import Client

    from workbench.faces.analyze import Task
    from workbench.faces.settings import FaceSettings
    from workbench.ingest.sources import Item
    from workbench.ingest.worker import WorkerSettings
    from workbench.types import Faces

ENGINES = ("local", "dask")
# Dask's settings that give the client its certificate (environment variables
# DASK_DISTRIBUTED__COMM__TLS__CA_FILE, ..._CLIENT__CERT, ..._CLIENT__KEY, or dask's YAML)
TLS_SETTINGS = ("distributed.comm.tls.ca-file", "distributed.comm.tls.client.cert",
                "distributed.comm.tls.client.key")
LOOPBACK = ("127.", "localhost", "[::1]")
# Tasks queued on the cluster per worker thread: enough to keep every worker busy while
# results travel back, few enough that an interruption drops little queued work.
IN_FLIGHT_PER_THREAD = 3
# Images per analysis task: the scheduler and the client spend a few milliseconds on every
# task (benchmarks/scale.py), so a task carries several images; small enough that a lost
# worker costs little and the last tasks still spread over the workers.
ANALYZE_BATCH = 8
# Seconds to wait for a scheduler (or a LocalCluster's workers) to answer.
CONNECT_TIMEOUT_S = 30


class ClusterError(WorkbenchError):
    """No Dask scheduler at the address given, or the cluster has no workers."""


def resolve(engine: str | None, cluster: str | None) -> tuple[str, str | None]:
    """The engine to use and the scheduler address, from flags and ``WORKBENCH_DASK``.

    An explicit ``--engine local`` wins over ``WORKBENCH_DASK``; ``--cluster`` (or the
    variable) alone means Dask on that scheduler; ``--engine dask`` alone starts a
    ``LocalCluster`` on this machine.
    """
    if engine not in (None, *ENGINES):
        raise ClusterError(f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}")
    if engine == "local":
        if cluster:
            raise ClusterError("--cluster needs the Dask engine: drop --engine local")
        return "local", None
    address = cluster or wb_settings.read(wb_settings.DASK)
    if address is None:
        return engine or "local", None
    return "dask", address


@contextlib.contextmanager
def open_engine(engine: str | None = None, cluster: str | None = None,
                workers: int | None = None, echo: TextIO | None = None,
                timeout_s: float = CONNECT_TIMEOUT_S) -> Iterator[DaskEngine | None]:
    """The engine a command runs its tasks on, open for the ``with`` block.

    Args:
        engine: ``local`` (process pool), ``dask``, or None (``dask`` when a scheduler
            address is given, else ``local``).
        cluster: scheduler address (``tcp://HOST:8786``); default ``$WORKBENCH_DASK``.
        workers: worker processes of a ``LocalCluster`` (default: all cores); ignored
            for a running scheduler, whose workers are started on their machines.
        echo: where the cluster and its dashboard link are printed (default stderr).
        timeout_s: how long to wait for the scheduler to answer.

    Yields:
        None for the local process pool, else a connected :class:`DaskEngine`.
    """
    name, address = resolve(engine, cluster)
    if name == "local":
        yield None
        return
    dask_engine = DaskEngine.connect(address, workers, timeout_s)
    try:
        out = echo if echo is not None else sys.stderr
        print(f"workbench: {dask_engine.describe()}; dashboard: {dask_engine.dashboard()}",
              file=out)
        if address is not None and unencrypted_remote(address):
            print(f"workbench: warning: tasks and results travel unencrypted to {address}; "
                  "use a tls:// scheduler (docs/scale.md, 'Encrypted traffic')", file=out)
        yield dask_engine
    finally:
        dask_engine.close()


class DaskEngine:
    """A Dask client that runs the workbench's task functions and streams their results."""

    def __init__(self, client: Client, cluster: Any = None) -> None:
        self.client = client
        self._cluster = cluster  # a LocalCluster this engine started (closed with it)

    @classmethod
    def connect(cls, address: str | None, workers: int | None = None,
                timeout_s: float = CONNECT_TIMEOUT_S) -> DaskEngine:
        """Connect to the scheduler at ``address``, or start a ``LocalCluster`` (loopback only)."""
        from distributed import Client, LocalCluster

        if address is None:
            # Processes, one thread each: the task functions hold the GIL in Python code and
            # the face models are kept per process. Loopback only, dashboard on a free port.
            cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1,
                                   threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address="127.0.0.1:0",
                                   silence_logs=logging.WARNING)
            return cls(Client(cluster, timeout=timeout_s), cluster)
        if address.startswith("tls://"):
            missing = missing_tls_settings()
            if missing:
                raise ClusterError(
                    f"{address} needs this client's certificate: set "
                    + ", ".join(missing) + " (docs/scale.md, 'Encrypted traffic')")
        try:
            client = Client(address, timeout=timeout_s)
        except OSError as error:
            if address.startswith("tls://"):
                raise ClusterError(
                    f"the TLS scheduler at {address} did not accept this client ({error}): "
                    "is it running, and is the certificate in DASK_DISTRIBUTED__COMM__TLS__"
                    "CLIENT__CERT signed by the CA the scheduler trusts?") from None
            raise ClusterError(
                f"no Dask scheduler answers at {address} after {timeout_s:.0f} s ({error}); "
                "start one with "
                "`dask scheduler` and workers with `dask worker ADDRESS --nthreads 1`, or "
                "drop --cluster / WORKBENCH_DASK to use this machine's process pool") from None
        return cls(client)

    def close(self) -> None:
        """Disconnect (and stop the ``LocalCluster`` this engine started)."""
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def threads(self) -> int:
        """Worker threads the cluster has now (at least 1, so a queue is never empty)."""
        info = self.client.scheduler_info(n_workers=-1)["workers"]
        return max(1, sum(int(w.get("nthreads", 1)) for w in info.values()))

    def describe(self) -> str:
        workers = len(self.client.scheduler_info(n_workers=-1)["workers"])
        where = "local cluster" if self._cluster is not None else "cluster"
        return f"Dask {where} at {self.client.scheduler.address}, {workers} workers"

    def dashboard(self) -> str:
        """The Dask dashboard's address (task stream, worker memory, progress)."""
        return self.client.dashboard_link

    def wait_for_workers(self, count: int = 1, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
        """Block until ``count`` workers are connected; a clear error if they never come."""
        try:
            self.client.wait_for_workers(count, timeout=timeout_s)
        except TimeoutError:
            raise ClusterError(
                f"the scheduler at {self.client.scheduler.address} has no worker after "
                f"{timeout_s:.0f} s; start one with `dask worker {self.client.scheduler.address}"
                " --nthreads 1` on a machine that sees the evidence and the case") from None

    def run(self, function: Callable[..., Any], items: Iterable[Any], keys: Iterable[str],
            *args: Any, on_lost: Callable[[Any, str], Any]) -> Iterator[Any]:
        """``function(item, *args)`` for every item on the cluster, results as they finish.

        At most a few tasks per worker thread are queued at a time. ``on_lost(item,
        reason)`` gives the result of an item whose task killed every worker it was given.
        Leaving early (Ctrl-C, SIGTERM, an error in the caller) cancels what is queued.
        """
        from distributed import as_completed
        from distributed.client import FutureCancelledError
        from distributed.scheduler import KilledWorker

        from workbench.parallel import stop_on_signals

        self.wait_for_workers()
        limit = IN_FLIGHT_PER_THREAD * self.threads()
        queue = iter(zip(keys, items, strict=True))
        outstanding: dict[str, Any] = {}
        finished = as_completed()

        def submit_next() -> None:
            # keys are unique within a run: distinct paths (ingest), distinct evidence (analyze)
            for key, item in queue:
                future = self.client.submit(function, item, *args, key=key)
                outstanding[key] = (future, item)
                finished.add(future)
                return

        with stop_on_signals():
            try:
                for _ in range(limit):
                    submit_next()
                for future in finished:
                    _, item = outstanding.pop(future.key)
                    try:
                        result = future.result()
                    except (KilledWorker, FutureCancelledError) as error:
                        result = on_lost(item, f"worker_lost: {type(error).__name__}: {error}")
                    future.release()
                    submit_next()
                    yield result
            finally:
                if outstanding:
                    self.client.cancel([f for f, _ in outstanding.values()])

    def ingest_results(self, todo: list[Item], settings: WorkerSettings, batch: int
                       ) -> Iterator[dict[str, Any]]:
        """The ingest's worker results (``process_batch``), one dict per file."""
        from workbench.distributed.tasks import IngestTools
        from workbench.ingest.worker import process_batch

        self.wait_for_workers()
        self.client.register_plugin(IngestTools(), name=IngestTools.name)
        # largest files first, as the pool does, so no worker is left alone with a video
        todo = sorted(todo, key=lambda item: -(item.size or 0))
        chunks = batches(todo, batch, self.threads())
        keys = [_key("ingest", settings.case_dir,
                     *(f"{i.path}\0{i.size}\0{i.mtime_ns}" for i in chunk)) for chunk in chunks]

        def lost(chunk: list[Item], reason: str) -> list[dict[str, Any]]:
            return [{"item": item, "error": ("worker_crashed", reason), "sha256": None}
                    for item in chunk]

        for results in self.run(process_batch, chunks, keys, settings, on_lost=lost):
            yield from results

    def analyze_results(self, tasks: list[Task], settings: FaceSettings, run_id: str
                        ) -> Iterator[tuple[str, Faces | None, str | None]]:
        """``(evidence id, faces or None, error or None)`` per task, in completion order."""
        from workbench.distributed.tasks import FaceModels, analyze_batch
        from workbench.faces.engine import FaceEngine

        self.wait_for_workers()
        plugin = FaceModels(settings)
        # waits until every connected worker has its models (later workers load in setup)
        self.client.register_plugin(plugin, name=plugin.name)
        signature = FaceEngine(settings).signature()
        chunks = batches(tasks, ANALYZE_BATCH, self.threads())
        keys = [_key("analyze", signature, *(task.evidence_id for task in chunk))
                for chunk in chunks]

        def lost(chunk: list[Task], reason: str) -> list[tuple[str, None, str]]:
            return [(task.evidence_id, None, f"analysis failed: {reason}") for task in chunk]

        for results in self.run(analyze_batch, chunks, keys, settings, run_id, on_lost=lost):
            yield from results

    def scan_results(self, kind: str, function: Callable[..., list[Any]], items: list[Any],
                     signature: str, *args: Any) -> Iterator[Any]:
        """The results of a scan's task function (``workbench.distributed.scans``), per item.

        ``function(batch, *args)`` returns one ``(evidence id, result, error)`` per item of a
        batch; several images travel in one task, as in the analysis. Task keys come from
        ``kind``, ``signature`` (what identifies the models and settings) and the items'
        ``key`` (the evidence ids, content hashes, and paths). A batch whose task killed every worker it
        was given comes back as errors, one per item.
        """
        self.wait_for_workers()
        chunks = batches(items, ANALYZE_BATCH, self.threads())
        keys = [_key(kind, signature, *(item.key for item in chunk)) for chunk in chunks]

        def lost(chunk: list[Any], reason: str) -> list[tuple[str, None, str]]:
            return [(item.evidence_id, None, f"{kind} failed: {reason}") for item in chunk]

        for results in self.run(function, chunks, keys, *args, on_lost=lost):
            yield from results


def _key(kind: str, *parts: str) -> str:
    """A task key from content: the same work always has the same key."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogateescape"))
    return f"workbench-{kind}-{digest.hexdigest()[:32]}"



def missing_tls_settings() -> list[str]:
    """The client certificate settings Dask has no value for, as environment variables."""
    import dask

    return ["DASK_" + key.upper().replace(".", "__").replace("-", "_")
            for key in TLS_SETTINGS if not dask.config.get(key, None)]


def unencrypted_remote(address: str) -> bool:
    """A plain-TCP scheduler address on another machine (loopback is this machine)."""
    scheme, _, rest = address.rpartition("://")
    return scheme in ("tcp", "") and not rest.startswith(LOOPBACK)   # Dask's default: tcp


def add_arguments(parser: Any) -> None:
    """``--engine`` and ``--cluster`` for a command whose tasks may run on Dask."""
    parser.add_argument("--engine", choices=ENGINES, default=None,
                        help="local: this machine's process pool (default); dask: a Dask "
                        "LocalCluster here, or the scheduler of --cluster")
    parser.add_argument("--cluster", metavar="tls://HOST:8786", default=None,
                        help="run the tasks on this Dask scheduler's workers (default "
                        "$WORKBENCH_DASK); every worker must see the evidence and the case "
                        "folder at the same paths; tls:// encrypts the traffic with the "
                        "certificates of DASK_DISTRIBUTED__COMM__TLS__* (docs/scale.md)")
