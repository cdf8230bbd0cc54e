"""The age head's arithmetic on a document whose answers are known, and the shipped head."""

from __future__ import annotations

import json

import numpy as np
import pytest

from workbench.errors import ModelMissing
from workbench.faces.age_model import (
    DISTRIBUTION_BINS,
    HEAD_FILE,
    AgeHead,
    head_features,
    network_summary,
    operating_point,
)

N_FEATURES = len(DISTRIBUTION_BINS) - 1 + 1 + 128


def _part(coef: np.ndarray, intercept: float, **extra: object) -> dict:
    return {"mean": [0.0] * N_FEATURES, "scale": [1.0] * N_FEATURES, "coef": coef.tolist(),
            "intercept": intercept, **extra}


def _document() -> dict:
    minor = np.zeros(N_FEATURES)
    minor[-1] = 10.0                      # p_minor = sigmoid(10 * last embedding value)
    return {
        "format": 1, "embedding_key": "dlib_resnet_v1/hog/dlib5pt_chip150_pad0.25",
        "models": {"age": "0" * 64},
        "minor": _part(minor, 0.0),
        "age": _part(np.zeros(N_FEATURES), 4.0, target="sqrt"),  # sqrt(age) = 4: 16 years
        "interval": {"coverage": 0.95, "bins": [0, 10, 200], "low": [-0.5, -1.0],
                     "high": [0.5, 1.0]},
        "operating_point": {"threshold": 0.25, "flagged": {"0-12": 1.0, "13-15": 0.9,
                                                           "16-17": 0.8, "26+": 0.04},
                            "n": {"0-12": 10, "13-15": 6, "16-17": 4, "26+": 50},
                            "measured_on": "a test",
                            "groups": {"race": [
                                {"group": "x", "n": 20, "found": 20, "flagged 26+": 0.12,
                                 "n 26+": 9, "coverage": 0.95},
                                {"group": "y", "n": 30, "found": 29, "flagged 26+": 0.04,
                                 "n 26+": 12, "coverage": 0.8}]}},
    }


def _one_hot(age_class: int, n: int = 1) -> np.ndarray:
    p = np.zeros((n, 81))
    p[:, age_class] = 1.0
    return p


def test_head_maps_features_to_age_interval_and_p_minor():
    head = AgeHead(_document())
    embedding = np.zeros((2, 128))
    embedding[0, -1], embedding[1, -1] = 1.0, -1.0
    out = head.predict(_one_hot(30, 2), embedding)
    assert out["p_minor"] == pytest.approx([1 / (1 + np.exp(-10)), 1 / (1 + np.exp(10))], rel=1e-5)
    assert out["age"] == pytest.approx([16, 16])
    # predicted 16 is in the second bin: (4 - 1)^2 = 9 to (4 + 1)^2 = 25
    assert out["age_low"] == pytest.approx([9, 9]) and out["age_high"] == pytest.approx([25, 25])
    assert out["age_std"] == pytest.approx([16 / 3.92] * 2, rel=1e-5)
    assert out["age_network"] == pytest.approx([30, 30])


def test_head_with_no_faces_gives_empty_columns():
    out = AgeHead(_document()).predict(np.empty((0, 81)), np.empty((0, 128)))
    assert all(len(v) == 0 for v in out.values())


def test_head_refuses_another_embedding_space():
    head = AgeHead(_document())
    assert head.accepts("dlib_resnet_v1/yunet/dlib5pt_chip150_pad0.25")
    assert not head.accepts("deepface_Facenet512/hog/dlib5pt_chip160_pad0.25")


def test_incomplete_or_unreadable_head_names_the_fix(tmp_path):
    broken = _document()
    del broken["interval"]
    with pytest.raises(ModelMissing, match="age_fit"):
        AgeHead(broken)
    bad = tmp_path / "head.json"
    bad.write_text("{not json")
    with pytest.raises(ModelMissing, match="cannot read"):
        AgeHead.load(bad)


def test_operating_point_reads_as_rates_people_understand(tmp_path):
    path = tmp_path / "head.json"
    path.write_text(json.dumps(_document()))
    text = operating_point(path).describe()
    # 13-17 pooled by count: (0.9 * 6 + 0.8 * 4) / 10 = 0.86
    assert "p_minor >= 0.250" in text and "100 in 100 children of 0-12" in text
    assert "86 in 100 of 13-17" in text and "4 in 100 adults over 25" in text
    assert "a test" in text
    caveat = operating_point(path).caveat()
    assert "12 in 100 adults over 25 flagged where race is x (of 9)" in caveat
    assert "held only 80% of true ages where race is y (of 29)" in caveat
    assert "race is y" not in caveat.split(";")[0]


def test_features_pool_the_distribution_and_append_the_embedding():
    x = head_features(_one_hot(15), np.ones((1, 128)))
    assert x.shape == (1, N_FEATURES)
    pooled = np.exp(x[0, :len(DISTRIBUTION_BINS) - 1])
    assert pooled.sum() == pytest.approx(1, abs=1e-4) and pooled.argmax() == 7  # 15-16 bin
    assert x[0, len(DISTRIBUTION_BINS) - 1] == pytest.approx(np.log1p(15))
    assert head_features(_one_hot(15), None).shape == (1, N_FEATURES - 128)


def test_network_summary_is_the_networks_own_reading():
    out = network_summary(_one_hot(16))
    assert out["age"][0] == pytest.approx(16) and out["p_minor"][0] == 1.0
    assert out["age_low"][0] == out["age_high"][0] == 16


def test_shipped_head_is_complete_and_meets_its_stated_rates():
    head = AgeHead.load(HEAD_FILE)
    point = head.operating_point
    assert 0 < point.threshold < 1 and head.coverage == 0.95
    assert set(point.flagged) >= {"0-12", "13-15", "16-17", "18-20", "21-25", "26+"}
    # the operating point was chosen to flag about 4 % of adults over 25
    assert point.flagged["26+"] <= 0.06
    document = json.loads(HEAD_FILE.read_text())
    assert document["fitted_on"]["labels_sha256"] and document["models"]["age"]
    out = head.predict(_one_hot(10, 3), np.full((3, 128), 1 / np.sqrt(128)))
    assert np.all((out["age_low"] <= out["age"]) & (out["age"] <= out["age_high"]))


def test_default_rules_use_the_measured_operating_point():
    from importlib.resources import files

    import yaml

    rules = yaml.safe_load(files("workbench.criteria").joinpath("default_rules.yaml").read_text())
    threshold = operating_point().threshold
    minor_conditions = [c for r in rules["rules"] for c in r["conditions"]
                        if isinstance(c, dict) and c.get("attr") == "p_minor" and c["op"] == ">="]
    assert minor_conditions and all(c["value"] == pytest.approx(threshold, abs=5e-4)
                                    for c in minor_conditions)
