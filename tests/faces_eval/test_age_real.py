"""The real models on a handful of the shared faces of known age (slow tier)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from workbench.cli import main
from workbench.errors import ModelMissing

pytestmark = pytest.mark.slow
CHILDREN = (4, 5, 6, 7)
ADULTS = (45, 50, 55, 60)


def _labels(shared_data, tmp_path):
    folder = shared_data / "faces" / "ages_utkface"
    table = pd.read_csv(folder / "ages.csv")
    rows = [table[table.age == age].iloc[0] for age in CHILDREN + ADULTS]
    labels = tmp_path / "ages.csv"
    pd.DataFrame({"file": [str(folder / r.file) for r in rows],
                  "age": [r.age for r in rows]}).to_csv(labels, index=False)
    return labels


def test_eval_age_runs_the_analyze_pipeline_and_reports_per_band(shared_data, tmp_path, capsys):
    labels = _labels(shared_data, tmp_path)
    try:
        code = main(["eval", "age", "--labels", str(labels), "--json", "--quiet",
                     "--workers", "2"])
    except ModelMissing as error:
        pytest.skip(f"model pack not installed: {error}")
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["images"] == 8 and report["found"] >= 7
    bands = report["bands"]
    assert set(bands) == {"0-12", "26+"} and bands["0-12"]["n"] == 4
    # young children and adults of 45+ are the easy ends: the flag separates them
    assert bands["0-12"]["flagged"] >= 0.75 and bands["26+"]["flagged"] <= 0.25
    assert report["auc"] >= 0.8 and 0 <= report["coverage"] <= 1
    assert main(["eval", "age", "--labels", str(labels), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "shipped operating point" in text and "in 100 of 13-17" in text


def test_engine_stores_a_range_and_the_calibrated_flag(shared_data):
    from workbench.faces import FaceEngine
    from workbench.faces.analyze import load_pixels

    folder = shared_data / "faces" / "ages_utkface"
    table = pd.read_csv(folder / "ages.csv")
    path = folder / table[table.age == 6].iloc[0].file
    try:
        faces = FaceEngine().analyze_image(load_pixels(str(path)))
    except ModelMissing as error:
        pytest.skip(f"model pack not installed: {error}")
    assert len(faces) == 1
    data = faces.data
    assert data["age_source"][0] == "head" and data["age_distribution"].shape == (1, 81)
    assert data["age_low"][0] <= data["age"][0] <= data["age_high"][0]
    assert 0 <= data["p_minor"][0] <= 1 and data["age_network"][0] > 0
