"""Each default rule fires, or not, on constructed faces; scores order as intended."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from workbench.criteria import load_rules, minor_probability, score_hits
from workbench.criteria.synthetic import faces_from_rows, fake_evidence_id, make_face, random_faces


@pytest.fixture(scope="module")
def rules():
    return load_rules()


def fired(hits, rule, image=None):
    return [h for h in hits if h.source == rule
            and (image is None or h.evidence_id == fake_evidence_id(image))]


def signals(**values):
    return pd.DataFrame([{"evidence_id": fake_evidence_id(k), "name": "explicit", "value": v}
                         for k, v in values.items()])


def test_minor_probability_uses_the_uncertainty():
    assert minor_probability(18.0, 4.0)[0] == pytest.approx(0.5)
    sure_child, unsure_child = minor_probability([15.0, 15.0], [1.0, 10.0])
    assert sure_child > 0.9 > unsure_child > 0.5
    wide_adult, narrow_adult = minor_probability([21.0, 21.0], [8.0, 1.0])
    assert wide_adult > 0.3 > narrow_adult   # a wide estimate near 18 is still a lead
    assert math.isnan(minor_probability(np.nan, 3.0)[0])
    # A reported spread below the floor is not believed.
    assert minor_probability(20.0, 0.1)[0] == pytest.approx(minor_probability(20.0, 2.0)[0])


def test_minor_distress_fires_on_a_frightened_child_only(rules):
    faces = faces_from_rows([
        make_face("child-fear", age=11, age_std=3, emotion="fear"),
        make_face("child-happy", age=11, age_std=3, emotion="happy"),
        make_face("adult-fear", age=40, age_std=3, emotion="fear"),
        make_face("child-sad", age=9, age_std=3, emotion="sad"),
        make_face("child-disgust", age=14, age_std=3, emotion="disgust"),
    ])
    hits = score_hits(rules, faces)
    assert {h.evidence_id for h in fired(hits, "minor_distress")} == {
        fake_evidence_id(x) for x in ("child-fear", "child-sad", "child-disgust")}


def test_minor_distress_is_uncertainty_aware_not_a_hard_cut(rules):
    faces = faces_from_rows([
        make_face("wide-20", age=20, age_std=7, emotion="fear"),      # p_minor ~0.39
        make_face("narrow-20", age=20, age_std=1, emotion="fear"),    # p_minor ~0.16
        make_face("sure-16", age=16, age_std=1, emotion="fear"),
        make_face("vague-17", age=17, age_std=9, emotion="fear"),
    ])
    hits = {h.evidence_id: h for h in fired(score_hits(rules, faces), "minor_distress")}
    assert fake_evidence_id("wide-20") in hits
    assert fake_evidence_id("narrow-20") not in hits
    assert hits[fake_evidence_id("sure-16")].score > hits[fake_evidence_id("vague-17")].score


def test_woman_fear_disgust_the_prototype_rule(rules):
    faces = faces_from_rows([
        make_face("woman-fear", age=30, gender="female", emotion="fear"),
        make_face("woman-disgust", age=30, gender="Woman", emotion="disgust"),
        make_face("man-fear", age=30, gender="male", emotion="fear"),
        make_face("woman-happy", age=30, gender="female", emotion="happy"),
        make_face("unsure-woman", age=30, gender="female", emotion="fear",
                  gender_confidence=0.5),
    ])
    got = {h.evidence_id for h in fired(score_hits(rules, faces), "woman_fear_disgust")}
    assert got == {fake_evidence_id("woman-fear"), fake_evidence_id("woman-disgust")}


def test_distressed_minor_beside_an_adult_scores_higher_than_alone(rules):
    faces = faces_from_rows([
        make_face("together", age=10, age_std=3, emotion="fear"),
        make_face("together", age=45, age_std=4, emotion="neutral"),
        make_face("alone", age=10, age_std=3, emotion="fear"),
    ])
    hits = score_hits(rules, faces)
    assert not fired(hits, "minor_distress_with_adult", "alone")
    (together,) = fired(hits, "minor_distress_with_adult", "together")
    (alone,) = fired(hits, "minor_distress", "alone")
    (same_face,) = fired(hits, "minor_distress", "together")
    assert together.score > same_face.score == pytest.approx(alone.score)
    assert together.face_id.endswith(":0")   # the hit is on the child, not the adult
    adult = [c for c in together.conditions if c.name == "adult in the same image"][0]
    assert adult.fired and adult.value == 1


def test_known_hash_fires_from_ingest_hits_even_without_faces(rules):
    faces = faces_from_rows([make_face("faces-only", age=30)])
    hits_in = pd.DataFrame([{"evidence_id": fake_evidence_id("listed"), "face_id": None,
                             "kind": "hash", "source": "series-list", "score": 1.0}])
    hits = score_hits(rules, faces, hits=hits_in)
    (hit,) = fired(hits, "known_hash")
    assert hit.evidence_id == fake_evidence_id("listed") and hit.face_id is None
    assert hit.score == pytest.approx(0.8)
    assert hit.conditions[0].detail.endswith("(from series-list)")


def test_explicit_content_with_a_minor_is_the_highest_priority(rules):
    faces = faces_from_rows([
        make_face("explicit-minor", age=12, age_std=3, emotion="neutral"),
        make_face("explicit-adult", age=40, age_std=3),
        make_face("clean-minor", age=12, age_std=3, emotion="fear"),
        make_face("clean-minor", age=40, age_std=3),
    ])
    hits = score_hits(rules, faces, signals=signals(**{
        "explicit-minor": 0.45, "explicit-adult": 0.95, "clean-minor": 0.05}))
    (top,) = fired(hits, "explicit_with_minor")
    assert top.evidence_id == fake_evidence_id("explicit-minor")
    others = [h.score for h in hits if h.source != "explicit_with_minor"]
    assert top.score > max(others)
    # Even the weakest explicit+minor hit outranks the best any other face rule can give.
    assert top.score > max(r.max_score for r in rules
                           if r.name not in ("explicit_with_minor", "missing_person_match",
                                             "known_hash"))


def test_no_explicit_score_means_no_explicit_hit(rules):
    faces = faces_from_rows([make_face("unscanned", age=8, age_std=2)])
    assert not fired(score_hits(rules, faces), "explicit_with_minor")


def test_missing_person_match_from_registry_hits(rules):
    faces = faces_from_rows([make_face("crowd", age=30), make_face("crowd", age=31)])
    face_ids = list(faces.data["face_id"])
    registry = pd.DataFrame([
        {"evidence_id": fake_evidence_id("crowd"), "face_id": face_ids[1], "kind": "registry",
         "score": 0.8},
        {"evidence_id": fake_evidence_id("crowd"), "face_id": face_ids[0], "kind": "registry",
         "score": 0.3},
    ])
    registry["source"] = ["registry:local", "registry:other"]
    (hit,) = fired(score_hits(rules, faces, hits=registry), "missing_person_match")
    assert hit.face_id == face_ids[1]
    assert "registry:local" in hit.conditions[0].detail
    assert hit.score == pytest.approx(0.4 + 0.5 * 0.8)


def test_hits_explain_themselves_with_values_and_version(rules):
    faces = faces_from_rows([make_face("child", age=10, age_std=2, emotion="fear",
                                       strength=0.7)])
    (hit,) = fired(score_hits(rules, faces, run_id="r1"), "minor_distress")
    assert hit.version == rules.version_id and hit.run_id == "r1" and hit.kind == "criterion"
    sentence = hit.explain()
    assert sentence.startswith("minor_distress scored")
    assert "probability under 18 = 1.00" in sentence and "distress = 0.70" in sentence
    distress = [c for c in hit.conditions if c.name == "distress"][0]
    assert "emotion_fear" in distress.detail
    expected = 0.2 + 0.3 * hit.conditions[0].value + 0.2 * 0.7
    assert hit.score == pytest.approx(expected, abs=1e-3)


def test_unknown_age_or_missing_columns_never_fire(rules):
    faces = faces_from_rows([make_face("no-age", age=float("nan"), emotion="fear")])
    assert not fired(score_hits(rules, faces), "minor_distress")
    bare = faces_from_rows([{"image": "bare", "quality": 0.5}])
    assert score_hits(rules, bare) == []


def test_scores_stay_in_unit_interval_on_random_faces(rules):
    hits = score_hits(rules, random_faces(5000, seed=3))
    assert hits and all(0.0 <= h.score <= 1.0 for h in hits)
    keys = {(h.source, h.evidence_id, h.face_id) for h in hits}
    assert len(keys) == len(hits)


def test_count_faces_aggregation():
    from workbench.criteria import parse_rules

    rules = parse_rules("""
