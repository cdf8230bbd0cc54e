"""Search schools for the faces of a case, seeded from the case's geotags; store the hits.

* :func:`search_face` - one face: its (corrected) attributes, a geographic prior from its
  photo's geotag (or the case's geotags), results stored as ``school`` hits.
* :func:`search_case` - every face whose uniform score and visible items are enough.
* :func:`case_prior` - the prior a face gets, and in words why.
* :func:`school_places` - candidate schools of the case's ``school`` hits as map records
  (``lat``, ``lon``, ``name``, ``score``, ``explanation`` with the matched items and the
  tie group), the input of :func:`workbench.geo.layers.case_layers`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import ValidationError
from workbench.schools.registry import School, load_registry
from workbench.schools.search import GeoPrior, SchoolMatch, haversine_km, search_schools
from workbench.store.case import Case
from workbench.store.evidence import geotags
from workbench.store.hits import school_hits
from workbench.store.runs import run_params
from workbench.types import Run

MODEL = "uniform-likelihood-v2"   # calibrated observation model, tie groups
# A photo with no geotag of its own is placed by the case's geotags: their median point,
# with a scale that covers their spread (never tighter than a geotag's own scale).
GEOTAG_SCALE_KM = 25.0
CASE_SCALE_MIN_KM = 50.0


def case_geotag_centre(case: Case) -> tuple[tuple[float, float], float] | None:
    """Median geotag of the case and the median distance of its geotags from it (km)."""
    frame = geotags(case)
    if not len(frame):
        return None
    lat, lon = float(frame["lat"].median()), float(frame["lon"].median())
    spread = float(np.median(haversine_km(lat, lon, frame["lat"].to_numpy(float),
                                          frame["lon"].to_numpy(float))))
    return (lat, lon), spread


def case_prior(case: Case, evidence_id: str, scale_km: float = GEOTAG_SCALE_KM,
               use_case_geotags: bool = True) -> tuple[GeoPrior | None, str]:
    """The geographic prior for a face in ``evidence_id``, and where it comes from.

    The photo's own geotag first (``scale_km``); else the median of the case's geotags
    with a scale of their spread (at least :data:`CASE_SCALE_MIN_KM`); else none.
    """
    evidence = case.get_evidence(evidence_id)
    if evidence.location is not None:
        lat, lon = evidence.location
        return GeoPrior(near=(lat, lon), scale_km=scale_km), f"photo geotag {lat:.4f},{lon:.4f}"
    if use_case_geotags:
        centre = case_geotag_centre(case)
        if centre is not None:
            (lat, lon), spread = centre
            scale = max(CASE_SCALE_MIN_KM, spread)
            return (GeoPrior(near=(lat, lon), scale_km=scale),
                    f"case geotags' median {lat:.4f},{lon:.4f} (scale {scale:.0f} km)")
    return None, "no geotag: uniform only"


def _run_params(face_ids: Sequence[str], top: int, priors: dict[str, str],
                registry: str | None = None) -> dict[str, Any]:
    # The registry file is recorded so that maps can place the schools found in it.
    return {"faces": list(face_ids)[:50], "top": top, "priors": priors,
            "registry": str(Path(registry).resolve()) if registry else None}


def search_face(case: Case, face_id: str, schools: Sequence[School] | None = None,
                top: int = 10, prior: GeoPrior | None = None, save: bool = True,
                use_geotag: bool = True, use_case_geotags: bool = True) -> list[SchoolMatch]:
    """Rank schools for one face of ``case``; corrections are what gets searched.

    Args:
        case: the open case (``workbench uniforms`` must have run).
        face_id: the face.
        schools: the registry (default: the sample registry).
        top: how many schools to return (and store as hits).
        prior: a geographic prior; by default from the geotags (:func:`case_prior`).
        save: store the results as ``school`` hits under a ``school_search`` run.
        use_geotag: derive a prior from the geotags when ``prior`` is None.
        use_case_geotags: a photo without a geotag uses the case's geotags.

    Returns:
        The ranked :class:`SchoolMatch` list (tie groups marked).
    """
    from workbench.uniforms.store import load_attributes, observation

    faces = load_attributes(case, face_ids=[face_id])
    if face_id not in faces:
        raise ValidationError(f"face {face_id!r} has no uniform attributes; run "
                              f"`workbench uniforms {case.path}` first")
    face = faces[face_id]
    why = "given" if prior is not None else "no geotag: uniform only"
    if prior is None and use_geotag:
        prior, why = case_prior(case, face["evidence_id"], use_case_geotags=use_case_geotags)
    schools = load_registry() if schools is None else schools
    results = search_schools(observation(face), schools, top=top, prior=prior)
    if save:
        _store(case, {face_id: (face["evidence_id"], results)}, top, {face_id: why})
    return results


def _store(case: Case, found: dict[str, tuple[str, list[SchoolMatch]]], top: int,
           priors: dict[str, str], registry: str | None = None) -> str:
    run = Run.start("school_search", models={"search": MODEL},
                    params=_run_params(list(found), top, priors, registry))
    stored = 0
    with case.recording(run) as rec:
        # A new search of a face supersedes its earlier school hits (after a correction, a
        # new geotag or a new model the ranking differs); review decisions live apart.
        with case.transaction():
            for face_id, (evidence_id, results) in found.items():
                case.add_hits([r.to_hit(evidence_id, run.id, face_id) for r in results],
                              replace={"kind": "school", "face_id": face_id})
                stored += len(results)
        rec.summary.update(faces=len(found), results=stored)
    return run.id


def search_case(case: Case, schools: Sequence[School] | None = None, top: int = 10,
                min_uniform_score: float = 0.5, min_items: int = 2, save: bool = True,
                use_case_geotags: bool = True, progress: bool = False,
                registry: str | None = None) -> dict[str, Any]:
    """Search schools for every face that looks like a uniform; one run, hits stored.

    A face is searched when its uniform score is at least ``min_uniform_score`` and at
    least ``min_items`` items were seen present. Each face gets its photo's geotag prior
    (or the case's, see :func:`case_prior`). ``registry`` names the CSV ``schools`` came
    from (recorded in the run, so :func:`school_places` can place its schools).

    Returns:
        ``{"run_id", "faces", "searched", "results": {face_id: [SchoolMatch...]},
        "priors": {face_id: why}}``.
    """
    from workbench.progress import progress_bar
    from workbench.uniforms.store import load_attributes, observation

    faces = load_attributes(case)
    if not faces:
        raise ValidationError(f"case {case.path} has no uniform attributes; run "
                              f"`workbench uniforms {case.path}` first")
    schools = load_registry() if schools is None else schools
    chosen = {f: v for f, v in faces.items()
              if (v["uniform_score"] or 0.0) >= min_uniform_score
              and sum(bool(i["present"]) for i in v["items"].values()) >= min_items}
    found: dict[str, tuple[str, list[SchoolMatch]]] = {}
    priors: dict[str, str] = {}
    bar = progress_bar(len(chosen), "schools", enabled=progress, unit="face")
    try:
        for face_id, face in sorted(chosen.items()):
            prior, priors[face_id] = case_prior(case, face["evidence_id"],
                                                use_case_geotags=use_case_geotags)
            found[face_id] = (face["evidence_id"],
                              search_schools(observation(face), schools, top=top, prior=prior))
            bar.update(1)
    finally:
        bar.close()
    run_id = _store(case, found, top, priors, registry) if save and found else ""
    return {"run_id": run_id, "faces": len(faces), "searched": len(found),
            "results": {f: r for f, (_, r) in found.items()}, "priors": priors}


def searched_registries(case: Case) -> list[School]:
    """The schools of every registry the case's school searches used (default included)."""
    schools = {s.id: s for s in load_registry()}
    for params in run_params(case, "school_search"):
        path = (json.loads(params) or {}).get("registry")
        if path and Path(path).is_file():
            schools.update((s.id, s) for s in load_registry(path))
    return list(schools.values())


def school_places(case: Case, schools: Sequence[School] | None = None) -> list[dict[str, Any]]:
    """Candidate schools of the case's ``school`` hits as map records, best score first.

    One record per school (its best hit), with ``lat``, ``lon``, ``name``, ``score``, ``id``
    and an ``explanation`` naming the items that matched and the tie group, e.g.
    ``"matched tie, jumper (2 faces); tied: 12 schools explain this equally, ranks 4-15"``.
    Hits of schools missing from the registry are left out (they cannot be placed).
    """
    hits = school_hits(case)
    if not len(hits):
        return []
    registry = {s.id: s for s in (searched_registries(case) if schools is None else schools)}
    best: dict[str, dict[str, Any]] = {}
    for row in hits.itertuples():
        sid = str(row.source).split(" ", 1)[0]
        school = registry.get(sid)
        if school is None:
            continue
        entry = best.setdefault(sid, {"school": school, "score": float(row.score),
                                      "conditions": json.loads(row.conditions), "faces": set()})
        entry["faces"].add(row.face_id)
    out = []
    for sid, entry in best.items():
        conditions = entry["conditions"]
        items = [c["name"] for c in conditions if c["fired"] and c["name"] != "tie_group"]
        tie = next((c for c in conditions if c["name"] == "tie_group"), None)
        text = f"matched {', '.join(items) or 'no item'}"
        faces = len(entry["faces"])
        text += f" ({faces} face{'s' if faces != 1 else ''})"
        if tie is not None:
            text += f"; {tie['detail']}"
        school = entry["school"]
        out.append({"id": sid, "lat": school.lat, "lon": school.lon, "name": school.name,
                    "score": entry["score"], "explanation": text,
                    "uniform_source": school.uniform_source})
    out.sort(key=lambda r: -r["score"])
    return out
