"""Small thumbnails for map popups: blurred unless a person explicitly asks to reveal.

Blurred thumbnails are cached in the case's ``derived/thumbs/`` (never beside the
evidence). Revealed ones are made on demand and never written to disk, so the case folder
holds no extra sharp copies of the material.
"""

from __future__ import annotations

import base64

from workbench.errors import CaseError

THUMB_SIZE = 128
THUMB_DIR = "thumbs"


def make_thumbnail(source: str, reveal: bool = False) -> bytes:
    """JPEG bytes of a ``THUMB_SIZE`` thumbnail of ``source``, blurred unless ``reveal``.

    Colour is kept even when blurred: on a map, colours and the scene's layout help a person
    decide whether to open an item, while faces and bodies stay unrecognisable.
    """
    from workbench.review.thumbs import thumbnail

    return thumbnail(source, THUMB_SIZE, blur=not reveal, grey=False, fmt="JPEG")


def thumbnail_bytes(case, evidence_id: str, reveal: bool = False) -> bytes | None:
    """Thumbnail of one item of a case, or None when its pixels cannot be read.

    Args:
        case: an open :class:`workbench.store.Case`.
        evidence_id: the item's SHA-256.
        reveal: True only when a person chose to see the unblurred image.
    """
    from workbench.review.thumbs import ThumbnailError

    cached = case.derived_dir / THUMB_DIR / f"blur{THUMB_SIZE}_{evidence_id}.jpg"
    if not reveal and cached.is_file():
        return cached.read_bytes()
    try:
        evidence = case.get_evidence(evidence_id)
        data = make_thumbnail(case.pixels_path(evidence), reveal=reveal)
    except (CaseError, ThumbnailError):
        # A missing or unreadable original must not stop the map from drawing.
        return None
    if not reveal:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_bytes(data)
        except OSError:
            pass  # a read-only case folder: serve it uncached
    return data


def thumbnail_data_uri(case, evidence_id: str, reveal: bool = False) -> str | None:
    """The thumbnail as a ``data:image/jpeg`` URI for inline popups, or None."""
    data = thumbnail_bytes(case, evidence_id, reveal=reveal)
    if data is None:
        return None
    return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")
