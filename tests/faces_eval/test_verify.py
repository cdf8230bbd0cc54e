"""compare() decisions at calibrated thresholds, and the shipped calibration file."""

from __future__ import annotations

import numpy as np
import pytest

from faces_eval.helpers import mock_faces
from workbench.errors import ValidationError
from workbench.faces.verify import CalibrationError, compare, load_calibration, threshold_for


def _pair(similarity: float) -> tuple[np.ndarray, np.ndarray]:
    a = np.zeros(128, np.float32)
    a[0] = 1
    b = np.zeros(128, np.float32)
    b[0], b[1] = similarity, np.sqrt(1 - similarity**2)
    return a, b


def test_decision_follows_threshold(calibration: dict) -> None:
    a, b = _pair(0.65)
    result = compare(a, b, calibration=calibration)
    assert result.decision == "match" and result.far_target == 1e-3
    assert result.similarity == pytest.approx(0.65, abs=1e-5)
    assert result.distance == pytest.approx(np.sqrt(2 - 2 * 0.65), abs=1e-5)
    strict = compare(a, b, far=1e-4, calibration=calibration)
    assert strict.decision == "no_match" and strict.threshold == 0.7
    assert "below" in strict.explain()


def test_custom_threshold_and_errors(calibration: dict) -> None:
    a, b = _pair(0.3)
    own = compare(a, b, threshold=0.2)
    assert own.is_match and own.far_target is None
    with pytest.raises(CalibrationError):
        compare(a, b, far=0.5, calibration=calibration)
    with pytest.raises(ValidationError):
        compare(a, np.ones(64), calibration=calibration)


def test_faces_inputs_and_keys(calibration: dict) -> None:
    a, b = _pair(0.9)
    fa = mock_faces(a[None], ["x"])
    fb = mock_faces(b[None], ["y"])
    assert compare(fa, fb, calibration=calibration).is_match
    fb.embedding_key = "other_model/hog"
    with pytest.raises(ValidationError):
        compare(fa, fb, calibration=calibration)
    with pytest.raises(CalibrationError):
        threshold_for(None, "arcface/retinaface", calibration)


def test_shipped_calibration_is_measured() -> None:
    cal = load_calibration()
    assert cal["version"] >= 1
    measured = cal["measured_on"]
    assert measured["pairs_file"] == "pairsDevTrain.txt" and measured["impostor_pairs"] > 10**6
    points = cal["operating_points"]
    t = [points[k]["threshold"] for k in ("0.01", "0.001", "0.0001")]
    assert t[0] < t[1] < t[2]                       # stricter FMR, higher threshold
    for key, point in points.items():
        assert point["far_measured"] <= float(key)
