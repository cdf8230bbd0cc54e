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
    # a new search of the face supersedes the old one: schools that left the ranking go
    search_face(case, face_id, top=1)
    again = case.hit_objects(kind="school")
    assert len(again) == 1 and again[0].source == f"{results[0].school.id} {results[0].school.name}"


@pytest.fixture()
def geotagged_case(new_case, tmp_path: Path, person_factory):
    """Two photos of one uniform: one geotagged in Tampa, one without a geotag."""
    from workbench.store.faces import save_faces

    shas = []
    for seed, location in ((11, (27.95, -82.46)), (12, None)):
        image, box, _ = person_factory(UNIFORM, seed=seed)
        path = tmp_path / f"photo{seed}.png"
        Image.fromarray(image).save(path)
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        record = {"id": sha, "kind": "image", "width": image.shape[1], "height": image.shape[0]}
        if location:
            record.update(lat=location[0], lon=location[1])
        with new_case.transaction():
            new_case.add_evidence(record, str(path))
        save_faces(new_case, Faces(evidence_id=[sha], xyxy=box[None], confidence=[0.99]), [sha])
        shas.append(sha)
    return new_case, shas


def test_uniforms_then_search_seeded_from_the_case_geotags(geotagged_case, tmp_path: Path,
                                                          capsys) -> None:
    from workbench.schools.case_search import school_places
    from workbench.schools.registry import load_registry

    case, shas = geotagged_case
    assert main(["uniforms", str(case.path), "--no-progress", "--search", "--top", "5"]) == 0
    out = capsys.readouterr().out
    assert "schools: searched 2 faces" in out
    runs = case.runs()
    assert list(runs.kind) == ["uniforms", "school_search"]
    priors = case.run(runs.id.iloc[-1]).params["priors"]
    assert priors[f"{shas[0]}:0"].startswith("photo geotag 27.95")
    # the photo without a geotag is placed by the case's geotags
    assert priors[f"{shas[1]}:0"].startswith("case geotags' median 27.95")
    hits = case.hit_objects(kind="school")
    assert len(hits) == 10
    registry = {s.id: s for s in load_registry()}
    nearest = registry[hits[0].source.split(" ", 1)[0]]
    assert abs(nearest.lat - 27.95) < 1.0 and abs(nearest.lon + 82.46) < 1.0
    places = school_places(case)
    assert places and {"lat", "lon", "name", "score", "explanation"} <= set(places[0])
    assert places[0]["explanation"].startswith("matched ")
    assert "tie" in places[0]["explanation"] or "blazer" in places[0]["explanation"]

    # the same search from the CLI, with the candidate schools written to a map
    html = tmp_path / "schools.html"
    assert main(["schools", "search-case", str(case.path), "--no-progress", "--top", "3",
                 "--map", str(html)]) == 0
    out = capsys.readouterr().out
    assert "candidate schools on the map" in out and html.is_file()
    assert "Candidate schools" in html.read_text(encoding="utf-8")


def test_search_of_a_stored_face_uses_its_geotag_unless_told_not_to(geotagged_case,
                                                                    capsys) -> None:
    case, shas = geotagged_case
    main(["uniforms", str(case.path), "--no-progress"])
    capsys.readouterr()
    face = f"{case.path}::{shas[0]}:0"
    assert main(["schools", "search", "--attributes", face, "--top", "3"]) == 0
    assert "geographic prior: photo geotag 27.95" in capsys.readouterr().out
    assert main(["schools", "search", "--attributes", face, "--top", "3", "--no-geotag"]) == 0
    assert "geographic prior: none: uniform only" in capsys.readouterr().out


def test_search_table_shows_tie_groups(tmp_path: Path, capsys) -> None:
    reg = tmp_path / "reg.csv"
    rows = ["id,name,address,lat,lon,phase,shirt,tie,jumper,blazer,lower,uniform_source",
            "a,Alpha,,28,-82,HIGH,white,,maroon,,,local"]
    rows += [f"t{i},Twin {i},,28,-82,HIGH,white,,navy,,,local" for i in range(5)]
    reg.write_text("\n".join(rows) + "\n")
    attrs = json.dumps({"shirt": {"present": True, "confidence": 0.9, "colours": ["white"]},
                        "jumper": {"present": True, "confidence": 0.9, "colours": ["navy"]}})
    assert main(["schools", "search", "--attributes", attrs, "--registry", str(reg),
                 "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "1-5" in out and "ranks 1-5: 5 schools explain this equally (2 not shown" in out
    assert main(["schools", "search", "--attributes", attrs, "--registry", str(reg),
                 "--bbox", "27,-83,29,-81", "--json", "--top", "6"]) == 0
    results = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert results[0]["rank_range"] == [1, 5] and results[-1]["name"] == "Alpha"


def test_schools_from_a_custom_registry_reach_the_map(geotagged_case, tmp_path: Path) -> None:
    """search-case --registry records its file, so the dashboard map can place its schools."""
    from workbench.apps.overview_data import hit_places

    case, _ = geotagged_case
    reg = tmp_path / "agency_schools.csv"
    reg.write_text("id,name,address,lat,lon,phase,shirt,tie,jumper,blazer,lower,uniform_source\n"
                   "agency-1,Agency Academy,,27.9,-82.4,HIGH,white,,,,,local\n")
    assert main(["uniforms", str(case.path), "--no-progress"]) == 0
    assert main(["schools", "search-case", str(case.path), "--no-progress", "--min-score", "0",
                 "--min-items", "0", "--registry", str(reg)]) == 0
    assert case.hit_objects(kind="school")
    schools, _ = hit_places(case)
    assert [s["name"] for s in schools] == ["Agency Academy"]


def test_stored_regions_draw_over_the_blurred_photo(case_with_face) -> None:
    """Extract with the default (body) reader, then the inspector's overlay from the store."""
    import io

    import numpy as np

    from workbench.uniforms.extract import extract_case
    from workbench.uniforms.overlay import region_overlay
    from workbench.uniforms.store import correct_attribute, load_attributes

    case, face_id = case_with_face
    summary = extract_case(case, progress=False)
    run = case.runs().iloc[-1]
    assert summary["faces"] == 1 and "person_mask" in str(run["models"])
    person = load_attributes(case)[face_id]
    detail = person["items"]["shirt"]["detail"]
    assert detail["region"] and detail["method"] and "present" in detail["person"]
    png = region_overlay(case, person, size=200)
    picture = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    assert max(picture.shape[:2]) == 200
    spread = np.abs(picture - picture.mean(-1, keepdims=True)).sum(-1)
    assert (spread > 60).any()                    # coloured outlines on a grey, blurred photo
    assert np.median(spread) < 5
    correct_attribute(case, face_id, "tie", present=False, note="no tie")
    again = load_attributes(case)[face_id]
    assert again["items"]["tie"]["present"] is False and again["items"]["tie"]["corrected"]
    assert region_overlay(case, again, size=200)   # other items still carry their regions