version: 1
rules:
  - name: group_of_minors
    description: three or more probable minors in one image
    level: image
    conditions:
      - count_faces: [{attr: p_minor, op: ">=", value: 0.5}]
        op: ">="
        value: 3
        weight: 0.5
""")
    rows = [make_face("three", age=9) for _ in range(3)] + [make_face("two", age=9)] * 2
    hits = score_hits(rules, faces_from_rows(rows))
    assert [h.evidence_id for h in hits] == [fake_evidence_id("three")]
    assert hits[0].conditions[0].value == 3


def test_faces_without_p_minor_get_the_age_estimate_in_a_mixed_case():
    # An older analysis stored ages only; a newer one the age head's p_minor. Both kinds of
    # face in one case must still be judged by the minor rules, each by what it has.
    from workbench.criteria.apply import faces_frame

    rows = [make_face("new", age=30.0, age_std=3.0, p_minor=0.9),
            make_face("old", age=12.0, age_std=3.0, p_minor=float("nan"))]
    frame = faces_frame(faces_from_rows(rows))
    assert frame["p_minor"].iloc[0] == pytest.approx(0.9)  # the head's value is kept
    assert frame["p_minor"].iloc[1] == pytest.approx(minor_probability(12.0, 3.0)[0])
    assert frame["p_minor"].iloc[1] > 0.9
