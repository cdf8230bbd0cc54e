"""Constructed search queries: a school drawn, its uniform worn on a real face, attributes read.

A query is what one photo of one pupil gives the school search: the true school, what the
pupil wore (optional items are worn half the time), which items the photo shows, the
attributes the extractor read from the constructed photo, and a geotag near the school.
Drawing a query set is slow (a face detector per photo), so the set is kept as JSON and
every ranking is measured on the same photos.

Two disjoint seeds are used by the measurements: the *calibration* split (colour, pattern
and presence confusions of :mod:`workbench.eval.uniform_calibration`) and the *query* split
(the figures reported). Nothing is ever fitted on the query split.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from workbench.uniforms.attributes import person_attributes
from workbench.uniforms.regions import ITEMS
from workbench.uniforms.synthetic import FaceSource, make_composite


@dataclass
class Query:
    """One constructed photo of a pupil of a known school.

    Attributes:
        school_id: the true school.
        worn: ``{item: spec}`` the pupil wore (optional items may be left off).
        visible: items whose region the photo shows (truth of what *could* be seen).
        observation: what the extractor read (visible items only; the search's input).
        geotag: ``(lat, lon)`` of a point near the school (a home, a park).
    """

    school_id: str
    worn: dict[str, dict[str, Any]]
    visible: list[str]
    observation: dict[str, dict[str, Any]]
    geotag: tuple[float, float]

    def perfect_observation(self) -> dict[str, dict[str, Any]]:
        """What a flawless reader would report on the visible items (marked as a person's
        reading, ``corrected``, so the search does not expect the extractor's quirks)."""
        out: dict[str, dict[str, Any]] = {}
        for item in self.visible:
            spec = self.worn.get(item)
            out[item] = ({"present": False, "confidence": 1.0, "colours": [], "pattern": None,
                          "corrected": True}
                         if spec is None else
                         {"present": True, "confidence": 1.0, "colours": list(spec["colours"]),
                          "pattern": spec.get("pattern", "plain"), "corrected": True})
        return out


def observe(source: FaceSource, image: np.ndarray) -> Any:
    """Attributes of the largest face in ``image`` (None when no face is found)."""
    found = source.anchor(image)
    if found is None:
        return None
    _, box, pts = found
    return person_attributes(image, box, pts)


class BodyObserver:
    """``observe`` for the body reader: the same face, then mask and pose regions.

    Args:
        models: a :class:`~workbench.uniforms.body.BodyModels` (loaded on first use).
    """

    def __init__(self, models: Any = None) -> None:
        self.models = models

    def __call__(self, source: FaceSource, image: np.ndarray) -> Any:
        from workbench.uniforms.body import BodyModels
        from workbench.uniforms.palette import balanced_lab
        from workbench.uniforms.reader import read_person

        found = source.anchor(image)
        if found is None:
            return None
        _, box, pts = found
        if self.models is None:
            self.models = BodyModels()
        reading = self.models.read(image, np.asarray(box, np.float64)[None])
        lab = balanced_lab(image, reading.mask)
        return read_person(image, lab, box, pts, reading.mask, reading.poses[0])[0]


def draw_queries(source: FaceSource, schools: Sequence[Any], n: int, seed: int = 1,
                 geotag_km: float = 15.0, observer: Callable[[FaceSource, np.ndarray], Any]
                 = observe) -> tuple[list[Query], int]:
    """Draw ``n`` photos; keep those showing at least two items. Returns (queries, skipped).

    ``observer`` reads a photo (default: the face-geometry reader; :class:`BodyObserver`
    for the body reader). The photos drawn do not depend on it.

    The draw order (school, optional items, lower garment, photo, geotag) is fixed so a
    seed always gives the same queries.
    """
    rng = np.random.default_rng(seed)
    out: list[Query] = []
    skipped = 0
    for k in range(n):
        school = schools[int(rng.integers(len(schools)))]
        worn = {i: s for i, s in school.uniform.items()
                if not s.get("optional") or rng.random() < 0.5}
        show_lower = bool(rng.random() < 0.5)
        shown = [i for i in worn if i != "lower" or show_lower]
        if len(shown) < 2:
            skipped += 1
            continue
        comp = make_composite(source, worn, seed=seed * 1_000_003 + k, show_lower=show_lower)
        person = observer(source, comp.image) if comp else None
        if person is None:
            skipped += 1
            continue
        obs = person.query()
        visible = [i for i in ITEMS if i != "lower" or show_lower]
        # A region the geometry places outside the image cannot be seen by anyone.
        visible = [i for i in visible if person.items[i].present is not None]
        bearing, dist = rng.uniform(0, 2 * np.pi), rng.uniform(0, geotag_km)
        lat = school.lat + dist / 111.0 * np.cos(bearing)
        lon = school.lon + dist / (111.0 * np.cos(np.radians(school.lat))) * np.sin(bearing)
        out.append(Query(school.id, {i: dict(s) for i, s in worn.items()}, visible, obs,
                         (float(lat), float(lon))))
    return out, skipped


def save_queries(queries: Sequence[Query], path: str | Path, meta: dict[str, Any]) -> None:
    """Write a query set as JSON (with how it was drawn, in ``meta``)."""
    Path(path).write_text(json.dumps({"meta": meta, "queries": [asdict(q) for q in queries]}))


def load_queries(path: str | Path) -> tuple[list[Query], dict[str, Any]]:
    """Read a query set written by :func:`save_queries`."""
    data = json.loads(Path(path).read_text())
    queries = [Query(q["school_id"], q["worn"], q["visible"], q["observation"],
                     tuple(q["geotag"])) for q in data["queries"]]
    return queries, data["meta"]
