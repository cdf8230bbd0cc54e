"""Rules files: the shipped defaults load; invalid files fail with messages that say why."""

from __future__ import annotations

import pytest

from workbench.criteria import RulesError, default_rules_path, load_rules, parse_rules

GOOD = """
version: 7
rules:
  - name: young
    description: a probably young face
    conditions:
      - {attr: p_minor, op: ">=", value: 0.5, weight: 0.6}
"""


def test_defaults_load_with_descriptions_and_version():
    rules = load_rules()
    names = {r.name for r in rules}
    assert {"minor_distress", "woman_fear_disgust", "minor_distress_with_adult", "known_hash",
            "explicit_with_minor", "missing_person_match"} <= names
    assert all(len(r.description) > 20 for r in rules)
    assert rules.version == "2"
    assert rules.version_id.startswith("2+") and len(rules.version_id) == 14
    assert rules.source == str(default_rules_path())


def test_version_id_changes_with_content_not_just_version_field():
    a = parse_rules(GOOD)
    b = parse_rules(GOOD.replace("0.6", "0.5"))
    assert a.version == b.version == "7"
    assert a.version_id != b.version_id


@pytest.mark.parametrize(("text", "message"), [
    ("rules: []", "version"),
    ("version: 1\nrules: []", "non-empty list"),
    ("version: 1\nrules: [ {name: a, conditions: [{attr: p_minor, op: '>=', value: 1}]} ]",
     "description"),
    (GOOD.replace('">="', '"=>"'), "op must be one of"),
    (GOOD.replace("weight: 0.6", "weight: 6"), "weight must be a number between 0 and 1"),
    (GOOD.replace("weight: 0.6", "wieght: 0.6"), "unknown fields ['wieght']"),
    (GOOD.replace("attr: p_minor,", ""), "exactly one of"),
    (GOOD.replace("description: a probably young face",
                  "description: x\n    level: image"), "any_face or count_faces"),
    (GOOD.replace("value: 0.5", "value: \"__import__('os')\""), "needs a number"),
    (GOOD + GOOD.split("rules:")[1], "unique"),
    ("version: 1\nrules:\n  - name: a\n    description: d\n    conditions: [{any_face: []}]",
     "non-empty list of face conditions"),
    ("version: [1\n", "not valid YAML"),
])
def test_invalid_rules_say_what_is_wrong(text, message):
    with pytest.raises(RulesError) as error:
        parse_rules(text, source="my.yaml")
    assert message in str(error.value)
    assert "my.yaml" in str(error.value)


def test_error_names_the_rule_and_condition():
    bad = GOOD.replace("value: 0.5", "value: [1, 2]")
    with pytest.raises(RulesError, match=r"rule 'young', condition #1"):
        parse_rules(bad)


def test_missing_file_is_a_rules_error(tmp_path):
    with pytest.raises(RulesError, match="cannot read rules file"):
        load_rules(tmp_path / "nope.yaml")


def test_a_rule_cannot_be_all_optional():
    text = GOOD.replace("weight: 0.6}", "weight: 0.6, required: false}")
    with pytest.raises(RulesError, match="at least one condition must be required"):
        parse_rules(text)


@pytest.mark.parametrize(("condition", "named"), [
    ("{attr: p_minr, op: '>=', value: 0.5}", "unknown face attribute 'p_minr'"),
    ("{any_attr: [emotion_fear, emotion_scared], op: '>=', value: 0.5}",
     "unknown face attribute 'emotion_scared'"),
    ("{signal: nudity, op: '>=', value: 0.5}", "unknown signal 'nudity'"),
    ("{hit: hashes}", "unknown hit kind 'hashes'"),
    ("{any_face: [{attr: agee, op: '<', value: 18}]}", "unknown face attribute 'agee'"),
])
def test_unknown_names_are_errors_that_name_them(condition, named):
    text = GOOD.replace("{attr: p_minor, op: \">=\", value: 0.5, weight: 0.6}", condition)
    assert condition in text
    with pytest.raises(RulesError, match=named) as error:
        parse_rules(text, source="typo.yaml")
    assert "rule 'young'" in str(error.value) and "known" in str(error.value)


def test_the_vocabulary_matches_what_the_workbench_produces():
    from workbench.criteria.explicit import SIGNAL
    from workbench.criteria.rules import ATTRIBUTES, HIT_KINDS, SIGNALS
    from workbench.faces.settings import EMOTIONS
    from workbench.missing.lookup import HIT_KIND

    assert {f"emotion_{e}" for e in EMOTIONS} <= ATTRIBUTES
    assert SIGNAL in SIGNALS and HIT_KIND in HIT_KINDS and "hash" in HIT_KINDS
    assert "criterion" not in HIT_KINDS  # rules never read their own output
