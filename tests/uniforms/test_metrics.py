"""Fair tie counting, the registry's information limit and the miss split."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.eval.school_metrics import (
    decompose,
    expected_in_top,
    information_limit,
    perfect_loglik,
    summarise,
    tie_rank,
)
from workbench.eval.uniform_queries import Query
from workbench.schools.registry import School, parse_item
from workbench.schools.search import log_likelihoods


def _school(sid: str, **items: str) -> School:
    return School(sid, sid, "", 28.0, -82.0, "HIGH", {k: parse_item(v) for k, v in items.items()},
                  "test")


def test_tie_rank_and_fair_share() -> None:
    scores = np.array([-1.0, -2.0, -2.0, -2.0, -2.0, -3.0])
    assert tie_rank(scores, 2) == (1, 4)
    # truth in a group of 4 behind one better school: 2 of the 4 group places are in the top 3
    assert expected_in_top(1, 4, 3) == pytest.approx(0.5)
    assert expected_in_top(0, 1, 3) == 1.0 and expected_in_top(3, 2, 3) == 0.0
    assert expected_in_top(0, 12, 3) == pytest.approx(0.25)
    s = summarise([(0, 1), (1, 4), (3, 2)])
    assert s["top3_fair"] == pytest.approx((1 + 0.5 + 0) / 3, abs=1e-3)
    assert s["top3_ties_for"] == pytest.approx(2 / 3, abs=1e-3)
    assert s["top3_ties_against"] == pytest.approx(1 / 3, abs=1e-3)


SCHOOLS = [
    _school("a", shirt="white", jumper="navy", lower="grey"),
    _school("b", shirt="white", jumper="navy", lower="black"),    # differs only below
    _school("c", shirt="white", jumper="navy?", lower="grey"),     # jumper optional
    _school("d", shirt="white", tie="navy+gold/striped", lower="grey"),
    _school("e", shirt="white", tie="gold+navy/striped", lower="grey"),  # same tie
]


def test_information_limit_counts_identical_visible_uniforms() -> None:
    worn = {"shirt": SCHOOLS[0].uniform["shirt"], "jumper": SCHOOLS[0].uniform["jumper"]}
    visible = ["shirt", "tie", "jumper", "blazer"]           # the lower garment is not shown
    assert information_limit(worn, visible, "a", SCHOOLS) == (0, 2)     # a and b are twins
    # the optional jumper explains a worn jumper half as well: behind, not tied
    assert perfect_loglik(worn, visible, SCHOOLS[2]) == pytest.approx(np.log(0.5))
    assert perfect_loglik(worn, visible, SCHOOLS[3]) == -np.inf
    # navy+gold and gold+navy stripes are one fabric
    tie_worn = {"shirt": SCHOOLS[3].uniform["shirt"], "tie": SCHOOLS[3].uniform["tie"]}
    assert information_limit(tie_worn, visible, "d", SCHOOLS) == (0, 2)
    with_lower = visible + ["lower"]
    assert information_limit({**worn, "lower": SCHOOLS[0].uniform["lower"]}, with_lower, "a",
                             SCHOOLS) == (0, 1)


def _query(sid: str, observation: dict, visible: list[str]) -> Query:
    school = next(s for s in SCHOOLS if s.id == sid)
    worn = {k: v for k, v in school.uniform.items() if not v.get("optional")}
    return Query(sid, worn, visible, observation, (28.0, -82.0))


def test_decompose_splits_the_miss_into_limit_ranking_and_extraction() -> None:
    visible = ["shirt", "tie", "jumper", "blazer"]
    clean = _query("a", {}, visible).perfect_observation()
    wrong = {**clean, "jumper": {"present": True, "confidence": 0.9, "colours": ["maroon"],
                                 "pattern": "plain"}}
    wrong = {k: {kk: vv for kk, vv in v.items() if kk != "corrected"} for k, v in wrong.items()}
    queries = [_query("a", clean, visible), _query("a", wrong, visible)]
    report = decompose(queries, SCHOOLS, log_likelihoods, k=1)
    # the twins a and b: a flawless reading puts the truth first half the time
    assert report["ceiling_perfect_attributes"]["top1_fair"] == pytest.approx(0.5)
    assert report["queries_with_an_extraction_error"] == pytest.approx(0.5)
    split = report["loss_split"]
    assert split["information_limit"] == pytest.approx(0.5)
    assert sum(split.values()) == pytest.approx(
        1 - report["ranker_on_extracted_attributes"]["top1_fair"], abs=2e-3)
