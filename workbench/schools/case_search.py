"""Search schools for a face of a case, using its (corrected) attributes; store the hits."""

from __future__ import annotations

from collections.abc import Sequence

from workbench.errors import ValidationError
from workbench.schools.registry import School, load_registry
from workbench.schools.search import GeoPrior, SchoolMatch, search_schools
from workbench.store.case import Case
from workbench.types import Run


def search_face(case: Case, face_id: str, schools: Sequence[School] | None = None,
                top: int = 10, prior: GeoPrior | None = None, save: bool = True,
                use_geotag: bool = True) -> list[SchoolMatch]:
    """Rank schools for one face of ``case``; corrections are what gets searched.

    Args:
        case: the open case (``workbench uniforms`` must have run).
        face_id: the face.
        schools: the registry (default: the sample registry).
        top: how many schools to return (and store as hits).
        prior: a geographic prior; by default the evidence's own geotag, if it has one.
        save: store the results as ``school`` hits under a ``school_search`` run.
        use_geotag: fall back to the evidence geotag when ``prior`` is None.

    Returns:
        The ranked :class:`SchoolMatch` list.
    """
    from workbench.uniforms.store import load_attributes, observation

    faces = load_attributes(case, face_ids=[face_id])
    if face_id not in faces:
        raise ValidationError(f"face {face_id!r} has no uniform attributes; run "
                              f"`workbench uniforms {case.path}` first")
    face = faces[face_id]
    if prior is None and use_geotag:
        evidence = case.get_evidence(face["evidence_id"])
        if evidence.location is not None:
            prior = GeoPrior(near=evidence.location)
    schools = load_registry() if schools is None else schools
    results = search_schools(observation(face), schools, top=top, prior=prior)
    if save:
        run = case.start_run(Run.start("school_search", models={"search": "uniform-likelihood-v1"},
                                       params={"face_id": face_id, "top": top,
                                               "near": None if prior is None else prior.near}))
        # Hit ids derive from evidence, kind, school and face: a repeated search adds nothing.
        case.add_hits([r.to_hit(face["evidence_id"], run.id, face_id) for r in results])
        case.finish_run(run.id, summary={"results": len(results)})
    return results
