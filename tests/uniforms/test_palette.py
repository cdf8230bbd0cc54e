"""Colour naming in CIELAB under shading, clustering and skin handling."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.uniforms.palette import (
    COLOUR_NAMES,
    delta_e94,
    dominant_colours,
    name_colour,
    rgb_to_lab,
    skin_mask_lab,
)
from workbench.uniforms.synthetic import FABRICS, _linear_to_srgb, fabric_rgb


def test_lab_of_white_and_black() -> None:
    assert np.allclose(rgb_to_lab(np.array([1.0, 1.0, 1.0])), [100, 0, 0], atol=0.05)
    assert np.allclose(rgb_to_lab(np.array([0, 0, 0], np.uint8)), [0, 0, 0], atol=0.05)


def test_delta_e94_forgives_lightness_more_than_hue() -> None:
    navy = rgb_to_lab(np.array([0.12, 0.15, 0.27]))
    lighter = navy + [10, 0, 0]
    other_hue = navy + [0, 10, 0]
    assert delta_e94(navy, lighter) < delta_e94(navy, other_hue)


@pytest.mark.parametrize("name", COLOUR_NAMES)
def test_fabric_colours_keep_their_name_under_moderate_shading(name: str) -> None:
    rng = np.random.default_rng(3)
    right = 0
    trials = 0
    for gain in (0.7, 0.85, 1.0, 1.15):
        for _ in range(3):
            lin = fabric_rgb(name, rng) * gain
            got, _ = name_colour(rgb_to_lab(_linear_to_srgb(lin)))
            right += got == name
            trials += 1
    assert right / trials >= 0.75, f"{name}: {right}/{trials}"


def test_named_confidence_is_lower_between_two_names() -> None:
    navy = rgb_to_lab(np.array([0x1f, 0x2a, 0x4d], np.uint8))
    black = rgb_to_lab(np.array([0x14, 0x14, 0x16], np.uint8))
    _, sure = name_colour(navy)
    _, unsure = name_colour((navy + black) / 2)
    assert unsure < sure


def test_shaded_fabric_is_one_cluster_with_one_name() -> None:
    rng = np.random.default_rng(0)
    base = fabric_rgb("maroon", rng)
    gains = np.linspace(0.55, 1.15, 400)[:, None]           # a strong shading gradient
    pixels = rgb_to_lab(_linear_to_srgb(base * gains))
    colours = dominant_colours(pixels)
    assert colours[0].name in ("maroon", "burgundy")
    assert colours[0].share > 0.8


def test_two_colour_stripes_give_both_names() -> None:
    rng = np.random.default_rng(1)
    navy = rgb_to_lab(_linear_to_srgb(np.repeat(fabric_rgb("navy", rng)[None], 300, 0)))
    gold = rgb_to_lab(_linear_to_srgb(np.repeat(fabric_rgb("gold", rng)[None], 200, 0)))
    names = [c.name for c in dominant_colours(np.concatenate([navy, gold]))]
    assert names[:2] == ["navy", "gold"]


def test_skin_pixels_are_masked_against_the_face_sample() -> None:
    skin = rgb_to_lab(np.array([205, 160, 130], np.uint8))
    pixels = np.stack([skin, skin + [1, 1, 0], rgb_to_lab(np.array([0x1d, 0x24, 0x40], np.uint8))])
    assert skin_mask_lab(pixels, skin).tolist() == [True, True, False]


def test_every_palette_name_has_fabrics() -> None:
    assert set(FABRICS) == set(COLOUR_NAMES)
