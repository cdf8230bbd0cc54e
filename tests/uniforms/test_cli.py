"""``workbench uniforms`` on a real case store and ``workbench schools search``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from PIL import Image

from workbench.cli import main
from workbench.types import Faces

UNIFORM = {"shirt": {"colours": ["white"], "pattern": "plain"},
           "tie": {"colours": ["navy", "gold"], "pattern": "striped"},
           "blazer": {"colours": ["navy"], "pattern": "plain"}}


@pytest.fixture()
def case_with_face(new_case, tmp_path: Path, person_factory):
    from workbench.store.faces import save_faces

    image, box, _ = person_factory(UNIFORM, seed=11)
    path = tmp_path / "photo.png"
    Image.fromarray(image).save(path)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    with new_case.transaction():
        new_case.add_evidence({"id": sha, "kind": "image", "width": image.shape[1],
                               "height": image.shape[0]}, str(path))
    faces = Faces(evidence_id=[sha], xyxy=box[None], confidence=[0.99])
    save_faces(new_case, faces, [sha])
    return new_case, f"{sha}:0"


def test_uniforms_cli_extracts_corrects_and_feeds_search(case_with_face, capsys) -> None:
    case, face_id = case_with_face
    assert main(["uniforms", str(case.path), "--no-progress", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["face_id"] for r in rows] == [face_id]
    items = rows[0]["items"]
    assert items["blazer"]["present"] and items["blazer"]["colours"][0] == "navy"
    runs = case.runs()
    assert list(runs.kind) == ["uniforms"] and list(runs.status) == ["done"]

    assert main(["uniforms", str(case.path), "--correct", f"{face_id}:blazer",
                 "--colours", "black", "--note", "looks black in the original"]) == 0
    capsys.readouterr()
    assert main(["schools", "search", "--attributes", f"{case.path}::{face_id}", "--json",
                 "--top", "3"]) == 0
    results = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    blazer = next(i for i in results[0]["items"] if i["item"] == "blazer")
    assert blazer["observed"].startswith("black")          # the correction is what is searched
    assert "uniforms.correct" in set(case.audit_log().action)


def test_uniforms_cli_needs_faces(new_case, capsys) -> None:
    assert main(["uniforms", str(new_case.path), "--no-progress"]) == 2
    assert "no stored faces" in capsys.readouterr().err


def test_schools_search_cli_geojson_and_near(capsys) -> None:
    attrs = json.dumps({"shirt": {"present": True, "confidence": 0.9, "colours": ["white"],
                                  "pattern": "plain"},
                        "jumper": {"present": True, "confidence": 0.9, "colours": ["maroon"],
                                   "pattern": "plain"}})
    assert main(["schools", "search", "--attributes", attrs, "--near", "25.77,-80.19",
                 "--geojson", "--top", "4"]) == 0
    collection = json.loads(capsys.readouterr().out)
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 4
    props = [f["properties"] for f in collection["features"]]
    assert all(p["distance_km"] is not None for p in props)
    assert props[0]["score"] == 1.0 and "jumper" in props[0]["explanation"]
    assert main(["schools", "search", "--attributes", "{bad", "--top", "1"]) == 2
    assert main(["schools", "search", "--attributes", attrs, "--near", "x", "--top", "1"]) == 2


def test_registry_override(tmp_path: Path, capsys) -> None:
    reg = tmp_path / "reg.csv"
    reg.write_text("id,name,address,lat,lon,phase,shirt,tie,jumper,blazer,lower,uniform_source\n"
                   "a,Alpha,,28,-82,HIGH,white,,green,,,local\n"
                   "b,Beta,,28,-82,HIGH,white,,navy,,,local\n")
    attrs = json.dumps({"jumper": {"present": True, "confidence": 0.9, "colours": ["navy"]}})
    assert main(["schools", "search", "--attributes", attrs, "--registry", str(reg)]) == 0
    out = capsys.readouterr().out
    assert out.index("Beta") < out.index("Alpha")


def test_search_face_stores_school_hits(case_with_face) -> None:
    from workbench.schools.case_search import search_face
    from workbench.uniforms.extract import extract_case

    case, face_id = case_with_face
    extract_case(case, progress=False)
    results = search_face(case, face_id, top=3)
    search_face(case, face_id, top=3)                    # repeated: no duplicates
    hits = case.hit_objects(kind="school")
    assert len(hits) == 3 and hits[0].face_id == face_id
    assert {h.source for h in hits} == {f"{r.school.id} {r.school.name}" for r in results}
    assert any(c.fired for c in hits[0].conditions)
    assert set(case.runs().kind) == {"uniforms", "school_search"}
