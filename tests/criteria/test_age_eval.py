"""The age model is measured only where ages are known, and says so where they are not."""

from __future__ import annotations

import pytest

from workbench.cli import main
from workbench.criteria.age_eval import evaluate_age


def test_shared_labelled_faces_have_no_ages_and_the_report_says_so(shared_data):
    labels = shared_data / "faces" / "labelled" / "identities.csv"
    report = evaluate_age(labels, estimate=None)
    assert report.labelled_images == 110 and report.with_age == 0 and report.under_18 == 0
    assert report.mae is None
    text = " ".join(report.statements)
    assert "no known ages" in text and "no age column" in text
    assert "No child with a known age" in text and "unmeasured" in text


def test_cli_eval_age_on_shared_data(shared_data, capsys):
    labels = shared_data / "faces" / "labelled" / "identities.csv"
    assert main(["eval-age", "--labels", str(labels)]) == 0
    out = capsys.readouterr().out
    assert "0 with a known age, 0 under 18" in out and "unmeasured" in out


def test_measures_a_labelled_set_with_a_given_estimator(tmp_path):
    labels = tmp_path / "ages.csv"
    rows = ["file,age"] + [f"img{i}.jpg,{age}" for i, age in
                           enumerate([8, 12, 16, 20, 30, 40, 60])] + ["noface.jpg,33"]
    labels.write_text("\n".join(rows) + "\n")
    truth = {f"img{i}.jpg": a for i, a in enumerate([8, 12, 16, 20, 30, 40, 60])}

    def estimate(path):
        if path.name == "noface.jpg":
            return None
        age = truth[path.name] + 4.0          # a model that always says 4 years older
        return age, 3.0, 1.0 if age < 18 else 0.0

    report = evaluate_age(labels, estimate)
    assert report.measured == 7 and report.no_face == 1 and report.under_18 == 3
    assert report.mae == pytest.approx(4.0) and report.bias == pytest.approx(4.0)
    assert report.coverage_95 == pytest.approx(1.0)  # 4 <= 1.96 * 3
    assert report.minor_recall == pytest.approx(2 / 3, abs=1e-3)  # 16 + 4 = 20: a missed minor
    assert report.minor_precision == pytest.approx(1.0)
    assert report.by_band["13-17"] == {"n": 1, "mae": 4.0, "bias": 4.0}
    assert any("anecdotes" in s for s in report.statements)


@pytest.mark.slow
def test_engine_estimator_gives_an_age_with_uncertainty(shared_data):
    from workbench.criteria.age_eval import engine_estimator
    from workbench.errors import ModelMissing

    photo = (shared_data / "faces" / "labelled" / "face_recognition" / "examples"
             / "knn_examples" / "train" / "obama" / "obama.jpg")
    try:
        estimate = engine_estimator()
        result = estimate(photo)
    except ModelMissing as error:
        pytest.skip(f"model pack not installed: {error}")
    assert result is not None
    age, age_std, p_minor = result
    assert 15 < age < 90 and age_std > 0 and 0.0 <= p_minor <= 1.0
