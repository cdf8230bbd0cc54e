"""Helpers shared by the ingest tests."""

from __future__ import annotations


def ingest_quiet(case, sources, **kwargs):
    """Run an ingest without a progress bar, two workers unless told otherwise."""
    from workbench.ingest.pipeline import IngestSettings, ingest

    kwargs.setdefault("workers", 2)
    return ingest(case, [str(s) for s in sources], IngestSettings(progress=False, **kwargs))
