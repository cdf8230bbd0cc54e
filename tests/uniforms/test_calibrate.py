"""Calibration tables: what is counted, and how the search reads them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from workbench.eval.uniform_calibration import fit
from workbench.schools.likelihood import colours_loglik, observation_model
from workbench.schools.observation import presence_condition, presence_symbol
from workbench.uniforms.palette import COLOUR_NAMES


def _record(item: str, worn: list[str] | None, colours: list[str], present: bool = True,
            confidence: float = 0.95, pattern: str = "plain", jumper: list[str] | None = None
            ) -> dict:
    return {"item": item, "worn": worn is not None, "truth_colours": worn or [],
            "truth_pattern": "plain" if worn else None,
            "shirt": {"colours": ["white"], "pattern": "plain"},
            "jumper": {"colours": jumper, "pattern": "plain"} if jumper else None,
            "present": present, "confidence": confidence, "colours": colours,
            "pattern": pattern if present else None, "pattern_confidence": 0.9}


def test_presence_symbols_and_conditions() -> None:
    assert presence_symbol(True, 0.95) == "present-sure"
    assert presence_symbol(False, 0.5) == "cannot-tell"
    assert presence_symbol(False, 0.6) == "absent-unsure"
    assert presence_symbol(None, 0.0) is None
    white = {"colours": ["white"], "pattern": "plain"}
    striped = {"colours": ["white", "red"], "pattern": "striped"}
    navy = {"colours": ["navy"], "pattern": "plain"}
    assert presence_condition("blazer", ["navy"], white, navy) == "worn-over-same"
    assert presence_condition("blazer", ["navy", "gold"], white, None) == "worn"
    assert presence_condition("blazer", None, white, navy) == "not-over-jumper"
    assert presence_condition("tie", None, white, navy) == "not"
    assert presence_condition("tie", None, striped, None) == "not-over-pattern"
    assert presence_condition("tie", ["red"], striped, None) == "worn-over-same"
    assert presence_condition("lower", ["grey", "red"], None, None, "checked") == \
        "worn-patterned"


def test_fit_counts_presence_colours_extras_and_patterns(tmp_path: Path) -> None:
    records = [
        _record("tie", ["navy", "gold"], ["navy", "gold", "brown"], pattern="striped"),
        _record("tie", ["navy"], ["black"]),
        _record("tie", None, [], present=False),
        _record("blazer", ["navy"], [], present=False, confidence=0.5, jumper=["navy"]),
    ]
    records[0]["truth_pattern"] = "striped"
    table = fit(records)
    idx = COLOUR_NAMES.index
    counts = np.array(table["colour_counts"])
    assert counts[idx("navy"), idx("navy")] == 1 and counts[idx("gold"), idx("gold")] == 1
    assert counts[idx("navy"), idx("black")] == 1
    assert table["extra_colour_counts"][idx("brown")] == 1          # third name: an extra
    sure = table["n_colours"]["tie"]["sure"]
    assert sure["2"][3] == 1 and sure["1"][1] == 1
    assert table["presence"]["tie"]["not"]["absent-sure"] == 1
    assert table["presence"]["blazer"]["worn-over-same"]["cannot-tell"] == 1
    assert table["pattern_counts"]["tie"]["sure"][1][1] == 1
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps(table))
    model = observation_model(str(path))
    # two worn colours both named: likelier than one worn colour and an unexplained name
    two, exact, _ = colours_loglik(model, "tie", ["navy", "gold"], ["navy", "gold"])
    one, exact_one, _ = colours_loglik(model, "tie", ["navy", "gold"], ["navy"])
    assert exact and not exact_one and two > one
