"""Fixtures for the map tests: a small synthetic case with geotags, hits and reviews."""

from __future__ import annotations

import pytest

from workbench.geo.synthetic import populate_synthetic_case


@pytest.fixture()
def geo_case(new_case):
    """The ``new_case`` fixture filled with 120 synthetic items (a few with real images)."""
    counts = populate_synthetic_case(new_case, n_items=120, n_images=8, seed=3)
    new_case.synthetic_counts = counts
    return new_case
