"""``workbench uniforms CASE_DIR``: uniform attributes for every stored face of a case."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from workbench.errors import WorkbenchError
from workbench.progress import progress_bar
from workbench.store.case import Case
from workbench.types import Run
from workbench.uniforms.attributes import image_attributes

RUN_KIND = "uniforms"
METHOD = "geometry-regions-v1"   # face-anchored regions, CIELAB naming, texture patterns


class NoFacesError(WorkbenchError):
    """Uniform extraction needs the faces of a case, and there are none stored."""


def extract_case(case: Case, progress: bool = True,
                 loader: Callable[[Any, Case], np.ndarray] | None = None) -> dict[str, Any]:
    """Measure and store uniform attributes for every face in ``case``; one Run.

    Args:
        case: an open case whose faces were analysed (``workbench analyze``).
        progress: show a progress bar.
        loader: ``(evidence, case) -> RGB`` (default: the ingest's analysis-ready loader,
            the same pixels the face boxes refer to).

    Returns:
        Summary: run_id, images, faces, uniform_likely (faces scoring >= 0.5), errors.
    """
    from workbench.store.faces import load_faces
    from workbench.uniforms.store import save_attributes

    faces = load_faces(case)
    if len(faces) == 0:
        raise NoFacesError(f"case {case.path} has no stored faces; run the face analysis "
                           f"first (`workbench analyze {case.path}`)")
    if loader is None:
        from workbench.ingest.images import load_rgb

        def loader(evidence: Any, c: Case) -> np.ndarray:
            return load_rgb(evidence, case=c)

    run = case.start_run(Run.start(RUN_KIND, models={"uniforms": METHOD},
                                   params={"faces": len(faces)}))
    evidence_ids = list(dict.fromkeys(str(e) for e in faces.evidence_id))
    done = likely = 0
    errors: dict[str, str] = {}
    bar = progress_bar(len(evidence_ids), "uniforms", enabled=progress, unit="image")
    status = "failed"
    try:
        for evidence_id in evidence_ids:
            subset = faces[faces.evidence_id == evidence_id]
            try:
                rgb = loader(case.get_evidence(evidence_id), case)
            except WorkbenchError as error:
                errors[evidence_id] = str(error)
                bar.update(1)
                continue
            people = image_attributes(rgb, subset)
            save_attributes(case, people, run.id)
            done += len(people)
            likely += sum(p.uniform_score >= 0.5 for p in people)
            bar.update(1)
        status = "done"
    finally:
        bar.close()
        summary = {"run_id": run.id, "images": len(evidence_ids), "faces": done,
                   "uniform_likely": int(likely), "errors": len(errors)}
        case.finish_run(run.id, status=status, summary=summary)
    summary["error_detail"] = errors
    return summary
