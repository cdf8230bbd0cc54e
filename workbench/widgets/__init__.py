"""Thin ipywidgets over the workbench's domain functions, each usable alone in a notebook.

Every widget takes the domain functions it needs as callables (defaults bind the real
domain function lazily), keeps its state in traitlets, and shows domain errors as a
readable line. Importing this package imports ipywidgets only when a widget is first used.

Example:
    >>> from workbench.widgets import CaseBrowser            # doctest: +SKIP
    >>> CaseBrowser(case)                                    # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "CaseBrowser": "browser", "FaceGallery": "faces", "CriteriaEditor": "criteria",
    "ReviewQueue": "review", "MissingPersonLookup": "missing", "UniformInspector": "uniforms",
    "SchoolSearch": "uniforms", "MapView": "geo", "Timeline": "geo", "JobProgress": "progress",
    "WorkbenchWidget": "base", "lazy": "base", "DomainUnavailable": "base",
    "LIMITS_NOTE": "base",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
