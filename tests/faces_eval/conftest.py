"""Fixtures of the face-evaluation tests."""

from __future__ import annotations

import pytest


@pytest.fixture()
def calibration() -> dict:
    """A calibration document shaped like the shipped one (values for synthetic data)."""
    return {"version": 1, "embedding_key": "dlib_resnet_v1+test", "model": "dlib_resnet_v1",
            "default_far": "0.001",
            "operating_points": {"0.01": {"threshold": 0.5}, "0.001": {"threshold": 0.6},
                                 "0.0001": {"threshold": 0.7}}}
