"""Evidence ingest: sources, safe image reading, hashes, metadata, video frames, hash lists.

Public entry points (imported lazily so ``import workbench.ingest`` stays cheap):

* :func:`ingest` / :class:`IngestSettings` / :class:`IngestReport` - run an ingest.
* :func:`load_rgb` - analysis-ready RGB pixels of an image or Evidence.
* :func:`import_hash_list`, :func:`match_case`, :func:`export_vics` - known-hash lists.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "ingest": "workbench.ingest.pipeline",
    "IngestSettings": "workbench.ingest.pipeline",
    "IngestReport": "workbench.ingest.pipeline",
    "load_rgb": "workbench.ingest.images",
    "open_image": "workbench.ingest.images",
    "import_hash_list": "workbench.ingest.hashlists",
    "match_case": "workbench.ingest.hashlists",
    "export_vics": "workbench.ingest.hashlists",
    "pdq_distance": "workbench.ingest.hashing",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'workbench.ingest' has no attribute {name!r}")
