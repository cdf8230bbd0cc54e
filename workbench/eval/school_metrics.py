"""How well a ranking finds the true school, with ties counted honestly.

Many schools wear the same uniform (white shirt, navy jumper), so the true school often
shares its score with others. Three ways to count a tie of ``equal`` schools (the truth
among them) behind ``better`` schools that score higher:

* *ties against*: the truth is last of its group (rank ``better + equal``) - pessimistic;
* *ties for*: first of its group (rank ``better + 1``) - optimistic;
* *fair*: the expected share under a random order within the group - what an analyst
  who works down the list meets on average.

:func:`decompose` splits the uniform-only miss into the registry's information limit
(schools a flawless extractor could not tell apart), ranking weakness (the ranker on
flawless attributes against that limit) and attribute-extraction errors.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from workbench.schools.registry import School

TIE_TOL = 1e-9


def tie_rank(scores: np.ndarray, index: int, tol: float = TIE_TOL) -> tuple[int, int]:
    """``(better, equal)``: schools scoring higher than ``index``, and those equal (itself too)."""
    target = scores[index]
    if not np.isfinite(target):
        return int(np.isfinite(scores).sum()), int((~np.isfinite(scores)).sum())
    better = int((scores > target + tol).sum())
    equal = int((np.abs(scores - target) <= tol).sum())
    return better, equal


def expected_in_top(better: int, equal: int, k: int) -> float:
    """Probability that the truth lands in the top ``k`` when its tie group is shuffled."""
    if equal <= 0:
        return 0.0
    return max(0, min(equal, k - better)) / equal


def summarise(ranks: Sequence[tuple[int, int]], k: int = 3) -> dict[str, float]:
    """Fair, ties-against and ties-for top-``k`` shares of ``(better, equal)`` pairs."""
    if not ranks:
        return {"n": 0}
    b = np.array([r[0] for r in ranks])
    e = np.array([r[1] for r in ranks])
    fair = np.mean([expected_in_top(int(x), int(y), k) for x, y in zip(b, e, strict=True)])
    return {"n": len(ranks),
            f"top{k}_fair": round(float(fair), 3),
            f"top{k}_ties_against": round(float(np.mean(b + e <= k)), 3),
            f"top{k}_ties_for": round(float(np.mean(b + 1 <= k)), 3),
            "top1_fair": round(float(np.mean([expected_in_top(int(x), int(y), 1)
                                              for x, y in zip(b, e, strict=True)])), 3),
            "median_tie_group": float(np.median(e))}


def _same(spec: Mapping[str, Any] | None, worn: Mapping[str, Any]) -> bool:
    # Stripes or checks of navy and gold are one fabric whichever colour is named first.
    same_colours = (list(spec["colours"]) == list(worn["colours"])
                    if spec.get("pattern", "plain") == "plain" and len(spec["colours"]) == 1
                    else set(spec["colours"]) == set(worn["colours"]))
    return same_colours and spec.get("pattern", "plain") == worn.get("pattern", "plain")


def perfect_loglik(worn: Mapping[str, Mapping[str, Any]], visible: Sequence[str],
                   school: School, p_optional: float = 0.5) -> float:
    """Log-probability that a pupil of ``school`` shows exactly ``worn`` on ``visible`` items.

    The Bayes-optimal score for a flawless extractor: a required item must be there and
    identical, an optional item is worn with probability ``p_optional``, an item outside
    the uniform must be absent. Schools with equal values cannot be told apart by any
    reading of these items: that is the registry's information limit.
    """
    total = 0.0
    for item in visible:
        spec, seen = school.uniform.get(item), worn.get(item)
        if spec is None:
            if seen is not None:
                return -math.inf
            continue
        if spec.get("optional"):
            total += math.log(p_optional)   # worn or left off, equally likely
            if seen is not None and not _same(spec, seen):
                return -math.inf
            continue
        if seen is None or not _same(spec, seen):
            return -math.inf
    return total


def information_limit(worn: Mapping[str, Mapping[str, Any]], visible: Sequence[str],
                      school_id: str, schools: Sequence[School]) -> tuple[int, int]:
    """``(better, equal)`` of the true school under :func:`perfect_loglik`."""
    scores = np.array([perfect_loglik(worn, visible, s) for s in schools])
    index = [s.id for s in schools].index(school_id)
    return tie_rank(scores, index)


def decompose(queries: Sequence[Any], schools: Sequence[School],
              scorer: Callable[[Mapping[str, Any], Sequence[School]], np.ndarray],
              k: int = 3) -> dict[str, Any]:
    """Split the uniform-only top-``k`` miss into information limit, ranking and extraction.

    Args:
        queries: :class:`workbench.eval.uniform_queries.Query` objects.
        schools: the registry searched.
        scorer: ``(observation, schools) -> log-likelihood per school`` (the ranker).
        k: the cut-off.

    Returns:
        Shares (fair, expected under random tie-break) and the loss split:
        ``information_limit = 1 - ceiling``, ``ranking = ceiling - ranker_on_perfect``,
        ``extraction = ranker_on_perfect - ranker_on_extracted``.
    """
    if not queries:
        raise ValueError("no queries to measure: build the constructed query set first")
    index = {s.id: i for i, s in enumerate(schools)}
    ceiling, perfect, extracted = [], [], []
    unique = wrong = 0
    for q in queries:
        i = index[q.school_id]
        limit = information_limit(q.worn, q.visible, q.school_id, schools)
        ceiling.append(limit)
        unique += limit == (0, 1)
        clean = q.perfect_observation()
        perfect.append(tie_rank(scorer(clean, schools), i))
        extracted.append(tie_rank(scorer(q.observation, schools), i))
        wrong += not _observation_matches(q.observation, clean)
    c, p, e = (summarise(r, k) for r in (ceiling, perfect, extracted))
    key = f"top{k}_fair"
    return {
        "queries": len(queries),
        "unique_uniform_share": round(unique / max(1, len(queries)), 3),
        "queries_with_an_extraction_error": round(wrong / max(1, len(queries)), 3),
        "ceiling_perfect_attributes": c,
        "ranker_on_perfect_attributes": p,
        "ranker_on_extracted_attributes": e,
        "loss_split": {"information_limit": round(1 - c[key], 3),
                       "ranking": round(c[key] - p[key], 3),
                       "extraction": round(p[key] - e[key], 3)},
    }


def _observation_matches(obs: Mapping[str, Any], clean: Mapping[str, Any]) -> bool:
    """True when the extractor read every visible item as a flawless one would."""
    for item, truth in clean.items():
        seen = obs.get(item)
        if seen is None or seen.get("present") is None:
            return False
        if bool(seen["present"]) != truth["present"]:
            return False
        if truth["present"] and (set(seen.get("colours") or []) != set(truth["colours"])
                                 or seen.get("pattern") != truth["pattern"]):
            return False
    return True
