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


@pytest.mark.slow
def test_import_with_reverse_search_finds_the_person_in_a_case(tmp_path, shared_data,
                                                               capsys) -> None:
    import hashlib
    import shutil

    from workbench.faces import FaceEngine
    from workbench.ingest.images import load_rgb
    from workbench.store import Case
    from workbench.store.faces import save_faces

    image = tmp_path / "seized.jpg"
    shutil.copy(shared_data / "faces/labelled/face_recognition/examples/obama-480p.jpg", image)
    sha = hashlib.sha256(image.read_bytes()).hexdigest()
    with Case.init(tmp_path / "case") as case:
        with case.transaction():
            case.add_evidence({"id": sha, "kind": "image"}, str(image))
        engine = FaceEngine()
        run = case.start_run(engine.new_run())
        faces = engine.analyze_image(load_rgb(image), evidence_id=sha, run_id=run.id)
        save_faces(case, faces, [sha])
    reg = str(tmp_path / "reg")
    assert main(["registry", "import", "--csv", str(REPO / "sample_data/registry/registry.csv"),
                 "--source", "demo", "--registry", reg, "--reverse", str(tmp_path / "case")]) == 0
    report = json.loads(capsys.readouterr().out)
    found = report["reverse"]["demo:DEMO-001"]
    assert found and found[0]["face_id"] == f"{sha}:0" and found[0]["similarity"] > 0.9
    assert not report["reverse"]["demo:DEMO-002"]  # filtered by sex
    with Case.open(tmp_path / "case") as case:
        runs = case.runs()
    assert "registry.reverse" in set(runs.kind)
