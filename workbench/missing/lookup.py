"""Look a case face up in a missing-person registry, and a new record up in the cases.

For each face: keep the records whose sex and age window fit (unknowns pass and say so),
rank them by face similarity (cosine of L2-normalised embeddings with the same
``embedding_key``), then verify each at the calibrated threshold. Every candidate carries
the conditions it passed, so an analyst sees why it is on screen. Verified candidates
become :class:`~workbench.types.Hit` rows of kind ``registry`` in the case. A candidate is
a lead for a trained person to examine, never an identification.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np

from workbench.missing.agewindow import AgeSettings, check_age
from workbench.missing.records import MissingPerson, normalise_sex
from workbench.missing.store import Registry
from workbench.missing.threshold import Threshold, default_threshold
from workbench.types import Condition, Faces, Hit

HIT_KIND = "registry"


@dataclass(frozen=True)
class LookupSettings:
    """Knobs of a lookup.

    Attributes:
        k: candidates kept per face.
        age: age-window settings.
        sex_min_confidence: below this gender confidence the sex filter is not applied.
        store: ``verified`` stores only verified candidates as hits; ``all`` stores every
            candidate shown (for a full audit of what was considered).
    """

    k: int = 10
    age: AgeSettings = field(default_factory=AgeSettings)
    sex_min_confidence: float = 0.9
    store: str = "verified"


@dataclass(frozen=True)
class FaceQuery:
    """One face to look up, with what the filters need."""

    embedding: np.ndarray
    embedding_key: str
    face_id: str = ""
    evidence_id: str = ""
    age: float | None = None
    age_std: float | None = None
    age_low: float | None = None
    age_high: float | None = None
    sex: str = "unknown"
    sex_confidence: float | None = None
    photo_date: date | None = None
    xyxy: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class Candidate:
    """A registry record near a face, and why it is shown."""

    record: MissingPerson
    photo_id: int
    similarity: float
    verified: bool
    threshold: float
    rank: int
    conditions: tuple[Condition, ...]

    def reasons(self) -> list[str]:
        """One line per condition: ``sex: passed (face female 0.97, record female)``."""
        return [f"{c.name}: {'passed' if c.fired else 'not met'} ({c.detail})"
                for c in self.conditions]

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly: record, similarity, decision and reasons."""
        return {
            "rank": self.rank, "record_id": self.record.id, "name": self.record.name,
            "similarity": round(self.similarity, 4), "verified": self.verified,
            "threshold": round(self.threshold, 4), "photo_id": self.photo_id,
            "reasons": self.reasons(), "conditions": [c.as_dict() for c in self.conditions],
            "record": self.record.as_dict(),
        }


def sex_condition(record: MissingPerson, query: FaceQuery, min_confidence: float) -> Condition:
    """Sex filter: passes unless both sides are known, confident, and differ."""
    conf = query.sex_confidence
    face = f"face {query.sex}" + (f" {conf:.2f}" if conf is not None else "")
    detail = f"{face}, record {record.sex}"
    if record.sex == "unknown" or query.sex == "unknown":
        return Condition("sex", record.sex, True, detail + "; unknown side, not filtered")
    if conf is not None and conf < min_confidence:
        return Condition("sex", record.sex, True,
                         detail + f"; confidence below {min_confidence}, not filtered")
    return Condition("sex", record.sex, record.sex == query.sex, detail)


def filter_records(records: Iterable[MissingPerson], query: FaceQuery,
                   settings: LookupSettings, today: date | None = None
                   ) -> dict[str, tuple[Condition, Condition]]:
    """The records that pass the sex and age filters, with the two conditions each."""
    passed: dict[str, tuple[Condition, Condition]] = {}
    for record in records:
        sex = sex_condition(record, query, settings.sex_min_confidence)
        if not sex.fired:
            continue
        age = check_age(record, query.age, query.age_std, query.photo_date, today, settings.age)
        if not age.passed:
            continue
        window = list(age.record_window) if age.record_window else None
        passed[record.id] = (sex, Condition("age_window", window, True, age.detail))
    return passed


class RecordFilter:
    """The sex and age filters over many records at once (numpy), for big registries.

    Agrees with :func:`filter_records` record by record; the per-record conditions (the
    explanations) are only built for the candidates that are finally shown.
    """

    def __init__(self, records: Sequence[MissingPerson], settings: LookupSettings,
                 today: date | None = None) -> None:
        self.records = list(records)
        self.settings = settings
        self.today = today or date.today()
        self.ids = np.array([r.id for r in self.records], dtype=object)
        self.sex = np.array([r.sex for r in self.records], dtype=object)
        nan = float("nan")
        self.age_min = np.array([nan if r.age_missing_min is None else r.age_missing_min
                                 for r in self.records], dtype=np.float64)
        self.age_max = np.array([nan if r.age_missing_max is None else r.age_missing_max
                                 for r in self.records], dtype=np.float64)
        self.last_seen = np.array([nan if r.date_last_seen is None else
                                   r.date_last_seen.toordinal() for r in self.records],
                                  dtype=np.float64)

    def mask(self, query: FaceQuery) -> np.ndarray:
        """Which records pass both filters for this face."""
        n = len(self.records)
        ok = np.ones(n, dtype=bool)
        conf = query.sex_confidence
        if query.sex != "unknown" and (conf is None or conf >= self.settings.sex_min_confidence):
            ok &= (self.sex == "unknown") | (self.sex == query.sex)
        if query.age is None or query.age != query.age:
            return ok
        from workbench.missing.agewindow import face_age_interval

        lo, hi = face_age_interval(float(query.age), query.age_std, self.settings.age)
        unknown_seen = np.isnan(self.last_seen)
        if query.photo_date is not None:
            delta = (query.photo_date.toordinal() - self.last_seen) / 365.25
            w_lo, w_hi = self.age_min + delta, self.age_max + delta
        else:
            since = np.maximum(0.0, (self.today.toordinal() - self.last_seen) / 365.25)
            w_lo = self.age_min - self.settings.age.unknown_photo_before_years
            w_hi = self.age_max + since
        w_lo = np.where(unknown_seen, self.age_min, w_lo)
        w_hi = np.where(unknown_seen, self.age_max + 100.0, w_hi)
        no_age = np.isnan(self.age_min)
        with np.errstate(invalid="ignore"):
            ok &= no_age | ((lo <= w_hi) & (w_lo <= hi))
        return ok

    def passed(self, query: FaceQuery) -> list[str]:
        """Ids of the records that pass."""
        return self.ids[self.mask(query)].tolist()


