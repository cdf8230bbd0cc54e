"""Compute image-level signals for a case (today: the explicit-content score) and store them.

Run once per image after ingest; scoring then reads the stored values, so changing rules
never re-runs the detector.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench.criteria.explicit import SIGNAL, Detection, ExplicitDetector, explicit_score
from workbench.distributed.scans import (
    ExplicitResult,
    ScanItem,
    detector_key,
    explicit_task,
    score_explicit,
)
from workbench.errors import WorkbenchError
from workbench.ingest.images import evidence_path
from workbench.progress import progress_bar
from workbench.store import Case
from workbench.store.signals import evidence_with_signal, write_signals
from workbench.types import Evidence, Run

if TYPE_CHECKING:
    from workbench.distributed.engine import DaskEngine


@dataclass(frozen=True)
class ScanResult:
    """What an explicit-content scan did: images scored, skipped, failed, and the run."""

    run_id: str
    scored: int
    skipped: int
    failed: int


def scan_explicit(
    case: Case, detector: ExplicitDetector | None = None, force: bool = False,
    progress: bool = True, batch: int = 32, engine: DaskEngine | None = None,
) -> ScanResult:
    """Score every image and frame of ``case`` with the explicit-content detector.

    Args:
        case: an open case.
        detector: the detector (default: NudeNet 320n from the model pack).
        force: re-score images that already have a score.
        progress: show a progress bar.
        batch: images per database write (what an interruption can lose).
        engine: a Dask engine (``workbench.distributed``) to score on its workers, each
            loading the detector once; default: this process, as before. Either way this
            process alone writes the case, the same rows.
    """
    detector = detector or ExplicitDetector()
    done = evidence_with_signal(case, SIGNAL)
    todo = [e for e in case.iter_evidence() if force or e.id not in done]
    detector.load()  # fail early with ModelMissing, before a run is recorded
    version = detector.version()
    models = {detector.name: version}
    params: dict[str, Any] = {"force": force}
    if engine is not None:
        params["tasks_on"] = engine.describe()
    run = Run.start("explicit", models=models, params=params)
    scored = failed = 0
    pending: list[tuple[str, str, float, dict[str, Any]]] = []
    with case.recording(run) as rec, progress_bar(
            len(todo), "explicit-content scan", enabled=progress, unit="image") as bar:
        try:
            for evidence_id, row, error in _explicit_results(case, todo, detector, version,
                                                             engine):
                bar.update(1)
                if row is None:
                    failed += 1
                    case.audit("explicit.skip", target=evidence_id, detail={"error": error})
                    continue
                pending.append(row)
                scored += 1
                if len(pending) >= batch:
                    write_signals(case, pending, run.id)
                    pending.clear()
        finally:
            write_signals(case, pending, run.id)  # keep every finished image, even interrupted
            rec.summary.update(scored=scored, failed=failed)
    return ScanResult(run_id=run.id, scored=scored, skipped=len(done) if not force else 0,
                      failed=failed)


def _explicit_results(case: Case, todo: list[Evidence], detector: ExplicitDetector,
                      version: str, engine: DaskEngine | None) -> Iterator[ExplicitResult]:
    """``(evidence id, signal row or None, error or None)`` per image, in any order."""
    items: list[ScanItem] = []
    for evidence in todo:
        try:
            # where load_rgb(evidence, case=case) reads: the worker reads the same file
            items.append(ScanItem(evidence.id, evidence_path(evidence, case)))
        except WorkbenchError as error:
            yield evidence.id, None, str(error)
    if engine is None:
        for item in items:
            yield from score_explicit([item], detector)
        return
    key = detector_key(detector, version)
    yield from engine.scan_results("explicit", explicit_task, items, "\0".join(key),
                                   detector, key)


def signals_from_detections(
    detections: dict[str, list[Detection]],
) -> list[tuple[str, str, float, dict[str, Any]]]:
    """Signal rows from detector outputs per evidence id (how tests feed synthetic outputs)."""
    rows = []
    for evidence_id, found in detections.items():
        value, label = explicit_score(found)
        rows.append((evidence_id, SIGNAL, value,
                     {"top_class": label, "detections": [d.as_dict() for d in found]}))
    return rows
