"""Embed registry photos with the same face engine that embeds case faces.

Registry photos and case faces must share an ``embedding_key`` to be compared, so the
registry never has its own model: it borrows :class:`workbench.faces.FaceEngine`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

EmbedPhoto = Callable[[Path], "tuple[np.ndarray | None, str]"]


def largest_face(faces: Any) -> int | None:
    """Index of the biggest face box (the subject of a portrait), or None when empty."""
    if not len(faces):
        return None
    return int(np.argmax(faces.area))


def engine_embedder(engine: Any = None) -> EmbedPhoto:
    """An ``embed_photo(path) -> (embedding | None, embedding_key)`` using the face engine.

    Args:
        engine: a :class:`~workbench.faces.FaceEngine`; default: one with attributes off
            (age and gender are not needed to embed a registry photo).
    """
    if engine is None:
        from workbench.faces import FaceEngine, FaceSettings

        engine = FaceEngine(FaceSettings(attributes=False))

    def embed_photo(path: Path) -> tuple[np.ndarray | None, str]:
        from workbench.ingest.images import load_rgb

        faces = engine.analyze_array(load_rgb(path, max_side=2048))
        best = largest_face(faces)
        if best is None or faces.embedding is None:
            return None, engine.embedding_key
        return faces.embedding[best], faces.embedding_key

    return embed_photo
