"""The presence model: a logistic fit that recovers a known rule, the shipped JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from workbench.uniforms.presence import (
    FEATURES,
    PresenceModelError,
    fit_logistic,
    fit_models,
    load_models,
    training_rows,
)


def test_fit_recovers_the_sign_and_separates() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (400, 2))
    y = (2.0 * x[:, 1] - 0.5 * x[:, 0] + rng.normal(0, 0.2, 400) > 0.6).astype(float)
    mean, scale, w, b = fit_logistic(x, y)
    assert w[1] > 0 > w[0]
    p = 1 / (1 + np.exp(-(((x - mean) / scale) @ w + b)))
    assert ((p >= 0.5) == (y == 1)).mean() > 0.85


def test_fit_models_uses_only_torso_rows_with_cues() -> None:
    rng = np.random.default_rng(1)
    people = []
    for _ in range(60):
        tie, jacket = bool(rng.random() < 0.4), bool(rng.random() < 0.5)
        cues = {"tie": float(tie) * 0.8 + rng.uniform(0, 0.2),
                "front_tie": float(tie) * 0.5 + rng.uniform(0, 0.1), "collar_cloth": 1.0,
                "outer": float(jacket) * 0.7 + rng.uniform(0, 0.3),
                "outer_darker": float(jacket) * 0.6 + rng.uniform(-0.2, 0.2)}
        items = {"tie": {"present": tie}, "blazer": {"present": jacket}}
        people.append(({"torso_visible": True, "items": items}, cues))
    # a blazer label without the outer cue (its region was not in view) is left out
    people.append(({"torso_visible": True, "items": {"blazer": {"present": True}}},
                   {"collar_cloth": 1.0, "tie": 0.0}))
    # rows that must be left out: no torso, item unknown, read by the face layout
    people.append(({"torso_visible": False, "items": {}}, {"tie": 1.0}))
    people.append(({"torso_visible": True, "items": {"tie": None}}, {"collar_cloth": 1.0}))
    people.append(({"torso_visible": True, "items": {"tie": {"present": False}}},
                   {"tie": 1.0, "front_tie": 1.0}))
    models = fit_models(people)
    model = models["tie"]
    assert model.features == FEATURES["tie"]
    assert model.probability({"tie": 0.9, "front_tie": 0.55}) > 0.9
    assert model.probability({"tie": 0.05, "front_tie": 0.02}) < 0.1
    blazer = models["blazer"]
    assert blazer.features == FEATURES["blazer"]
    assert blazer.probability({"outer": 0.9, "outer_darker": 0.6}) > 0.9
    assert blazer.probability({"outer": 0.1, "outer_darker": 0.0}) < 0.1
    assert training_rows(people, "blazer")[0].shape == (60, 2)


def test_too_few_rows_is_an_error() -> None:
    people = [({"torso_visible": True, "items": {"tie": {"present": True}}},
               {"collar_cloth": 1.0})] * 3
    with pytest.raises(PresenceModelError, match="too few"):
        fit_models(people)


def test_shipped_model_reads_and_a_clear_tie_beats_none() -> None:
    models = load_models()
    assert set(models) == set(FEATURES)         # the reader asks for every item's model
    tie = models["tie"]
    assert tie.probability({"tie": 1.0, "front_tie": 0.6}) > 0.5
    assert tie.probability({"tie": 0.0, "front_tie": 0.0}) < 0.5
    blazer = models["blazer"]
    # dark sides unlike a light V: a jacket over a shirt; one fabric throughout: none
    assert blazer.probability({"outer": 1.0, "outer_darker": 0.8}) > 0.5
    assert blazer.probability({"outer": 0.0, "outer_darker": 0.0}) < 0.5


def test_broken_model_file_says_how_to_refit(tmp_path: Path) -> None:
    bad = tmp_path / "presence.json"
    bad.write_text(json.dumps({"format": 1}))
    with pytest.raises(PresenceModelError, match="refit"):
        load_models(bad)
