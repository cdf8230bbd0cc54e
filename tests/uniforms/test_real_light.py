"""Colour naming under real light: white balance, shade, neighbouring names."""

from __future__ import annotations

import numpy as np

from workbench.uniforms.palette import (
    alternatives,
    balanced_lab,
    dominant_colours,
    hex_to_rgb,
    illuminant,
    rgb_to_lab,
)


def _srgb(code: str) -> np.ndarray:
    return (np.array(hex_to_rgb(code)) * 255).round().astype(np.uint8)


def _cast(rgb: np.ndarray, gains: tuple[float, float, float]) -> np.ndarray:
    """The same scene under a coloured light (gains in linear RGB)."""
    x = rgb.astype(np.float64) / 255
    lin = np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4) * np.array(gains)
    out = np.where(lin <= 0.0031308, lin * 12.92, 1.055 * np.clip(lin, 0, 1) ** (1 / 2.4) - 0.055)
    return (np.clip(out, 0, 1) * 255).round().astype(np.uint8)


def _scene() -> np.ndarray:
    """A white shirt between navy jacket fronts over a grey wall."""
    img = np.zeros((120, 160, 3), np.uint8)
    img[:] = _srgb("#8a8a8a")
    img[40:, 30:70] = _srgb("#1f2a4d")
    img[40:, 90:130] = _srgb("#1f2a4d")
    img[40:, 70:90] = _srgb("#f2f2f2")
    return img


def test_white_balance_undoes_a_warm_light() -> None:
    warm = _cast(_scene(), (1.25, 1.0, 0.7))
    light = illuminant(warm)
    assert light[0] > light[2]                                  # the cast is measured
    shirt_raw = rgb_to_lab(warm[60:, 72:88].reshape(-1, 3))
    shirt_wb = balanced_lab(warm)[60:, 72:88].reshape(-1, 3)
    assert dominant_colours(shirt_raw, lit=0.7)[0].name != "white"   # yellowed
    assert dominant_colours(shirt_wb, lit=0.7)[0].name == "white"


def test_a_shaded_white_shirt_is_named_by_its_lit_part() -> None:
    rng = np.random.default_rng(0)
    shade = rng.uniform(0.55, 1.0, (400, 1))                    # folds and shadow
    pixels = rgb_to_lab(np.clip(np.array(hex_to_rgb("#f0f0f0"))[None] * shade, 0, 1))
    assert dominant_colours(pixels, lit=0.7)[0].name == "white"


def test_navy_half_in_deep_shadow_keeps_black_as_an_alternative_with_its_share() -> None:
    lit = rgb_to_lab(np.array([hex_to_rgb("#1f2a4d")] * 300))
    deep = rgb_to_lab(np.array([hex_to_rgb("#101114")] * 300))     # the shaded half
    pixels = np.concatenate([lit, deep])
    main = dominant_colours(pixels, lit=0.7)[0].name
    assert main in ("navy", "black")
    alts = alternatives(pixels, main)
    other = {"navy": "black", "black": "navy"}[main]
    assert [a["name"] for a in alts][:1] == [other]
    assert 0.3 <= float(alts[0]["share"]) <= 0.7


def test_navy_in_ordinary_shade_is_not_given_alternatives_it_does_not_have() -> None:
    rng = np.random.default_rng(1)
    shade = rng.uniform(0.25, 1.0, (600, 1))
    pixels = rgb_to_lab(np.clip(np.array(hex_to_rgb("#1f2a4d"))[None] * shade, 0, 1))
    assert dominant_colours(pixels, lit=0.7)[0].name == "navy"
    assert alternatives(pixels, "navy") == []          # black wins ~10% of pixels only


def test_maroon_and_burgundy_are_neighbours_not_forced() -> None:
    maroon = rgb_to_lab(np.array([hex_to_rgb("#5a1a1f")] * 300))
    burgundy = rgb_to_lab(np.array([hex_to_rgb("#6d1030")] * 200))
    pixels = np.concatenate([maroon, burgundy])
    main = dominant_colours(pixels, k=1, lit=0.7)[0].name
    assert main in ("maroon", "burgundy")
    assert {a["name"] for a in alternatives(pixels, main)} & {"maroon", "burgundy"}
