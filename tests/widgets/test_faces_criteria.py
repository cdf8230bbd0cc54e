"""Face gallery and criteria editor, driven headless with fakes and a real case."""

from __future__ import annotations

import pandas as pd

from workbench.widgets.base import LIMITS_NOTE
from workbench.widgets.criteria import CriteriaEditor
from workbench.widgets.faces import ALL, FaceGallery, describe_face

SHA1, SHA2 = "1" * 64, "2" * 64


def _faces() -> pd.DataFrame:
    return pd.DataFrame([
        {"face_id": f"{SHA1}:0", "evidence_id": SHA1, "x1": 0, "y1": 0, "x2": 10, "y2": 10,
         "confidence": 0.9, "cluster_id": "c1", "age": 12.0, "age_std": 4.0,
         "emotion_fear": 0.6, "emotion_happy": 0.1},
        {"face_id": f"{SHA2}:0", "evidence_id": SHA2, "x1": 0, "y1": 0, "x2": 10, "y2": 10,
         "confidence": 0.8, "cluster_id": "c2", "age": 40.0},
        {"face_id": f"{SHA2}:1", "evidence_id": SHA2, "x1": 5, "y1": 5, "x2": 20, "y2": 20,
         "confidence": 0.7, "cluster_id": None},
    ])


def test_describe_face_states_uncertainty_or_its_absence() -> None:
    lines = describe_face(_faces().iloc[0].to_dict())
    assert "age ≈ 12 ± 4" in lines
    assert any(line.startswith("emotion: fear 0.60") for line in lines)
    assert "age ≈ 40 (no uncertainty reported)" in describe_face(_faces().iloc[1].to_dict())


def test_describe_face_gives_the_95_range_and_the_measured_flag() -> None:
    row = {"age": 14.2, "age_low": 10.0, "age_high": 19.4, "p_minor": 0.81, "age_source": "head"}
    lines = describe_face(row, minor_threshold=0.172)
    assert "age 10-19 (95% range; estimate 14)" in lines
    assert "P(under 18) = 0.81 · flagged: likely under 18" in lines
    adult = describe_face({**row, "p_minor": 0.02, "age_source": "network"}, 0.172)
    assert "P(under 18) = 0.02 · not flagged" in adult
    assert "age uncalibrated (the age network's own reading)" in adult


def test_gallery_states_how_far_the_minor_flag_can_be_trusted() -> None:
    class Point:
        threshold = 0.5

        def describe(self) -> str:
            return "p_minor >= 0.500 flags 96 in 100 of 13-17; 5 in 100 adults over 25 (test)."

        def caveat(self) -> str:
            return "Measured differences between groups: a test caveat."

    faces = _faces().assign(p_minor=[0.9, 0.1, None])
    gallery = FaceGallery("CASE", load_faces=lambda c: faces, thumbnail=lambda *a, **k: b"png",
                          operating_point=Point)
    assert "96 in 100 of 13-17" in gallery.reliability.value
    assert "96 in 100 of 13-17" in gallery.snapshot_html()
    assert "a test caveat" in gallery.reliability.value
    assert "flagged: likely under 18" in gallery.grid.value and "not flagged" in gallery.grid.value


def test_gallery_shows_limits_clusters_and_merges() -> None:
    merged = []

    def merge(case, ids):
        merged.append(ids)
        return "c9"

    gallery = FaceGallery("CASE", load_faces=lambda c: _faces(), merge=merge,
                          split=lambda c, cid, ids: "c10", thumbnail=lambda *a, **k: b"png")
    assert LIMITS_NOTE in gallery.children[0].value
    assert LIMITS_NOTE in gallery.snapshot_html()
    assert gallery.shown == 3
    assert list(gallery.cluster_picker.options) == [ALL, "c1", "c2", "(not clustered)"]
    gallery.cluster_picker.value = "c2"
    assert gallery.cluster == "c2" and gallery.shown == 1
    gallery.cluster_picker.value = "(not clustered)"
    assert gallery.shown == 1
    gallery.merge_pick.value = ("c1",)
    gallery.merge_button.click()
    assert "at least two" in gallery.error and not merged
    gallery.merge_pick.value = ("c1", "c2")
    gallery.merge_button.click()
    assert merged == [["c1", "c2"]] and "c9" in gallery.message
    gallery.cluster_picker.value = ALL
    gallery.split_button.click()
    assert "Choose a cluster" in gallery.error
    gallery.cluster_picker.value = "c2"
    gallery.split_pick.value = (f"{SHA2}:0",)
    gallery.split_button.click()
    assert "c10" in gallery.message


def test_gallery_without_cluster_domain_says_so() -> None:
    gallery = FaceGallery("CASE", load_faces=lambda c: _faces(), thumbnail=lambda *a, **k: b"",
                          merge=None)
    gallery._merge = __import__("workbench.widgets.base", fromlist=["lazy"]).lazy(
        "workbench.no_cluster_here:merge")
    gallery.merge_pick.value = ("c1", "c2")
    gallery.merge_button.click()
    assert "not available" in gallery.error


def test_gallery_on_real_case_crops_blurred_until_an_audited_reveal(small_case) -> None:
    gallery = FaceGallery(small_case)
    assert gallery.shown == 2
    assert gallery.grid.value.count('data-wb-thumb="blurred"') == 2
    assert "data-wb-box=" in gallery.grid.value
    before = len(small_case.audit_log())
    gallery.reveal_button.click()
    assert gallery.revealed and gallery.reveals == 1
    assert gallery.grid.value.count('data-wb-thumb="revealed"') == 2
    log = small_case.audit_log()
    assert len(log) == before + 2 and set(log["action"].iloc[-2:]) == {"thumbnail.reveal"}
    gallery.cluster_picker.value = "c0"  # a new view is blurred again
    assert not gallery.revealed and 'data-wb-thumb="revealed"' not in gallery.grid.value


RULES = """version: 7
rules:
  - name: young_face
    description: A face that is probably under 18.
    level: face
    conditions:
      - {attr: p_minor, op: ">=", value: 0.5, weight: 0.5}
"""


def test_criteria_editor_validates_and_saves_a_version(small_case) -> None:
    editor = CriteriaEditor(small_case, load=lambda c: RULES)
    assert editor.valid and editor.version_id.startswith("7+")
    assert "young_face" in editor.rules.value
    editor.editor.value = RULES.replace("op: \">=\"", "op: \"~\"")
    assert editor.valid is False
    editor.validate_button.click()
    assert editor.valid is False and "young_face" in editor.error
    editor.editor.value = RULES.replace("version: 7", "version: 8")
    editor.save_button.click()
    assert editor.error == "" and editor.saved_path.endswith(".yaml")
    assert "rules-8-" in editor.saved_path
    assert open(editor.saved_path, encoding="utf-8").read() == editor.editor.value


def test_criteria_editor_warns_when_version_unchanged() -> None:
    saved = []
    editor = CriteriaEditor("CASE", load=lambda c: RULES,
                            save=lambda case, rules: saved.append(rules) or "/tmp/x.yaml")
    editor.save_button.click()
    assert saved and "version field is unchanged" in editor.message


def test_criteria_editor_rescores_the_real_case(fresh_case) -> None:
    editor = CriteriaEditor(fresh_case)  # the shipped rules
    editor.score_button.click()
    assert editor.error == "" and editor.scored_hits >= 0
    assert "Scored with" in editor.message
    assert (fresh_case.runs()["kind"] == "score").any()
