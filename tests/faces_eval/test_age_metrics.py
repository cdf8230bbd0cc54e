"""The age metrics on small inputs whose answers are known by hand."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.errors import ValidationError
from workbench.eval.age import (
    age_report,
    band_of,
    read_age_labels,
    roc_auc,
    split_of,
    threshold_at_rate,
)


def test_bands_cover_the_investigators_age_groups():
    ages = np.array([0, 12.9, 13, 15, 16, 17.9, 18, 20, 21, 25, 26, 90])
    assert list(band_of(ages)) == ["0-12", "0-12", "13-15", "13-15", "16-17", "16-17",
                                   "18-20", "18-20", "21-25", "21-25", "26+", "26+"]


def test_auc_counts_pairs_and_ties_half():
    assert roc_auc(np.array([0.9, 0.8]), np.array([0.1, 0.2])) == 1.0
    assert roc_auc(np.array([0.1]), np.array([0.9])) == 0.0
    # one tie out of four pairs, the other three won: (3 + 0.5) / 4
    assert roc_auc(np.array([0.5, 0.9]), np.array([0.5, 0.1])) == pytest.approx(0.875)


def test_threshold_at_rate_never_exceeds_the_rate():
    adults = np.linspace(0, 1, 100)            # 100 distinct scores
    t = threshold_at_rate(adults, 0.05)
    assert (adults >= t).mean() == pytest.approx(0.05)
    assert (adults >= threshold_at_rate(adults, 0.0)).sum() == 0
    tied = np.array([0.5] * 10 + [0.1] * 90)   # ties: flagging any 0.5 flags all ten
    assert (tied >= threshold_at_rate(tied, 0.05)).mean() == 0.0
    assert (tied >= threshold_at_rate(tied, 0.10)).mean() == pytest.approx(0.10)


def test_report_per_band_flags_error_coverage_and_missed_faces():
    truth = np.array([8, 10, 14, 16, 19, 30, 40, 50, 60, 33], dtype=float)
    found = np.array([1, 1, 1, 1, 1, 1, 1, 1, 1, 0], dtype=bool)
    age = truth + 4.0                       # always 4 years too old
    low, high = age - 3.0, age + 3.0        # so the interval never holds the truth
    high[:2] = age[:2] + 0                  # ... and for the children neither
    low[2] = truth[2] - 1                   # except one teenager
    p_minor = np.array([0.9, 0.8, 0.6, 0.2, 0.4, 0.1, 0.0, 0.0, 0.5, np.nan])
    report = age_report(truth, found, age, low, high, p_minor, threshold=0.5)
    bands = report.bands
    assert report.images == 10 and report.found == 9
    assert bands["0-12"].flagged == 1.0 and bands["13-15"].flagged == 1.0
    assert bands["16-17"].flagged == 0.0 and bands["18-20"].flagged == 0.0
    assert bands["26+"].flagged == pytest.approx(1 / 4)     # the 60-year-old at 0.5
    assert bands["26+"].n == 5 and bands["26+"].not_found == 1
    assert "21-25" not in bands
    assert report.mae == pytest.approx(4.0) and report.bias == pytest.approx(4.0)
    assert bands["13-15"].coverage == 1.0 and bands["0-12"].coverage == 0.0
    assert report.coverage == pytest.approx(1 / 9)
    # minors 0.9 0.8 0.6 0.2 vs adults 0.4 0.1 0 0 0.5: 18 of 20 pairs won, none tied
    assert report.auc == pytest.approx(18 / 20)
    five = report.at_adult_rate["5%"]            # 4 adults over 25: 5 % allows none
    assert five["adults_26+"] == 0.0 and five["threshold"] > 0.5
    assert five["minors"] == pytest.approx(3 / 4) and five["13-17"] == pytest.approx(1 / 2)
    assert any("No face was found in 1 of 10" in s for s in report.statements)
    assert "band" in report.table() and "26+" in report.table()
    assert report.as_dict()["bands"]["26+"]["not_found"] == 1


def test_report_refuses_arrays_of_different_lengths():
    with pytest.raises(ValidationError):
        age_report(np.ones(3), np.ones(2, bool), np.ones(3), np.ones(3), np.ones(3),
                   np.ones(3), 0.5)


def test_labels_are_read_with_the_bad_line_named(tmp_path):
    good = tmp_path / "ages.csv"
    good.write_text("file,age\na.jpg,12\nsub/b.jpg,40\n")
    files, ages = read_age_labels(good)
    assert files == [tmp_path / "a.jpg", tmp_path / "sub" / "b.jpg"] and list(ages) == [12, 40]
    bad = tmp_path / "bad.csv"
    bad.write_text("file,age\na.jpg,12\nb.jpg,twelve\n")
    with pytest.raises(ValidationError, match=r"bad.csv:3"):
        read_age_labels(bad)
    no_age = tmp_path / "ids.csv"
    no_age.write_text("file,identity\na.jpg,x\n")
    with pytest.raises(ValidationError, match="age"):
        read_age_labels(no_age)


def test_split_follows_content_not_name(tmp_path):
    a, b = tmp_path / "a.jpg", tmp_path / "renamed.jpg"
    a.write_bytes(b"same bytes")
    b.write_bytes(b"same bytes")
    assert split_of(a) == split_of(b) in {"fit", "check"}
    halves = {split_of_bytes(tmp_path, i) for i in range(40)}
    assert halves == {"fit", "check"}


def split_of_bytes(folder, i):
    path = folder / f"f{i}"
    path.write_bytes(f"content {i}".encode())
    return split_of(path)


def test_eval_age_on_a_file_without_ages_says_what_it_needs(shared_data, capsys):
    from workbench.cli import main

    labels = shared_data / "faces" / "labelled" / "identities.csv"
    assert main(["eval", "age", "--labels", str(labels), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert "needs 'file' and 'age' columns" in error and "cannot be measured" in error


def test_group_rates_show_what_an_average_hides():
    from workbench.eval.age import group_rates

    truth = np.array([8, 15, 30, 40, 9, 16, 35, 45], dtype=float)
    groups = np.array(["a"] * 4 + ["b"] * 4, dtype=object)
    p_minor = np.array([0.9, 0.8, 0.1, 0.0, 0.9, 0.1, 0.7, 0.6])
    low, high = truth - 1, truth + 1
    high[4:] = truth[4:] - 0.5                 # group b's intervals all miss
    found = np.ones(8, bool)
    found[3] = False
    rows = {r["group"]: r for r in group_rates(truth, found, low, high, p_minor, 0.5, groups)}
    a, b = rows["a"], rows["b"]
    assert (a["n"], a["found"], b["found"]) == (4, 3, 4)
    assert a["flagged 13-17"] == 1.0 and b["flagged 13-17"] == 0.0
    assert a["flagged 26+"] == 0.0 and a["n 26+"] == 1       # the 40-year-old was not found
    assert b["flagged 26+"] == 1.0 and b["n 26+"] == 2
    assert a["coverage"] == 1.0 and b["coverage"] == 0.0


def test_report_json_has_no_nan_where_a_rate_rests_on_nothing():
    import json

    truth = np.array([8.0, 30.0, 40.0])            # no teenager: the 13-17 rate is undefined
    report = age_report(truth, np.ones(3, bool), truth, truth - 1, truth + 1,
                        np.array([0.9, 0.1, 0.0]), 0.5)
    text = json.dumps(report.as_dict(), allow_nan=False)
    assert json.loads(text)["at_adult_rate"]["5%"]["13-17"] is None
