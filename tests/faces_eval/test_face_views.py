"""Views of stored faces: ``workbench faces list`` and the dashboard's likely-minors section."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd

from workbench.cli import main
from workbench.faces.listing import COLUMNS, faces_table
from workbench.store import Case
from workbench.store.faces import save_faces
from workbench.types import Faces

SHA_A, SHA_B = "a" * 64, "b" * 64


def _case(tmp_path):
    """A case with three synthetic faces (made-up detector outputs, no model run)."""
    case = Case.init(tmp_path / "case")
    data = {
        "face_id": np.array([f"{SHA_A}:0", f"{SHA_A}:1", f"{SHA_B}:0"], dtype=object),
        "age": np.array([14.2, 35.0, np.nan], np.float32),
        "age_low": np.array([10.0, 27.5, np.nan], np.float32),
        "age_high": np.array([19.4, 45.0, np.nan], np.float32),
        "p_minor": np.array([0.81, 0.02, np.nan], np.float32),
        "gender": np.array(["female", "male", None], dtype=object),
        "gender_confidence": np.array([0.9, 0.7, np.nan], np.float32),
        "emotion_fear": np.array([0.6, 0.1, np.nan], np.float32),
        "emotion_happy": np.array([0.1, 0.8, np.nan], np.float32),
    }
    faces = Faces(evidence_id=np.array([SHA_A, SHA_A, SHA_B], dtype=object),
                  xyxy=np.array([[1, 2, 30, 40], [50, 60, 90, 99], [0, 0, 10, 10]], np.float32),
                  confidence=np.array([0.99, 0.9, 0.5], np.float32), embedding_key="synthetic",
                  data=data)
    with case.transaction():
        for sha in (SHA_A, SHA_B):
            case.add_evidence({"id": sha, "kind": "image"}, f"/evidence/{sha[:4]}.jpg")
    save_faces(case, faces, [SHA_A, SHA_B])
    with case.transaction() as conn:
        conn.execute("UPDATE faces SET cluster_id = 'c1' WHERE id = ?", (f"{SHA_A}:0",))
    return case


def test_table_has_one_row_per_face_with_ranges_and_the_flag(tmp_path):
    with _case(tmp_path) as case:
        table = faces_table(case, threshold=0.5)
    assert list(table.columns) == list(COLUMNS) and len(table) == 3
    child = table[table.face_id == f"{SHA_A}:0"].iloc[0]
    assert child.evidence_sha256 == SHA_A and child.flagged_minor
    assert (child.age_low, child.age_high, child.p_minor) == (10.0, 19.4, 0.81)
    assert child.emotion == "fear" and child.emotion_confidence == 0.6
    assert child.cluster_id == "c1" and (child.x1, child.y2) == (1.0, 40.0)
    adult = table[table.face_id == f"{SHA_A}:1"].iloc[0]
    assert not adult.flagged_minor and adult.emotion == "happy"
    unknown = table[table.face_id == f"{SHA_B}:0"].iloc[0]
    assert not unknown.flagged_minor and pd.isna(unknown.emotion) and np.isnan(unknown.age)


def test_cli_json_csv_and_text(tmp_path, capsys):
    _case(tmp_path).close()
    case_dir = str(tmp_path / "case")
    assert main(["faces", "list", case_dir, "--json", "--threshold", "0.5"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 3 and rows[0]["face_id"] == f"{SHA_A}:0" and rows[0]["flagged_minor"]
    assert rows[2]["age"] is None  # no NaN in JSON
    assert main(["faces", "list", case_dir, "--csv"]) == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(frame.columns) == list(COLUMNS) and len(frame) == 3
    assert main(["faces", "list", case_dir]) == 0
    text = capsys.readouterr().out
    assert "10-19" in text and "3 faces" in text and "never findings" in text


def test_dashboard_counts_likely_minors_with_ranges_and_reliability(tmp_path):
    from workbench.apps.overview import minors_html
    from workbench.apps.overview_data import likely_minors
    from workbench.faces.age_model import operating_point

    with _case(tmp_path) as case:
        counts, top = likely_minors(case, threshold=0.5)
        page = minors_html(case)
    assert counts == {"faces with an age estimate": 2, "flagged likely under 18": 1,
                      "flagged, whole range under 18": 0, "flagged, range reaches 18+": 1}
    assert top.to_dict(orient="records") == [
        {"item": SHA_A[:12], "face": "0", "age range (95%)": "10-19", "p_minor": 0.81}]
    # the shipped operating point and its measured rates are on the page beside the counts
    assert operating_point().describe().split(" (")[0] in page.replace("&gt;", ">")
    assert 'data-testid="minor-faces"' in page and "10-19" in page
