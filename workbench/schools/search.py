"""Rank schools by how well their uniforms explain observed uniform attributes.

Each school gets a log-likelihood: for every *visible* item, how likely the observation
(present or not, its colours, its pattern) is if pupils of that school wore its uniform.
Items not visible contribute nothing. Colour confusions that cameras and lighting cause
(navy and black, maroon and burgundy...) come from a confusion matrix: a perceptual prior
(a Gaussian of the CIE94 distance between palette prototypes) mixed with the confusions
measured on the synthetic set when ``confusion.json`` is present. A geographic prior
(distance to a geotag, or a region polygon) can be added. Scores rank leads; they are
not identifications.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from workbench.schools.registry import School, format_item
from workbench.uniforms.palette import COLOUR_NAMES, delta_e94, name_centres
from workbench.uniforms.pattern import PATTERNS
from workbench.uniforms.regions import ITEMS

CONFUSION_FILE = Path(__file__).with_name("confusion.json")
# How often the extractor reports an item present when it is there / when it is not
# (measured on the synthetic set, rounded; see the uniforms evaluation).
P_DETECT = 0.92
P_FALSE = 0.08
# Pattern confusion P(observed | true), rows/columns in PATTERNS order.
PATTERN_CONFUSION = np.array([
    [0.85, 0.07, 0.03, 0.05],   # plain
    [0.12, 0.75, 0.08, 0.05],   # striped
    [0.05, 0.10, 0.75, 0.10],   # checked
    [0.25, 0.15, 0.15, 0.45],   # other
])
COLOUR_SIGMA = 9.0   # CIE94 distance at which a confusion is about 0.6x as likely as a hit
COLOUR_FLOOR = 0.01  # no confusion is impossible (odd light, dye, white balance)
CLOSE_COLOUR = 0.015  # P(observed | school colour) above which the explanation says "close"


@lru_cache(maxsize=1)
def colour_confusion() -> np.ndarray:
    """``P(observed name | true name)`` as a 16 x 16 row-stochastic matrix.

    The prior comes from the palette itself: names whose prototypes are close in CIE94
    (textile weights) are confused more. When ``confusion.json`` (counts measured on the
    synthetic set by ``workbench.uniforms.evaluate``) exists, its counts are added, each
    row weighted at most as much as the prior.
    """
    n = len(COLOUR_NAMES)
    centres = name_centres()
    d = delta_e94(centres[:, None, :], centres[None, :, :])
    prior = np.exp(-0.5 * (d / COLOUR_SIGMA) ** 2) + COLOUR_FLOOR
    prior /= prior.sum(1, keepdims=True)
    matrix = prior * 20.0   # the prior counts as 20 observations per true colour
    if CONFUSION_FILE.is_file():
        measured = json.loads(CONFUSION_FILE.read_text())
        counts = np.array(measured["counts"], dtype=float)
        if counts.shape == (n, n):
            # The synthetic set is kinder than real cameras (its confusions are nearly all
            # on the diagonal), so each measured row counts at most as much as the prior.
            rows = counts.sum(1, keepdims=True)
            matrix = matrix + counts * np.minimum(1.0, 20.0 / np.maximum(rows, 1.0))
    return matrix / matrix.sum(1, keepdims=True)


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
    rank: int = 0
    tied_with: int = 0           # other schools with exactly the same log-likelihood

    @property
    def matched(self) -> list[str]:
        return [m.item for m in self.items if m.verdict in ("match", "colour-close")]

    def explain(self) -> str:
        parts = [f"{m.item}: {m.verdict} ({m.observed} vs {m.expected})" for m in self.items]
        where = f", {self.distance_km:.1f} km away" if self.distance_km is not None else ""
        return f"{self.school.name}{where}: " + "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        """A flat, JSON-ready record (what ``--json`` prints and the map uses)."""
        s = self.school
        return {"rank": self.rank, "id": s.id, "name": s.name, "address": s.address,
                "lat": s.lat, "lon": s.lon, "phase": s.phase, "score": round(self.score, 4),
                "posterior": round(self.posterior, 4), "loglik": round(self.loglik, 3),
                "distance_km": None if self.distance_km is None else round(self.distance_km, 2),
                "tied_with": self.tied_with, "matched_items": self.matched,
                "explanation": self.explain(), "items": [m.as_dict() for m in self.items],
                "uniform_source": s.uniform_source}

    def to_hit(self, evidence_id: str, run_id: str = "", face_id: str | None = None):
        """This result as a :class:`~workbench.types.Hit` of kind ``school`` (one condition
        per visible item; it fired when the item matched or was a close colour)."""
        from workbench.types import Condition, Hit

        conditions = tuple(
            Condition(name=m.item, value=m.observed,
                      fired=m.verdict in ("match", "colour-close", "absent-ok",
                                          "absent-ok (optional)"),
                      detail=f"{m.verdict}; school: {m.expected}") for m in self.items)
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


def _colour_index(name: str) -> int | None:
    try:
        return COLOUR_NAMES.index(name)
    except ValueError:
        return None


def _item_loglik(item: str, obs: Mapping[str, Any] | None, spec: Mapping[str, Any] | None
                 ) -> ItemMatch | None:
    """Log-likelihood of one item's observation under one school's item spec."""
    if obs is None or obs.get("present") is None:
        return None
    conf = float(obs.get("confidence", 0.8) or 0.8)
    q = conf if obs["present"] else 1 - conf        # belief the item is there
    expected = "not part of the uniform" if not spec else (
        "+".join(spec["colours"]) + f" {spec.get('pattern', 'plain')}")
    observed = "absent" if not obs["present"] else (
        "+".join(obs.get("colours") or ["?"]) + f" {obs.get('pattern') or '?'}")
    l_has = q * P_DETECT + (1 - q) * (1 - P_DETECT)
    l_not = q * P_FALSE + (1 - q) * (1 - P_FALSE)
    if not obs["present"]:
        if abs(q - 0.5) < 0.05:
            return ItemMatch(item, "cannot tell", expected, "uncertain",
                             math.log(0.5 * l_has + 0.5 * l_not))
        if not spec:
            return ItemMatch(item, observed, expected, "absent-ok", math.log(l_not))
        if spec.get("optional"):
            return ItemMatch(item, observed, expected, "absent-ok (optional)",
                             math.log(0.5 * l_has + 0.5 * l_not))
        return ItemMatch(item, observed, expected, "missing", math.log(l_has))
    # Observed present: background likelihood of its colour/pattern if the school lacks it.
    colours = [c for c in (obs.get("colours") or []) if _colour_index(c) is not None][:2]
    background = (1 / len(COLOUR_NAMES)) ** (1 + 0.5 * (len(colours) > 1)) / len(PATTERNS)
    if not spec:
        return ItemMatch(item, observed, expected, "unexpected", math.log(l_not * background))
    conf_m = colour_confusion()
    true_idx = [_colour_index(c) for c in spec["colours"]]
    log_colour, exact = 0.0, True
    for k, name in enumerate(colours):
        o = _colour_index(name)
        best = max(conf_m[t, o] for t in true_idx if t is not None)
        exact &= name in spec["colours"]
        log_colour += (1.0 if k == 0 else 0.5) * math.log(best)
    p_obs = obs.get("pattern")
    log_pattern = 0.0
    if p_obs in PATTERNS:
        log_pattern = math.log(PATTERN_CONFUSION[PATTERNS.index(spec.get("pattern", "plain")),
                                                 PATTERNS.index(p_obs)])
    with_item = l_has * math.exp(log_colour + log_pattern)
    if spec.get("optional"):
        with_item = 0.5 * with_item + 0.5 * l_not * background
    pattern_ok = p_obs in (None, spec.get("pattern", "plain"))
    verdict = ("match" if exact and pattern_ok else "colour-close" if pattern_ok and
               log_colour > math.log(CLOSE_COLOUR) else "pattern-differs" if exact else "mismatch")
    return ItemMatch(item, observed, expected, verdict, math.log(max(with_item, 1e-300)))


def _score_all(observation: Mapping[str, Mapping[str, Any] | None], schools: Sequence[School],
               prior: GeoPrior | None) -> tuple[np.ndarray, list[list[ItemMatch]],
                                                np.ndarray | None]:
    """Log-likelihood (with the prior) of every school, its item matches and distances."""
    from workbench.errors import ValidationError

    unknown = set(observation) - set(ITEMS)
    if unknown:
        raise ValidationError(f"unknown uniform items {sorted(unknown)}; use {ITEMS}")
    n = len(schools)
    loglik = np.zeros(n)
    per_school: list[list[ItemMatch]] = []
    # Many schools share an item description (white shirt...): score each distinct one once.
    cache: dict[tuple[str, str], ItemMatch | None] = {}
    for i, school in enumerate(schools):
        matches = []
        for item in ITEMS:
            spec = school.uniform.get(item)
            key = (item, format_item(spec))
            if key not in cache:
                cache[key] = _item_loglik(item, observation.get(item), spec)
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


def search_schools(observation: Mapping[str, Mapping[str, Any] | None],
                   schools: Sequence[School], top: int = 10, prior: GeoPrior | None = None
                   ) -> list[SchoolMatch]:
    """Rank ``schools`` for an observation ``{item: {present, confidence, colours, pattern}}``.

    Items missing from the observation, or with ``present`` None, count as not visible.
    Ties (identical uniforms) are ordered by distance when a geotag is given, then by id;
    ``tied_with`` says how many other schools share the exact score.

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
    order = np.lexsort((ids, tiebreak, -np.round(loglik, 9)))
    rounded = np.round(loglik, 9)
    values, counts = np.unique(rounded, return_counts=True)
    tie_count = dict(zip(values.tolist(), counts.tolist(), strict=True))
    out = []
    for rank, i in enumerate(order[:top], start=1):
        out.append(SchoolMatch(
            school=schools[i], score=float(weights[i]), posterior=float(posterior[i]),
            loglik=float(loglik[i]),
            distance_km=None if distance is None else float(distance[i]),
            items=per_school[i], rank=rank, tied_with=tie_count[rounded[i]] - 1))
    return out


def rank_of(school_id: str, observation: Mapping[str, Any], schools: Sequence[School],
            prior: GeoPrior | None = None) -> tuple[int, int]:
    """Optimistic and pessimistic 1-based rank of one school (ties counted both ways)."""
    loglik, _, _ = _score_all(observation, schools, prior)
    ids = [s.id for s in schools]
    target = loglik[ids.index(school_id)]
    better = int((loglik > target + 1e-9).sum())
    equal = int((np.abs(loglik - target) <= 1e-9).sum())
    return better + 1, better + equal
