"""Case Workbench: analytics for child-protection investigators.

The library is packaged by domain (``store``, ``ingest``, ``faces``, ``criteria``,
``missing``, ``uniforms``, ``geo``, ``reports``) with thin ``widgets`` on top. Importing
it does nothing but define names; heavy libraries load when first used.

Example:
    >>> import workbench
    >>> case = workbench.Case.open("sample_case")          # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Case", "Evidence", "Faces", "Hit", "Run", "WorkbenchError"]


def __getattr__(name: str) -> Any:
    # Lazy so that `import workbench` stays cheap (the store pulls in pandas).
    if name == "Case":
        from workbench.store import Case

        return Case
    if name in {"Evidence", "Faces", "Hit", "Run"}:
        from workbench import types

        return getattr(types, name)
    if name == "WorkbenchError":
        from workbench.errors import WorkbenchError

        return WorkbenchError
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")
