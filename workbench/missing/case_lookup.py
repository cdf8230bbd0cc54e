"""Run registry lookups over whole cases, in both directions, traced to a ``Run``.

* :func:`lookup_case` - every face of a case against the registry.
* :func:`reverse_search` - one (new) missing person against every face in every case the
  analyst can see (a list of case folders).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from workbench.missing.lookup import (
    AlertHook,
    Candidate,
    FaceQuery,
    LookupSettings,
    RecordFilter,
    filter_records,
    hit_for,
    queries_from_faces,
    search_face,
    store_hits,
)
from workbench.missing.records import MissingPersonsError
from workbench.missing.store import Registry
from workbench.missing.threshold import Threshold, default_threshold
from workbench.types import Condition, Faces, Hit, Run

FacesLoader = Callable[[Any], Faces]
"""Reads a case's faces (with embeddings) back as one ``Faces``."""


def load_case_faces(case: Any, embedding_key: str | None = None) -> Faces:
    """The case's faces (with embeddings) from the face store, one embedding key.

    Args:
        case: the open case.
        embedding_key: which key to read (default: the most common in the case).
    """
    from workbench.store.faces import load_faces

    return load_faces(case, embedding_key=embedding_key)


def case_faces_for(case: Any, keys: Sequence[str]) -> tuple[Faces, dict[str, int]]:
    """The case faces whose key the registry has, and a count of the others by key."""
    from workbench.store.faces import embedding_key_counts

    counts = embedding_key_counts(case)
    usable = [k for k in keys if k in counts]
    skipped = {str(k): int(n) for k, n in counts.items() if k not in usable}
    if not usable:
        return Faces.empty(), skipped
    # One Faces holds one embedding space; a registry rarely has more than one key.
    best = max(usable, key=lambda k: counts[k])
    skipped.update({k: int(counts[k]) for k in usable if k != best})
    return load_case_faces(case, best), skipped


def photo_dates(case: Any, evidence_ids: Sequence[str]) -> dict[str, date | None]:
    """Capture date of each evidence item (None when unknown)."""
    out: dict[str, date | None] = {}
    for evidence_id in set(evidence_ids):
        captured = case.get_evidence(evidence_id).captured_at
        out[evidence_id] = captured.date() if captured else None
    return out


@dataclass
class FaceResult:
    """The candidates found for one face."""

    query: FaceQuery
    candidates: list[Candidate]

    def as_dict(self) -> dict[str, Any]:
        return {"face_id": self.query.face_id, "evidence_id": self.query.evidence_id,
                "age": self.query.age, "age_low": self.query.age_low,
                "age_high": self.query.age_high, "sex": self.query.sex, "xyxy": self.query.xyxy,
                "candidates": [c.as_dict() for c in self.candidates]}


@dataclass
class LookupResult:
    """What a case lookup found, and the run that found it."""

    run: Run
    faces: list[FaceResult] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    skipped_keys: dict[str, int] = field(default_factory=dict)

    @property
    def verified(self) -> list[tuple[FaceQuery, Candidate]]:
        return [(f.query, c) for f in self.faces for c in f.candidates if c.verified]


def lookup_case(case: Any, registry: Registry, threshold: Threshold | None = None,
                settings: LookupSettings | None = None, faces: Faces | None = None,
                on_verified: AlertHook | None = None, today: date | None = None
                ) -> LookupResult:
    """Look every face of ``case`` up in ``registry``; store hits; alert on verified ones.

    Args:
        case: an open :class:`~workbench.store.Case`.
        registry: the registry to search.
        threshold: verification cut (default: the face engine's calibration).
        settings: :class:`LookupSettings`.
        faces: the faces to look up (default: all the case's faces).
        on_verified: called once per verified candidate (alerts).
        today: reference date for "years since missing" (default: today).
    """
    settings = settings or LookupSettings()
    skipped: dict[str, int] = {}
    if faces is None:
        faces, skipped = case_faces_for(case, registry.embedding_keys())
    threshold = threshold or default_threshold(faces.embedding_key or None)
    run = Run.start(
        "registry.lookup", models={"embedding_key": faces.embedding_key},
        params={"registry": registry.location, "k": settings.k, "threshold": threshold.similarity,
                "threshold_source": threshold.source, "store": settings.store,
                "sex_min_confidence": settings.sex_min_confidence,
                "age_sigmas": settings.age.sigmas, "age_margin": settings.age.margin_years})
    result = LookupResult(run, skipped_keys=skipped)
    with case.recording(run) as rec:
        rec.summarize = lambda: {
            "faces": len(result.faces), "hits": len(result.hits),
            "verified": len(result.verified), "skipped_other_keys": result.skipped_keys}
        keys = set(registry.embedding_keys())
        if faces.embedding_key and faces.embedding_key not in keys and len(faces):
            # Never compare across models: say so instead of returning nonsense.
            result.skipped_keys[faces.embedding_key] = len(faces)
        else:
            records = RecordFilter(registry.records(), settings, today)
            dates = photo_dates(case, list(faces.evidence_id))
            for query in queries_from_faces(faces, dates):
                candidates = search_face(registry, query, threshold, settings, records, today)
                result.faces.append(FaceResult(query, candidates))
                for cand in candidates:
                    if cand.verified or settings.store == "all":
                        result.hits.append(hit_for(cand, query, registry, run.id))
                    if cand.verified and on_verified is not None:
                        on_verified(case, query, cand)
            store_hits(case, result.hits)
    return result


