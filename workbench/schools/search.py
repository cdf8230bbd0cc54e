"""Rank schools by how well their uniforms explain observed uniform attributes.

Each school gets a log-likelihood: for every *visible* item, how likely the reading
(present or not and how sure, its colour names, its pattern) is if pupils of that school
wore its uniform (:mod:`workbench.schools.likelihood`, calibrated on a held-out split of
constructed photos). Items not visible contribute nothing. A geographic prior (distance
to a geotag, or a region polygon) can be added. Schools whose uniforms are identical on
the visible items get identical scores: results say so with a rank range ("ranks 4-15,
12 schools explain this equally") instead of pretending an order. Scores rank leads; they
are not identifications.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workbench.schools.likelihood import (
    CLOSE_COLOUR,
    ObservationModel,
    background_loglik,
    certain_model,
    colour_confusion,
    colours_loglik,
    observation_model,
    presence_likelihoods,
    shape_loglik,
)
from workbench.schools.observation import certainty_of
from workbench.schools.registry import School, format_item
from workbench.uniforms.regions import ITEMS

TIE_TOL = 1e-9   # log-likelihoods closer than this are the same explanation
LAYERED = ("tie", "jumper", "blazer")   # items read against the layer beneath them

__all__ = ["GeoPrior", "ItemMatch", "SchoolMatch", "colour_confusion", "log_likelihoods",
           "rank_of", "region_from_geojson", "search_schools", "tie_groups"]


@dataclass
class ItemMatch:
    """How one item of a school's uniform explains the observation."""

    item: str
    observed: str
    expected: str
    verdict: str        # match, colour-close, pattern-differs, mismatch, absent-ok, missing...
    loglik: float

    def as_dict(self) -> dict[str, Any]:
        return {"item": self.item, "observed": self.observed, "expected": self.expected,
                "verdict": self.verdict, "loglik": round(self.loglik, 3)}


