"""Default domain bindings for the widgets: one call each, composed from domain functions.

A widget calls exactly one function per action; where a domain offers the pieces rather
than that one call (load the school registry, then rank), the composition lives here, in
plain domain code without ipywidgets, so it is testable on its own.
"""

from __future__ import annotations

from typing import Any


def case_map_html(case: Any) -> str:
    """The case's offline map (evidence, hits, heat) as one self-contained HTML document."""
    from workbench.geo.layers import case_layers
    from workbench.geo.maps import build_map, map_html

    return map_html(build_map(case_layers(case)))


def school_search(case: Any, face_id: str, near: tuple[float, float, float] | None = None,
                  k: int = 10) -> list[dict[str, Any]]:
    """Ranked schools for one face's (corrected) uniform, stored as hits under a run.

    Args:
        case: the open case.
        face_id: the face whose clothing attributes are searched.
        near: ``(lat, lon, scale_km)`` of a lead; None uses the photo's own geotag.
        k: how many schools.
    """
    from workbench.schools.case_search import search_face
    from workbench.schools.search import GeoPrior

    prior = GeoPrior(near=(near[0], near[1]), scale_km=near[2]) if near else None
    matches = search_face(case, face_id, top=k, prior=prior)
    rows = []
    for match in matches:
        row = match.as_dict()
        row["reasons"] = row.get("explanation", "")
        rows.append(row)
    return rows


def uniform_people(case: Any) -> list[dict[str, Any]]:
    """The case's clothing attributes per face (corrections applied), as a list."""
    from workbench.uniforms.store import load_attributes

    return [{"face_id": face_id, **face} for face_id, face in load_attributes(case).items()]


def registry_photo(registry: Any, record_id: str, photo_id: int, size: int = 120
                   ) -> bytes | None:
    """A thumbnail of a missing person's registry photo, or None if it is not a local file.

    Registry photos are reference photos supplied to find the person, so they are shown
    clear: comparing them with a case face is the point of the lookup.
    """
    from pathlib import Path

    from workbench.media import ThumbnailError, thumbnail_png

    for photo in registry.photos(record_id):
        if int(photo["id"]) == int(photo_id):
            location = str(photo.get("location") or "")
            if not location or "://" in location or not Path(location).is_file():
                return None
            try:
                return thumbnail_png(location, size=size, blurred=False)
            except ThumbnailError:
                return None
    return None