def search_face(registry: Registry, query: FaceQuery, threshold: Threshold | None = None,
                settings: LookupSettings | None = None,
                records: Sequence[MissingPerson] | RecordFilter | None = None,
                today: date | None = None) -> list[Candidate]:
    """Candidates for one face, best first (filters, similarity, verification).

    Pass ``records`` as a :class:`RecordFilter` built once when looking up many faces.
    """
    settings = settings or LookupSettings()
    threshold = threshold or default_threshold()
    if isinstance(records, RecordFilter):
        table = records
    else:
        table = RecordFilter(registry.records() if records is None else records, settings, today)
    by_id = {r.id: r for r in table.records}
    allowed = table.passed(query)
    if not allowed:
        return []
    matches = registry.search(query.embedding, query.embedding_key, settings.k,
                              record_ids=allowed)[0]
    # Explanations only for what is shown; they must agree with the vectorised filter.
    passed = filter_records([by_id[m.record_id] for m in matches], query, settings, today)
    out = []
    for rank, match in enumerate(matches, start=1):
        verified = threshold.decide(match.similarity)
        sim = Condition("similarity", round(match.similarity, 4), True,
                        f"cosine {match.similarity:.3f} ({query.embedding_key}), rank {rank}")
        decision = Condition("verified", verified, verified,
                             f"{'at or above' if verified else 'below'} threshold "
                             f"{threshold.similarity:.3f} ({threshold.source})")
        out.append(Candidate(by_id[match.record_id], match.photo_id, match.similarity,
                             verified, threshold.similarity, rank,
                             (*passed[match.record_id], sim, decision)))
    return out


def queries_from_faces(faces: Faces, photo_dates: Mapping[str, date | None] | None = None
                       ) -> list[FaceQuery]:
    """One :class:`FaceQuery` per face that has an embedding."""
    if faces.embedding is None:
        return []
    photo_dates = photo_dates or {}

    def column(name: str, i: int) -> Any:
        values = faces.data.get(name)
        if values is None:
            return None
        value = values[i]
        if isinstance(value, (float, np.floating)) and value != value:
            return None
        return value.item() if hasattr(value, "item") else value

    out = []
    for i in range(len(faces)):
        evidence_id = str(faces.evidence_id[i])
        face_id = column("face_id", i) or f"{evidence_id}:{i}"
        conf = column("gender_confidence", i)
        age, age_std = column("age", i), column("age_std", i)
        low, high = column("age_low", i), column("age_high", i)
        out.append(FaceQuery(
            embedding=faces.embedding[i], embedding_key=faces.embedding_key,
            face_id=str(face_id), evidence_id=evidence_id,
            age=None if age is None else float(age),
            age_std=None if age_std is None else float(age_std),
            age_low=None if low is None else float(low),
            age_high=None if high is None else float(high),
            sex=normalise_sex(column("gender", i)),
            sex_confidence=None if conf is None else float(conf),
            photo_date=photo_dates.get(evidence_id),
            xyxy=tuple(float(v) for v in faces.xyxy[i]),
        ))
    return out


def hit_for(candidate: Candidate, query: FaceQuery, registry: Registry, run_id: str) -> Hit:
    """The case :class:`Hit` for a candidate (candidate id and name in the conditions)."""
    who = Condition("candidate", candidate.record.id, True,
                    f"{candidate.record.name} ({candidate.record.source}) "
                    f"{candidate.record.case_url}".strip())
    hit = Hit(
        evidence_id=query.evidence_id, kind=HIT_KIND, source=f"registry:{registry.location}",
        score=float(np.clip(candidate.similarity, 0.0, 1.0)),
        conditions=(who, *candidate.conditions), run_id=run_id, face_id=query.face_id,
        version=query.embedding_key,
    )
    return replace(hit, id=hit_id(hit))  # its one id: the id it is stored under


def hit_id(hit: Hit) -> str:
    """Stable id: the same face and candidate from the same registry is one hit."""
    candidate = next((c.value for c in hit.conditions if c.name == "candidate"), "")
    raw = f"{hit.kind}|{hit.source}|{hit.face_id}|{hit.evidence_id}|{candidate}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def store_hits(case: Any, hits: Sequence[Hit]) -> int:
    """Write hits to the case's ``hits`` table (replacing the same face+candidate)."""
    from workbench.store.hits import put_hits

    put_hits(case, hits, [hit_id(h) for h in hits])
    return len(hits)


AlertHook = Callable[[Any, FaceQuery, Candidate], Any]
"""Called for each verified candidate: ``(case, query, candidate)`` (see alerts.py)."""
