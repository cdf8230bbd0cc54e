"""Analyse every image and sampled video frame of a case: parallel, resumable, with progress.

Workers are separate processes, each loading the models once; the parent alone writes
to the case store (SQLite has one writer). Evidence already covered by an equivalent
analysis (same models and settings, i.e. the same signature) is skipped, so an
interrupted run resumes where it stopped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench.errors import CaseError, EvidenceError
from workbench.faces.engine import FaceEngine
from workbench.faces.settings import FaceSettings
from workbench.types import Faces

if TYPE_CHECKING:
    from workbench.distributed.engine import DaskEngine

KINDS = ("image", "video_frame")
# Faces are written in batches: fewer transactions, little lost on interruption.
BATCH = 16

_worker_engine: FaceEngine | None = None
_worker_run_id: str | None = None


@dataclass(frozen=True)
class Task:
    """One evidence item to analyse, with the path its pixels are read from."""

    evidence_id: str
    path: str


def load_pixels(path: str) -> Any:
    """Analysis-ready RGB (EXIF orientation applied) through the ingest loader."""
    from workbench.ingest.images import load_rgb

    return load_rgb(path)


def _init_worker(settings: FaceSettings, run_id: str) -> None:
    global _worker_engine, _worker_run_id
    # One OpenMP thread per worker (YuNet's library reads this when it loads): the pool
    # already spreads the work over the cores.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _worker_engine = FaceEngine(settings).load()
    _worker_run_id = run_id  # results carry the parent's run


def _analyze(task: Task) -> tuple[str, Faces | None, str | None]:
    engine = _worker_engine
    assert engine is not None, "worker not initialised"
    try:
        rgb = load_pixels(task.path)
    except (EvidenceError, OSError) as error:
        return task.evidence_id, None, f"unreadable: {error}"
    try:
        faces = engine.analyze_image(rgb, evidence_id=task.evidence_id, run_id=_worker_run_id)
    except (ValueError, RuntimeError) as error:
        # dlib and onnxruntime raise these on images they cannot process; one bad item
        # is recorded with its reason and does not stop the case.
        return task.evidence_id, None, f"analysis failed: {type(error).__name__}: {error}"
    return task.evidence_id, faces, None


def analyze_tasks(tasks: list[Task], settings: FaceSettings, run_id: str, workers: int
                  ) -> Iterator[tuple[str, Faces | None, str | None]]:
    """``(evidence id, faces or None, error or None)`` for each task, in task order.

    The worker code of ``analyze``: the pixels through the ingest loader, then
    ``FaceEngine.analyze_image``. Measurements (``workbench eval age``) use it too, so
    their figures are the figures of what a case stores.
    """
    from workbench.parallel import process_pool, stop_on_signals

    if workers <= 1:
        with stop_on_signals():  # SIGTERM unwinds like Ctrl-C: the run is marked interrupted
            _init_worker(settings, run_id)
            for task in tasks:
                yield _analyze(task)
        return
    import multiprocessing

    # forkserver: workers start clean (no inherited SQLite handle or threads).
    # process_pool: an interruption (Ctrl-C, SIGTERM) terminates the workers and drops
    # the queued items; the workers also die if this process is killed.
    context = multiprocessing.get_context("forkserver")
    with process_pool(workers, mp_context=context, initializer=_init_worker,
                      initargs=(settings, run_id)) as pool:
        yield from pool.map(_analyze, tasks, chunksize=1)


def analyze_case(case_dir: str | os.PathLike[str] | Any, settings: FaceSettings | None = None,
                 workers: int = 1, progress: bool = True, limit: int | None = None,
                 cluster: DaskEngine | None = None) -> dict[str, Any]:
    """Analyse the faces of every image and video frame of a case not yet analysed.

    Args:
        case_dir: case folder, or an open :class:`~workbench.store.Case`.
        settings: engine settings (default :class:`FaceSettings`).
        workers: processes; each loads the models once.
        progress: show a ``tqdm.auto`` bar.
        limit: analyse at most this many pending items (for a quick look).
        cluster: a Dask cluster to analyse on (``workbench.distributed``; the same task
            function, models loaded once per worker); default the local process pool.

    Returns:
        Summary: ``run_id``, ``analysed``, ``skipped``, ``faces``, ``errors``, ``signature``.
    """
    from workbench.progress import progress_bar
    from workbench.store import Case
    from workbench.store.faces import analysed_evidence, save_faces

    settings = settings or FaceSettings()
    own = not isinstance(case_dir, Case)
    case = Case.open(case_dir) if own else case_dir
    try:
        engine = FaceEngine(settings)
        signature = engine.signature()
        done = analysed_evidence(case, signature)
        evidence = [e for e in case.iter_evidence(KINDS)]
        pending = [e for e in evidence if e.id not in done]
        if limit is not None:
            pending = pending[:limit]
        summary: dict[str, Any] = {"signature": signature, "skipped": len(evidence) - len(pending),
                                   "analysed": 0, "faces": 0, "errors": {}, "run_id": None}
        if not pending:
            return summary
        tasks, errors = [], {}
        for item in pending:
            try:
                tasks.append(Task(item.id, case.pixels_path(item)))
            except CaseError as error:
                errors[item.id] = str(error)
        run = engine.new_run(workers=workers, pending=len(pending), tasks_on=(
            "local pool" if cluster is None else cluster.describe()))
        with case.recording(run) as rec:
            rec.summarize = lambda: {k: summary[k] for k in ("analysed", "skipped", "faces")
                                     } | {"errors": len(errors)}
            summary["run_id"] = run.id
            if errors:
                save_faces(case, Faces.empty(run_id=run.id), list(errors), signature, errors)
            bar = progress_bar(len(tasks), "faces", enabled=progress, unit="image")
            batch: list[Faces] = []
            batch_ids: list[str] = []
            batch_errors: dict[str, str] = {}

            def flush() -> None:
                if batch_ids:
                    merged = Faces.merge(batch) if batch else Faces.empty(run_id=run.id)
                    merged.run_id = run.id
                    summary["faces"] += save_faces(case, merged, batch_ids, signature, batch_errors)
                    batch.clear(), batch_ids.clear(), batch_errors.clear()

            try:
                results = (analyze_tasks(tasks, settings, run.id, workers) if cluster is None
                           else cluster.analyze_results(tasks, settings, run.id))
                for evidence_id, faces, error in results:
                    batch_ids.append(evidence_id)
                    if error is not None:
                        batch_errors[evidence_id] = errors[evidence_id] = error
                    elif faces is not None and len(faces):
                        batch.append(faces)
                    summary["analysed"] += 1
                    bar.update(1)
                    if len(batch_ids) >= BATCH:
                        flush()
            finally:
                flush()  # keep every finished item, even when interrupted
                bar.close()
                summary["errors"] = errors
        return summary
    finally:
        if own:
            case.close()
