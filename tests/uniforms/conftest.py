"""Helpers for the uniform tests: drawn people without a face detector."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from workbench.uniforms.regions import FaceAnchor


def drawn_person(uniform: dict, seed: int = 0, show_lower: bool = True, width: float = 90.0,
                 roll: float = 0.0):
    """A flat skin-coloured 'face' with ``uniform`` drawn below; returns image, box, anchor."""
    from workbench.uniforms.synthetic import render

    w = int(width * 2.6)
    face = np.full((int(width * 2.0), w, 3), (70, 90, 110), np.float32)
    cx, cy = w / 2, width * 1.0
    cv2.ellipse(face, (int(cx), int(cy)), (int(width / 2), int(width * 0.62)), 0, 0, 360,
                (205, 160, 130), -1)
    anchor = FaceAnchor(chin=(cx, cy + width * 0.62), width=width, roll=roll)
    image, a = render(face, anchor, uniform, np.random.default_rng(seed), show_lower)
    box = np.array([a.chin[0] - width / 2, a.chin[1] - width * 1.2, a.chin[0] + width / 2,
                    a.chin[1] - width * 0.08], np.float32)
    return image, box, a


@pytest.fixture()
def person_factory():
    return drawn_person
