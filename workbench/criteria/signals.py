"""Compute image-level signals for a case (today: the explicit-content score) and store them.

Run once per image after ingest; scoring then reads the stored values, so changing rules
never re-runs the detector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.criteria.explicit import SIGNAL, Detection, ExplicitDetector, explicit_score
from workbench.errors import WorkbenchError
from workbench.ingest.images import load_rgb
from workbench.progress import progress_bar
from workbench.store import Case
from workbench.store.signals import evidence_with_signal, write_signals
from workbench.types import Run


@dataclass(frozen=True)
class ScanResult:
    """What an explicit-content scan did: images scored, skipped, failed, and the run."""

    run_id: str
    scored: int
    skipped: int
    failed: int


def scan_explicit(
    case: Case, detector: ExplicitDetector | None = None, force: bool = False,
    progress: bool = True, batch: int = 32,
) -> ScanResult:
    """Score every image and frame of ``case`` with the explicit-content detector.

    Args:
        case: an open case.
        detector: the detector (default: NudeNet 320n from the model pack).
        force: re-score images that already have a score.
        progress: show a progress bar.
        batch: images per database write (what an interruption can lose).
    """
    detector = detector or ExplicitDetector()
    done = evidence_with_signal(case, SIGNAL)
    todo = [e for e in case.iter_evidence() if force or e.id not in done]
    detector.load()  # fail early with ModelMissing, before a run is recorded
    models = {detector.name: detector.version()}
    run = Run.start("explicit", models=models, params={"force": force})
    scored = failed = 0
    pending: list[tuple[str, str, float, dict[str, Any]]] = []
    with case.recording(run) as rec, progress_bar(
            len(todo), "explicit-content scan", enabled=progress, unit="image") as bar:
        for evidence in todo:
            try:
                # The ingest loader: HEIC, zip members and frames, upright like the faces.
                value, label, detections = detector.score(load_rgb(evidence, case=case))
            except WorkbenchError as error:
                failed += 1
                case.audit("explicit.skip", target=evidence.id, detail={"error": str(error)})
                bar.update(1)
                continue
            pending.append((evidence.id, SIGNAL, value, {
                "top_class": label, "detections": [d.as_dict() for d in detections[:20]]}))
            scored += 1
            bar.update(1)
            if len(pending) >= batch:
                write_signals(case, pending, run.id)
                pending.clear()
        write_signals(case, pending, run.id)
        rec.summary.update(scored=scored, failed=failed)
    return ScanResult(run_id=run.id, scored=scored, skipped=len(done) if not force else 0,
                      failed=failed)


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
