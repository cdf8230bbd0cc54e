"""Face analysis: detect, landmark, align, embed, age/gender/emotion, quality.

Public API (imported lazily; nothing loads on ``import workbench.faces``):
    * :class:`FaceEngine` - ``analyze_image(rgb, evidence_id) -> Faces``,
      ``embed_aligned(chips)``, ``detect``, ``landmarks``, ``align``, ``new_run``.
    * :class:`FaceSettings` - detector, upsampling, flip/jitter, attributes, fallback.
    * :data:`EMOTIONS` - the seven emotion names of the ``emotion_<name>`` columns.
    * :func:`analyze_case` - every image and frame of a case, in parallel, resumable.
"""

from __future__ import annotations

from typing import Any

__all__ = ["EMOTIONS", "FaceEngine", "FaceSettings", "analyze_case"]


def __getattr__(name: str) -> Any:
    if name in {"FaceSettings", "EMOTIONS"}:
        from workbench.faces import settings

        return getattr(settings, name)
    if name == "FaceEngine":
        from workbench.faces.engine import FaceEngine

        return FaceEngine
    if name == "analyze_case":
        from workbench.faces.analyze import analyze_case

        return analyze_case
    raise AttributeError(f"module 'workbench.faces' has no attribute {name!r}")
