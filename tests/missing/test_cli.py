"""The ``workbench registry`` and ``workbench lookup`` commands, end to end (no models)."""

from __future__ import annotations

import json

import numpy as np

from workbench.cli import main
from workbench.missing.backends import open_registry
from workbench.missing.records import RegistryPhoto
from workbench.store.faces import save_faces
from workbench.types import Faces

from .helpers import KEY, near, unit
from .namus_server import FakeNamUs


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_import_csv_and_namus_json_then_list(tmp_path, capsys) -> None:
    reg = str(tmp_path / "reg")
    csv_file = tmp_path / "people.csv"
    csv_file.write_text("Ref,Gender,Age\nX1,F,11\nX2,M,15\n")
    mapping = json.dumps({"id": "Ref", "sex": "Gender", "age_missing": "Age"})
    assert main(["registry", "import", "--csv", str(csv_file), "--mapping", mapping,
                 "--source", "unit", "--registry", reg]) == 0
    assert json.loads(capsys.readouterr().out)["records"] == 2
    namus = tmp_path / "namus.json"
    namus.write_text(json.dumps({"count": 1, "results": [
        {"namus2Number": 5, "firstName": "Fictional", "gender": "Female",
         "computedMissingMinAge": 9, "computedMissingMaxAge": 9}]}))
    assert main(["registry", "import", "--namus-json", str(namus), "--registry", reg]) == 0
    assert json.loads(capsys.readouterr().out)["total_records"] == 3
    assert main(["registry", "list", "--json", "--registry", reg]) == 0
    rows = _json_lines(capsys.readouterr().out)
    assert [r["id"] for r in rows] == ["namus:MP5", "unit:X1", "unit:X2"]
    assert rows[1]["sex"] == "female" and rows[1]["age_missing_min"] == 11


def test_bad_mapping_is_a_clear_error(tmp_path, capsys) -> None:
    csv_file = tmp_path / "people.csv"
    csv_file.write_text("Ref\nX1\n")
    code = main(["registry", "import", "--csv", str(csv_file), "--mapping", "{not json",
                 "--registry", str(tmp_path / "reg")])
    assert code == 2 and "--mapping" in capsys.readouterr().err


def test_sync_namus_is_off_unless_configured(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("WORKBENCH_NAMUS_URL", raising=False)
    assert main(["registry", "sync-namus", "--registry", str(tmp_path / "reg")]) == 2
    assert "not configured" in capsys.readouterr().err
    with FakeNamUs(30) as api:
        code = main(["registry", "sync-namus", "--base-url", api.url, "--sex", "Female",
                     "--min-interval", "0", "--registry", str(tmp_path / "reg")])
    assert code == 0 and json.loads(capsys.readouterr().out)["total_records"] == 15


def test_lookup_and_reverse_commands(tmp_path, capsys) -> None:
    from workbench.store import Case

    rng = np.random.default_rng(21)
    target = unit(rng, 1)[0]
    reg = str(tmp_path / "reg")
    with open_registry(reg) as registry:
        from .helpers import person

        registry.upsert([person(1, "female", 12, last_seen="2023-01-01")])
        registry.add_photo(RegistryPhoto("test:1", KEY, sha256="d" * 64), target)
    case_dir = tmp_path / "case"
    with Case.init(case_dir) as case:
        sha = "9" * 64
        with case.transaction():
            case.add_evidence({"id": sha, "kind": "image"}, "/nowhere/e.jpg")
        faces = Faces(evidence_id=np.array([sha, sha], dtype=object),
                      xyxy=[[0, 0, 50, 50], [60, 0, 110, 50]], confidence=[0.9, 0.9],
                      embedding=np.stack([near(target, rng), unit(rng, 1)[0]]),
                      embedding_key=KEY,
                      data={"age": np.array([13.0, 13.0]), "age_std": np.array([3.0, 3.0]),
                            "gender": np.array(["female", "female"], dtype=object),
                            "gender_confidence": np.array([0.99, 0.99])})
        save_faces(case, faces, [sha])
    assert main(["lookup", str(case_dir), "--registry", reg, "--json"]) == 0
    rows = _json_lines(capsys.readouterr().out)
    assert len(rows) == 2 and rows[0]["candidates"][0]["record_id"] == "test:1"
    assert "reasons" in rows[0]["candidates"][0]
    assert main(["lookup", str(case_dir), "--record", "test:1", "--registry", reg]) == 0
    out = capsys.readouterr().out
    assert '"faces_matched": 2' in out
    with Case.open(case_dir) as case:
        hits = case.query("SELECT face_id FROM hits WHERE kind='registry'")
    # Default lookup threshold comes from the calibration or dlib's 0.6: the near copy
    # verifies, the random face does not; both runs point at the same hit row.
    assert hits.face_id.tolist() == [f"{sha}:0"]
