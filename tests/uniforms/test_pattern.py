"""Pattern classification on synthetic fabric swatches with shading, noise and JPEG."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.uniforms.palette import rgb_to_lab
from workbench.uniforms.pattern import classify_pattern, largest_rectangle
from workbench.uniforms.synthetic import _linear_to_srgb, jpeg, texture

SPECS = {
    "plain": {"colours": ["navy"], "pattern": "plain"},
    "striped": {"colours": ["maroon", "gold"], "pattern": "striped"},
    "checked": {"colours": ["bottle green", "white"], "pattern": "checked"},
}


def _swatch(spec: dict, seed: int, size: int = 40) -> np.ndarray:
    rng = np.random.default_rng(seed)
    lin = texture(spec, (size, size), scale=100.0, rng=rng)
    ramp = np.linspace(rng.uniform(0.6, 0.9), 1.05, size)[None, :, None]  # shading
    rgb = _linear_to_srgb(lin * ramp) * 255 + rng.normal(0, 3, lin.shape)
    return jpeg(np.clip(rgb, 0, 255).astype(np.uint8), 75)


@pytest.mark.parametrize("truth", sorted(SPECS))
def test_patterns_are_recognised_on_swatches(truth: str) -> None:
    right = sum(classify_pattern(rgb_to_lab(_swatch(SPECS[truth], s))).pattern == truth
                for s in range(20))
    assert right >= 16, f"{truth}: {right}/20"


def test_shading_alone_is_not_a_pattern() -> None:
    ramp = np.linspace(0.3, 1.0, 48)[None, :, None] * np.ones((48, 48, 3))
    rgb = (_linear_to_srgb(ramp * np.array([0.02, 0.03, 0.08])) * 255).astype(np.uint8)
    assert classify_pattern(rgb_to_lab(rgb)).pattern == "plain"


def test_tiny_patch_defaults_to_plain_with_low_confidence() -> None:
    result = classify_pattern(np.zeros((5, 5, 3)))
    assert result.pattern == "plain" and result.confidence < 0.5


def test_largest_rectangle_lies_inside_the_mask() -> None:
    mask = np.zeros((50, 50), bool)
    mask[10:40, 5:25] = True
    mask[0:3, 45:48] = True
    ys, xs = largest_rectangle(mask)
    assert mask[ys, xs].all()
    assert largest_rectangle(np.zeros((5, 5), bool)) is None
