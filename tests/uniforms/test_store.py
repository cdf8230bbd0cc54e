"""Corrections persist, are audited, survive re-extraction and drive the search observation."""

from __future__ import annotations

import pytest

from workbench.errors import ValidationError
from workbench.types import Run
from workbench.uniforms.attributes import ItemAttribute, PersonAttributes
from workbench.uniforms.store import correct_attribute, load_attributes, observation, save_attributes


def _person(face_id: str = "e1:0") -> PersonAttributes:
    items = {"shirt": ItemAttribute("shirt", True, 0.9, ["white"], "plain"),
             "tie": ItemAttribute("tie", True, 0.7, ["black"], "plain"),
             "blazer": ItemAttribute("blazer", False, 0.8),
             "lower": ItemAttribute("lower", None, 0.0)}
    return PersonAttributes(face_id, "e1", items, 0.6)


def test_correction_wins_and_is_audited(new_case) -> None:
    run = new_case.start_run(Run.start("uniforms"))
    assert save_attributes(new_case, [_person()], run.id) == 4
    values = correct_attribute(new_case, "e1:0", "tie", colours=["navy", "gold"],
                               pattern="striped", who="analyst-1", note="stripes visible")
    assert values == {"present": True, "colours": ["navy", "gold"], "pattern": "striped"}
    face = load_attributes(new_case)["e1:0"]
    tie = face["items"]["tie"]
    assert tie["colours"] == ["navy", "gold"] and tie["corrected"] and tie["confidence"] == 1.0
    assert tie["corrected_by"] == "analyst-1"
    assert face["items"]["shirt"]["corrected"] is False
    log = new_case.audit_log()
    row = log[log.action == "uniforms.correct"].iloc[0]
    assert row.target == "e1:0/tie" and row.who == "analyst-1"
    obs = observation(face)
    assert obs["tie"]["pattern"] == "striped" and "lower" not in obs


def test_correction_survives_a_new_measurement(new_case) -> None:
    run = new_case.start_run(Run.start("uniforms"))
    save_attributes(new_case, [_person()], run.id)
    correct_attribute(new_case, "e1:0", "blazer", present=True, colours=["maroon"])
    save_attributes(new_case, [_person()], run.id)            # re-run of the extraction
    blazer = load_attributes(new_case, face_ids=["e1:0"])["e1:0"]["items"]["blazer"]
    assert blazer["present"] is True and blazer["colours"] == ["maroon"]


def test_bad_corrections_are_refused(new_case) -> None:
    run = new_case.start_run(Run.start("uniforms"))
    save_attributes(new_case, [_person()], run.id)
    with pytest.raises(ValidationError, match="unknown colours"):
        correct_attribute(new_case, "e1:0", "tie", colours=["teal"])
    with pytest.raises(ValidationError, match="unknown item"):
        correct_attribute(new_case, "e1:0", "hat")
    with pytest.raises(ValidationError, match="no uniform attributes"):
        correct_attribute(new_case, "nope:1", "tie", present=False)
