"""Identification metrics on synthetic labels."""

from __future__ import annotations

import numpy as np
import pytest

from faces_eval.helpers import people_vectors
from workbench.eval.identities import UNKNOWN, metrics, nearest_neighbour, pairwise_scores


def test_metrics_precision_recall() -> None:
    truth = ["a", "a", "b", "b", UNKNOWN]
    pred = ["a", "b", "b", "b", "a"]
    rows, confusion = metrics(truth, pred)
    by = {r["identity"]: r for r in rows}
    assert by["a"]["precision"] == pytest.approx(0.5) and by["a"]["recall"] == pytest.approx(0.5)
    assert by["b"]["precision"] == pytest.approx(2 / 3) and by["b"]["recall"] == 1.0
    assert confusion["a"] == {"a": 1, "b": 1}
    assert confusion[UNKNOWN] == {"a": 1}


def test_nearest_neighbour_open_set() -> None:
    vectors, ids = people_vectors(3, 3, noise=0.1)
    extra = np.eye(128, dtype=np.float32)[5:6]           # a person seen once
    vectors = np.concatenate([vectors, extra])
    names = [f"p{i}" for i in ids] + ["loner"]
    truth, pred = nearest_neighbour(vectors, names, threshold=0.5)
    assert truth[-1] == UNKNOWN and pred[-1] == UNKNOWN
    assert truth[:-1] == pred[:-1]
    vectors[0] = np.nan                                   # no face found
    truth, pred = nearest_neighbour(vectors, names, threshold=0.5)
    assert pred[0] == "no_face"


def test_pairwise_scores() -> None:
    assert pairwise_scores([0, 0, 1, 1], ["a", "a", "b", "b"])["f1"] == 1.0
    split = pairwise_scores([0, 1, 2, 3], ["a", "a", "b", "b"])
    assert split["recall"] == 0.0
    lumped = pairwise_scores([0, 0, 0, 0], ["a", "a", "b", "b"])
    assert lumped["recall"] == 1.0 and lumped["precision"] == pytest.approx(2 / 6)