@dataclass
class ReverseMatch:
    """A face in some case that may show the record's person."""

    case_path: str
    query: FaceQuery
    candidate: Candidate


def reverse_search(registry: Registry, record_id: str, case_dirs: Sequence[str | os.PathLike],
                   threshold: Threshold | None = None, settings: LookupSettings | None = None,
                   on_verified: AlertHook | None = None, today: date | None = None,
                   faces_loader: FacesLoader | None = None) -> list[ReverseMatch]:
    """Search one record's photos against every face of every listed case.

    Faces are filtered by the record's sex and age window exactly as in a forward
    lookup; the similarity of a face is its best similarity to any of the record's photos
    with the same embedding key. Matches at or above the threshold become hits in their
    case (and alerts through ``on_verified``); all matches are returned, best first.
    """
    from workbench.store import Case

    settings = settings or LookupSettings()
    loader = faces_loader or (lambda case: case_faces_for(case, registry.embedding_keys())[0])
    record = registry.get(record_id)
    found: list[ReverseMatch] = []
    for case_dir in case_dirs:
        with Case.open(case_dir) as case:
            faces = loader(case)
            photos = record_embeddings(registry, record_id, faces.embedding_key)
            if not len(faces) or photos is None:
                continue
            cut = threshold or default_threshold(faces.embedding_key)
            run = Run.start(
                "registry.reverse", models={"embedding_key": faces.embedding_key},
                params={"registry": registry.location, "record_id": record_id,
                        "threshold": cut.similarity, "threshold_source": cut.source})
            with case.recording(run) as rec:
                hits: list[Hit] = []
                queries = queries_from_faces(faces, photo_dates(case, list(faces.evidence_id)))
                for query in queries:
                    passed = filter_records([record], query, settings, today)
                    if record.id not in passed:
                        continue
                    sims = photos @ (query.embedding / max(np.linalg.norm(query.embedding), 1e-12))
                    best = int(np.argmax(sims))
                    similarity = float(sims[best])
                    verified = cut.decide(similarity)
                    conds = (*passed[record.id],
                             Condition("similarity", round(similarity, 4), True,
                                       f"cosine {similarity:.3f} to the record's photo {best + 1}"),
                             Condition("verified", verified, verified,
                                       f"threshold {cut.similarity:.3f} ({cut.source})"))
                    cand = Candidate(record, best, similarity, verified, cut.similarity, 0, conds)
                    found.append(ReverseMatch(str(case.path), query, cand))
                    if verified:
                        hits.append(hit_for(cand, query, registry, run.id))
                        if on_verified is not None:
                            on_verified(case, query, cand)
                store_hits(case, hits)
                rec.summary.update(faces=len(queries), hits=len(hits))
    found.sort(key=lambda m: -m.candidate.similarity)
    return found


def record_embeddings(registry: Registry, record_id: str, embedding_key: str
                      ) -> np.ndarray | None:
    """The record's photo embeddings with this key, ``(n, d)`` normalised, or None."""
    getter = getattr(registry, "photo_embeddings", None)
    if getter is None:
        raise MissingPersonsError(f"{type(registry).__name__} cannot list photo embeddings")
    matrix = getter(record_id, embedding_key)
    if matrix is None or not len(matrix):
        return None
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)
