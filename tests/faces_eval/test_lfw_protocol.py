"""LFW protocol math on synthetic scores, and pairs-file parsing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workbench.eval.lfw import (
    PairsFormatError,
    accuracy_at,
    auc,
    best_threshold,
    evaluate_scores,
    kfold_accuracy,
    parse_pairs,
    roc_points,
    stratified_folds,
    tar_at_far,
    threshold_at_far,
)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pairs.txt"
    path.write_text(text)
    return path


def test_parse_dev_view(tmp_path: Path) -> None:
    path = _write(tmp_path, "2\nAnn\t1\t2\nBob\t1\t3\nAnn\t1\tBob\t2\nCy\t4\tAnn\t12\n")
    pairs = parse_pairs(path, "/img")
    assert pairs.same.tolist() == [True, True, False, False]
    assert pairs.left[0] == "/img/Ann/Ann_0001.jpg"
    assert pairs.right[3] == "/img/Ann/Ann_0012.jpg"
    assert not pairs.folds_from_file
    assert pairs.images[:2] == ["/img/Ann/Ann_0001.jpg", "/img/Bob/Bob_0001.jpg"]


def test_parse_ten_fold_view(tmp_path: Path) -> None:
    lines = ["2 1"]
    for k in range(2):
        lines += [f"P{k}\t1\t2", f"P{k}\t1\tQ{k}\t1"]
    pairs = parse_pairs(_write(tmp_path, "\n".join(lines)), "/x")
    assert pairs.folds_from_file
    assert pairs.fold.tolist() == [0, 0, 1, 1]


@pytest.mark.parametrize("text", ["", "x\n", "2\nAnn\t1\t2\n", "1\nAnn\t1\n", "1 1\nA\t1\t2\n",
                                  "1\nA\tone\t2\nA\t1\tB\t1\n"])
def test_parse_rejects_malformed(tmp_path: Path, text: str) -> None:
    with pytest.raises(PairsFormatError):
        parse_pairs(_write(tmp_path, text), "/x")


def test_stratified_folds_balance() -> None:
    same = np.array([True] * 50 + [False] * 50)
    fold = stratified_folds(same)
    for k in range(10):
        assert (same[fold == k]).sum() == 5 and (~same[fold == k]).sum() == 5


def test_best_threshold_separable() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.2, 0.1, 0.3])
    same = np.array([True, True, True, False, False, False])
    t = best_threshold(scores, same)
    assert 0.3 < t <= 0.7
    assert accuracy_at(scores, same, t) == 1.0


def test_kfold_threshold_chosen_on_other_folds() -> None:
    # Fold 0 alone would want a threshold of ~0.95; the other folds put it near 0.5,
    # so fold 0 must be scored with their threshold and lose accuracy.
    rng = np.random.default_rng(0)
    same = np.array([True, False] * 50)
    scores = np.where(same, 0.7, 0.3) + rng.normal(0, 0.01, 100)
    fold = (np.arange(100) // 2) % 10
    scores[(fold == 0) & ~same] = 0.9
    accs, thresholds = kfold_accuracy(scores, same, fold)
    assert accs[0] == pytest.approx(0.5)
    assert all(a == 1.0 for a in accs[1:])
    assert 0.3 < thresholds[0] < 0.7


def test_tar_at_far_counts_false_accepts() -> None:
    neg = np.linspace(0, 0.5, 1000)          # 1000 impostor scores
    pos = np.linspace(0.45, 1.0, 100)
    scores = np.concatenate([pos, neg])
    same = np.concatenate([np.ones(100, bool), np.zeros(1000, bool)])
    t = threshold_at_far(scores, same, 1e-3)  # one false accept allowed
    assert np.sum(neg >= t) == 1
    tar, t2 = tar_at_far(scores, same, 1e-3)
    assert t2 == t and tar == pytest.approx(np.mean(pos >= t))
    t0 = threshold_at_far(scores, same, 1e-4)  # below resolution: zero false accepts
    assert np.sum(neg >= t0) == 0


def test_roc_monotone_and_auc() -> None:
    rng = np.random.default_rng(1)
    same = rng.random(400) < 0.5
    scores = np.where(same, 1.0, 0.0) + rng.normal(0, 0.5, 400)
    points = roc_points(scores, same)
    fars = [p[0] for p in points]
    tars = [p[1] for p in points]
    assert fars == sorted(fars) and tars == sorted(tars)
    assert 0.8 < auc(points) < 1.0
    perfect = roc_points(np.where(same, 1.0, 0.0), same)
    assert auc(perfect) == pytest.approx(1.0)


def test_evaluate_scores_dev_view_note(tmp_path: Path) -> None:
    lines = ["20"] + [f"A{i}\t1\t2" for i in range(20)] + [f"A{i}\t1\tB{i}\t1" for i in range(20)]
    pairs = parse_pairs(_write(tmp_path, "\n".join(lines)), "/x")
    scores = np.where(pairs.same, 0.8, 0.1)
    result = evaluate_scores(pairs, scores, "key", no_face=0)
    assert result.accuracy == 1.0
    assert "stratified" in result.note
    assert result.as_dict()["tar_at_far"]["0.001"] == 1.0
