"""``workbench uniforms CASE_DIR``: uniform attributes for every stored face of a case."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.distributed.scans import (
    UniformItem,
    UniformResult,
    make_reader,
    read_people,
    uniforms_task,
)
from workbench.errors import WorkbenchError
from workbench.ingest.images import evidence_path
from workbench.progress import progress_bar
from workbench.store.case import Case
from workbench.types import Faces, Run

if TYPE_CHECKING:
    from workbench.distributed.engine import DaskEngine

RUN_KIND = "uniforms"
METHOD = "geometry-regions-v1"   # face-anchored regions, CIELAB naming, texture patterns


class NoFacesError(WorkbenchError):
    """Uniform extraction needs the faces of a case, and there are none stored."""


def extract_case(case: Case, progress: bool = True,
                 loader: Callable[[Any, Case], np.ndarray] | None = None,
                 reader: str = "body", engine: DaskEngine | None = None) -> dict[str, Any]:
    """Measure and store uniform attributes for every face in ``case``; one Run.

    Args:
        case: an open case whose faces were analysed (``workbench analyze``).
        progress: show a progress bar.
        loader: ``(evidence, case) -> RGB`` (default: the ingest's analysis-ready loader,
            the same pixels the face boxes refer to).
        reader: ``body`` (person mask and pose regions, the default; needs the model
            pack's ``person_mask``, ``pose_detector`` and ``pose_landmarks``) or ``face``
            (regions from face geometry alone).
        engine: a Dask engine (``workbench.distributed``) to read the images on its
            workers, each loading the body models once; default: this process, as before.
            Either way this process alone writes the case, the same rows. A custom
            ``loader`` only runs here (it takes the open case).

    Returns:
        Summary: run_id, images, faces, uniform_likely (faces scoring >= 0.5), errors.
    """
    from workbench.store.faces import embedding_keys, load_faces
    from workbench.uniforms.store import save_attributes

    # One Faces holds one embedding space, so read each face engine's faces separately.
    keys = embedding_keys(case)
    parts = [f for f in (load_faces(case, embedding_key=k) for k in keys) if len(f)]
    # (evidence, its faces of one engine) in evidence order; landmark layouts may differ
    # between engines (68 or 5 points), so parts are never concatenated.
    groups: list[tuple[str, Faces]] = sorted(
        ((str(e), part[part.evidence_id == e]) for part in parts
         for e in dict.fromkeys(part.evidence_id)), key=lambda g: g[0])
    if not groups:
        raise NoFacesError(f"case {case.path} has no stored faces; run the face analysis "
                           f"first (`workbench analyze {case.path}`)")
    if engine is not None and loader is not None:
        raise WorkbenchError("a custom loader runs only in this process: drop engine= or "
                             "loader= (Dask workers read the evidence with load_rgb)")
    if loader is None:
        from workbench.ingest.images import load_rgb

        def loader(evidence: Any, c: Case) -> np.ndarray:
            return load_rgb(evidence, case=c)

    digests: dict[str, str] | None = None
    if reader == "body":
        from workbench.uniforms.body import BodyModels
        from workbench.uniforms.reader import METHOD as BODY_METHOD

        body = BodyModels()      # raises ModelMissing (naming the install command) first
        digests = dict(body.digests)
        models = {"uniforms": BODY_METHOD, **digests}
        read = make_reader(reader, body)
    elif reader == "face":
        models = {"uniforms": METHOD}
        read = make_reader(reader)
    else:
        raise WorkbenchError(f"unknown uniform reader {reader!r}; use 'body' or 'face'")
    run = Run.start(RUN_KIND, models=models,
                    params={"faces": sum(len(f) for _, f in groups), "reader": reader})
    by_evidence: dict[str, list[Faces]] = {}
    for evidence_id, subset in groups:
        by_evidence.setdefault(evidence_id, []).append(subset)
    evidence_ids = list(by_evidence)
    done = likely = 0
    errors: dict[str, str] = {}
    summary: dict[str, Any] = {}

    def summarize() -> dict[str, Any]:
        summary.update({"run_id": run.id, "images": len(evidence_ids), "faces": done,
                        "uniform_likely": int(likely), "errors": len(errors)})
        return summary

    def results() -> Iterator[UniformResult]:
        """``(evidence id, people or None, error or None)`` per image, in any order."""
        items: list[UniformItem] = []
        for evidence_id in evidence_ids:
            faces = by_evidence[evidence_id]
            try:
                evidence = case.get_evidence(evidence_id)
                if engine is None:
                    rgb = loader(evidence, case)
                else:
                    # where load_rgb(evidence, case=case) reads: the worker reads that file
                    items.append(UniformItem(evidence_id, evidence_path(evidence, case),
                                             tuple(faces)))
                    continue
            except WorkbenchError as error:
                yield evidence_id, None, str(error)
                continue
            yield evidence_id, read_people(rgb, faces, read), None
        if engine is not None:
            signature = json.dumps([reader, models], sort_keys=True)
            yield from engine.scan_results("uniforms", uniforms_task, items, signature,
                                           reader, digests)

    with case.recording(run) as rec, progress_bar(
            len(evidence_ids), "uniforms", enabled=progress, unit="image") as bar:
        rec.summarize = summarize
        for evidence_id, people, error in results():
            bar.update(1)
            if people is None:
                errors[evidence_id] = str(error)
                continue
            save_attributes(case, people, run.id)
            done += len(people)
            likely += sum(p.uniform_score >= 0.5 for p in people)
    summary["error_detail"] = errors
    return summary
