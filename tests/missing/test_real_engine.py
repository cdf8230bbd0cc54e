"""The demo registry with the real face engine (slow: loads dlib models)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_demo_registry_finds_the_same_person(tmp_path, shared_data, capsys) -> None:
    reg = str(tmp_path / "reg")
    assert main(["registry", "import", "--csv", str(REPO / "sample_data/registry/registry.csv"),
                 "--source", "demo", "--registry", reg]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["records"] == 6 and len(report["added"]) == 5 and not report["no_face"]
    image = shared_data / "faces/labelled/face_recognition/examples/obama-480p.jpg"
    assert main(["registry", "search", "--image", str(image), "--json", "--registry", reg]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    best = rows[0]["candidates"][0]
    assert best["record_id"] == "demo:DEMO-001" and best["similarity"] > 0.9
    # Different people rank below the same person by a clear margin.
    assert all(c["similarity"] < best["similarity"] - 0.05 for c in rows[0]["candidates"][1:])
    assert "DEMO-002" not in {c["record_id"] for c in rows[0]["candidates"]}  # sex filter