@dataclass
class SchoolMatch:
    """One ranked school with the reasons for its place."""

    school: School
    score: float                 # likelihood relative to the best school, in (0, 1]
    posterior: float             # share of the posterior over all schools searched
    loglik: float
    distance_km: float | None
    items: list[ItemMatch] = field(default_factory=list)
    rank: int = 0                # position in this list (inside a tie group: arbitrary)
    tied_with: int = 0           # other schools with exactly the same log-likelihood
    rank_range: tuple[int, int] = (0, 0)   # ranks the tie group spans, e.g. (4, 15)

    @property
    def rank_text(self) -> str:
        """``4`` or ``4-15`` (a tie group: every school in it explains the photo equally)."""
        lo, hi = self.rank_range if self.rank_range != (0, 0) else (self.rank, self.rank)
        return str(lo) if lo == hi else f"{lo}-{hi}"

    @property
    def matched(self) -> list[str]:
        return [m.item for m in self.items if m.verdict in ("match", "colour-close")]

    def explain(self) -> str:
        parts = [f"{m.item}: {m.verdict} ({m.observed} vs {m.expected})" for m in self.items]
        where = f", {self.distance_km:.1f} km away" if self.distance_km is not None else ""
        tie = (f" [tied: {self.tied_with + 1} schools explain this equally, ranks "
               f"{self.rank_text}]" if self.tied_with else "")
        return f"{self.school.name}{where}{tie}: " + "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        """A flat, JSON-ready record (what ``--json`` prints and the map uses)."""
        s = self.school
        return {"rank": self.rank, "id": s.id, "name": s.name, "address": s.address,
                "lat": s.lat, "lon": s.lon, "phase": s.phase, "score": round(self.score, 4),
                "posterior": round(self.posterior, 4), "loglik": round(self.loglik, 3),
                "distance_km": None if self.distance_km is None else round(self.distance_km, 2),
                "tied_with": self.tied_with, "rank_range": list(self.rank_range),
                "rank_text": self.rank_text, "matched_items": self.matched,
                "explanation": self.explain(), "items": [m.as_dict() for m in self.items],
                "uniform_source": s.uniform_source}

    def to_hit(self, evidence_id: str, run_id: str = "", face_id: str | None = None):
        """This result as a :class:`~workbench.types.Hit` of kind ``school`` (one condition
        per visible item; it fired when the item matched or was a close colour; plus a
        ``tie_group`` condition when other schools share the score)."""
        from workbench.types import Condition, Hit

        conditions = tuple(
            Condition(name=m.item, value=m.observed,
                      fired=m.verdict in ("match", "colour-close", "absent-ok",
                                          "absent-ok (optional)"),
                      detail=f"{m.verdict}; school: {m.expected}") for m in self.items)
        if self.tied_with:
            # Not a test that passed or failed: says the rank is shared, for reviewers.
            conditions += (Condition(
                name="tie_group", value=self.rank_text, fired=False,
                detail=f"tied: {self.tied_with + 1} schools explain this equally, ranks "
                       f"{self.rank_text}"),)
        return Hit(evidence_id=evidence_id, kind="school", source=f"{self.school.id} "
                   f"{self.school.name}", score=float(min(1.0, max(0.0, self.score))),
                   conditions=conditions, run_id=run_id, face_id=face_id,
                   version=self.school.uniform_source)

    def geojson_feature(self) -> dict[str, Any]:
        """A GeoJSON Feature (Point) for the map layer."""
        props = self.as_dict()
        return {"type": "Feature", "geometry": {"type": "Point",
                                                "coordinates": [self.school.lon, self.school.lat]},
                "properties": {k: v for k, v in props.items() if k not in ("lat", "lon")}}


@dataclass(frozen=True)
class GeoPrior:
    """Where the photo was probably taken: a point with a distance scale, and/or a region.

    Attributes:
        near: ``(lat, lon)`` of a geotag or other lead.
        scale_km: distance at which the prior falls by a factor e (exponential fall-off).
        region: a shapely geometry (lon/lat) - schools outside get ``outside_penalty``.
        outside_penalty: log prior added for schools outside ``region``.
    """

    near: tuple[float, float] | None = None
    scale_km: float = 25.0
    region: Any = None
    outside_penalty: float = math.log(0.02)


def haversine_km(lat1: float, lon1: float, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distances in km from one point to many."""
    p1, p2 = math.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2) - math.radians(lon1)
    a = np.sin(dp / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 6371.0 * 2 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def region_from_geojson(path: str | Path) -> Any:
    """Union of the polygons in a GeoJSON (or any file geopandas reads), in lon/lat."""
    import geopandas as gpd

    frame = gpd.read_file(path).to_crs(4326)
    return frame.geometry.union_all()


def _describe(obs: Mapping[str, Any], spec: Mapping[str, Any] | None) -> tuple[str, str]:
    expected = "not part of the uniform" if not spec else (
        "+".join(spec["colours"]) + f" {spec.get('pattern', 'plain')}"
        + (" (optional)" if spec.get("optional") else ""))
    observed = "absent" if not obs["present"] else (
        "+".join(obs.get("colours") or ["?"]) + f" {obs.get('pattern') or '?'}")
    return observed, expected


def _item_loglik(model: ObservationModel, item: str, obs: Mapping[str, Any] | None,
                 spec: Mapping[str, Any] | None, shirt: Mapping[str, Any] | None = None,
                 jumper: Mapping[str, Any] | None = None) -> ItemMatch | None:
    """Log-likelihood of one item's reading under one school's item spec.

    ``shirt`` and ``jumper`` are the school's layers beneath, which change how a tie,
    jumper or blazer is reported (an item of the colour beneath it goes unseen).
    """
    if obs is None or obs.get("present") is None:
        return None
    symbol, l_worn, l_not = presence_likelihoods(model, item, obs, spec, shirt, jumper)
    observed, expected = _describe(obs, spec)
    p_worn = 0.0 if not spec else 0.5 if spec.get("optional") else 1.0
    if not obs["present"]:
        if symbol == "cannot-tell":
            observed = "cannot tell"
        like = p_worn * l_worn + (1 - p_worn) * l_not
        verdict = ("uncertain" if symbol == "cannot-tell" else "absent-ok" if not spec else
                   "absent-ok (optional)" if spec.get("optional") else "missing")
        return ItemMatch(item, observed, expected, verdict, math.log(like))
    colours = list(obs.get("colours") or [])
    pattern = obs.get("pattern")
    background = l_not * math.exp(background_loglik(model, colours, pattern))
    if not spec:
        return ItemMatch(item, observed, expected, "unexpected", math.log(background))
    certainty = certainty_of(symbol)
    log_colour, exact, log_first = colours_loglik(model, item, colours, spec["colours"],
                                                  certainty, count=False)
    worn_pattern = spec.get("pattern", "plain")
    # how many names and which pattern were read fail together: one joint table
    log_pattern = shape_loglik(model, item, colours, pattern, spec["colours"], worn_pattern,
                               certainty)
    like = p_worn * l_worn * math.exp(log_colour + log_pattern) + (1 - p_worn) * background
    pattern_ok = pattern in (None, worn_pattern)
    verdict = ("match" if exact and pattern_ok else "colour-close" if pattern_ok and
               log_first > math.log(CLOSE_COLOUR) else "pattern-differs" if exact else "mismatch")
    return ItemMatch(item, observed, expected, verdict, math.log(max(like, 1e-300)))


def _score_all(observation: Mapping[str, Mapping[str, Any] | None], schools: Sequence[School],
               prior: GeoPrior | None) -> tuple[np.ndarray, list[list[ItemMatch]],
                                                np.ndarray | None]:
    """Log-likelihood (with the prior) of every school, its item matches and distances."""
    from workbench.errors import ValidationError

    unknown = set(observation) - set(ITEMS)
    if unknown:
        raise ValidationError(f"unknown uniform items {sorted(unknown)}; use {ITEMS}")
    model, certain = observation_model(), certain_model()
    n = len(schools)
    loglik = np.zeros(n)
    per_school: list[list[ItemMatch]] = []
    # Many schools share an item description (white shirt...): score each distinct one once.
    cache: dict[tuple[str, str], ItemMatch | None] = {}
    for i, school in enumerate(schools):
        matches = []
        shirt, jumper = school.uniform.get("shirt"), school.uniform.get("jumper")
        for item in ITEMS:
            spec = school.uniform.get(item)
            layered = item in LAYERED
            key = (item, format_item(spec), format_item(shirt) if layered else "",
                   format_item(jumper) if item == "blazer" else "")
            if key not in cache:
                obs = observation.get(item)
                # A person's reading or correction is judged as such, not as the extractor's.
                judge = certain if obs and obs.get("corrected") else model
                cache[key] = _item_loglik(judge, item, obs, spec, shirt if layered else None,
                                          jumper if item == "blazer" else None)
            m = cache[key]
            if m is not None:
                matches.append(m)
                loglik[i] += m.loglik
        per_school.append(matches)
    distance = None
    if prior is not None:
        lats = np.array([s.lat for s in schools])
        lons = np.array([s.lon for s in schools])
        if prior.near is not None:
            distance = haversine_km(prior.near[0], prior.near[1], lats, lons)
            loglik = loglik - distance / prior.scale_km
        if prior.region is not None:
            import geopandas as gpd

            inside = gpd.points_from_xy(lons, lats).within(prior.region)
            loglik = loglik + np.where(np.asarray(inside), 0.0, prior.outside_penalty)
    return loglik, per_school, distance


def log_likelihoods(observation: Mapping[str, Mapping[str, Any] | None],
                    schools: Sequence[School], prior: GeoPrior | None = None) -> np.ndarray:
    """Log-likelihood (plus log prior) of every school for one observation."""
    return _score_all(observation, schools, prior)[0]


def search_schools(observation: Mapping[str, Mapping[str, Any] | None],
                   schools: Sequence[School], top: int = 10, prior: GeoPrior | None = None
                   ) -> list[SchoolMatch]:
    """Rank ``schools`` for an observation ``{item: {present, confidence, colours, pattern}}``.

    Items missing from the observation, or with ``present`` None, count as not visible.
    Schools with the same score are one tie group: each result carries the group's
    ``rank_range`` and ``tied_with``; inside a group the order is by distance when a
    geotag is given, then by id, and means nothing about the uniform.

    Example:
        >>> obs = {"tie": {"present": True, "confidence": 0.9, "colours": ["navy"],
        ...                "pattern": "striped"}}
        >>> search_schools(obs, load_registry(), top=3)          # doctest: +SKIP
    """
    if not schools:
        return []
    n = len(schools)
    loglik, per_school, distance = _score_all(observation, schools, prior)
    best = loglik.max()
    weights = np.exp(loglik - best)
    posterior = weights / weights.sum()
    tiebreak = distance if distance is not None else np.zeros(n)
    ids = np.array([s.id for s in schools])
    # Scores within TIE_TOL are one group: sort on the group's key, not the raw float.
    key = np.round(loglik / TIE_TOL) * TIE_TOL
    order = np.lexsort((ids, tiebreak, -key))
    sorted_keys = -np.sort(-key)
    out = []
    for rank, i in enumerate(order[:top], start=1):
        # searchsorted on the ascending negation: first and past-last position of the group
        lo = int(np.searchsorted(-sorted_keys, -key[i], side="left"))
        hi = int(np.searchsorted(-sorted_keys, -key[i], side="right"))
        out.append(SchoolMatch(
            school=schools[i], score=float(weights[i]), posterior=float(posterior[i]),
            loglik=float(loglik[i]),
            distance_km=None if distance is None else float(distance[i]),
            items=per_school[i], rank=rank, tied_with=hi - lo - 1, rank_range=(lo + 1, hi)))
    return out


def tie_groups(results: Sequence[SchoolMatch]) -> list[dict[str, Any]]:
    """The tie groups among ``results`` in order: ranks, size, how many are shown, and a
    sentence for the analyst ("12 schools explain this equally (ranks 4-15)")."""
    groups: list[dict[str, Any]] = []
    for r in results:
        if groups and groups[-1]["rank_range"] == list(r.rank_range):
            groups[-1]["shown"] += 1
            continue
        size = r.tied_with + 1
        lo, hi = r.rank_range
        text = (f"rank {lo}: one school explains this best at this level" if size == 1 else
                f"{size} schools explain this equally (ranks {lo}-{hi}); their order is "
                f"{'by distance' if r.distance_km is not None else 'by id'}, not by uniform")
        groups.append({"rank_range": [lo, hi], "schools": size, "shown": 1,
                       "loglik": round(r.loglik, 3), "text": text})
    return groups


def rank_of(school_id: str, observation: Mapping[str, Any], schools: Sequence[School],
            prior: GeoPrior | None = None) -> tuple[int, int]:
    """Optimistic and pessimistic 1-based rank of one school (ties counted both ways)."""
    loglik = log_likelihoods(observation, schools, prior)
    ids = [s.id for s in schools]
    target = loglik[ids.index(school_id)]
    better = int((loglik > target + TIE_TOL).sum())
    equal = int((np.abs(loglik - target) <= TIE_TOL).sum())
    return better + 1, better + equal
