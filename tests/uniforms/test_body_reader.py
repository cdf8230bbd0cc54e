"""The body reader: uniform decision first, layered items, stored regions, the overlay."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from workbench.uniforms.palette import COLOUR_NAMES, balanced_lab, hex_to_rgb
from workbench.uniforms.pattern import PATTERNS
from workbench.uniforms.reader import read_person
from workbench.uniforms.realset import LABEL_ITEMS, load_labels

from .test_person_regions import H, W, _pose

SKIN, NAVY, WHITE, RED = "#d2a080", "#1f2a4d", "#f2f2f2", "#c4161c"
CUT = 360


def _fill(img: np.ndarray, box: tuple[int, int, int, int], code: str) -> None:
    x1, y1, x2, y2 = box
    img[y1:y2, x1:x2] = (np.array(hex_to_rgb(code)) * 255).round().astype(np.uint8)


def _photo(jacket: bool, tie: bool) -> tuple[np.ndarray, np.ndarray, tuple[float, ...]]:
    """A flat person: face, neck, white shirt, optionally navy jacket fronts and a red tie."""
    img = np.full((H, W, 3), 128, np.uint8)
    mask = np.zeros((H, W), np.float32)
    face = (350.0, 60.0, 450.0, 180.0)
    _fill(img, (350, 60, 450, 180), SKIN)
    _fill(img, (380, 180, 420, 195), SKIN)                       # neck
    _fill(img, (290, 195, 510, H), WHITE)
    if jacket:                     # fronts opening in a V: wide at the collar, closing lower
        for y in range(195, H):
            gap = max(8, int(45 - 35 * (y - 195) / 140))
            _fill(img, (290, y, 400 - gap, y + 1), NAVY)
            _fill(img, (400 + gap, y, 510, y + 1), NAVY)
    if tie:
        _fill(img, (392, 197, 408, 420), RED)
    mask[60:180, 350:450] = 1
    mask[180:, 290:510] = 1
    # a portrait cut at mid-chest (as most photos are): the shoulders place the regions
    return img[:CUT], mask[:CUT], face


@pytest.mark.parametrize(("jacket", "tie", "uniform"), [(True, True, True), (False, False, False),
                                                        (False, True, True)])
def test_uniform_is_decided_first_then_items(jacket: bool, tie: bool, uniform: bool) -> None:
    img, mask, face = _photo(jacket, tie)
    pose = _pose(400, 230, 100)
    person, regions = read_person(img, balanced_lab(img, mask), np.array(face), None, mask, pose)
    assert regions.method == "pose"
    assert person.uniform["present"] is uniform and person.uniform["confidence"] >= 0.5
    assert (person.uniform_score >= 0.5) is uniform
    items = person.items
    assert items["shirt"].present and items["shirt"].colours[0] == "white"
    assert bool(items["tie"].present) is tie
    if tie:
        assert items["tie"].colours[0] == "red"
    assert bool(items["blazer"].present) is jacket
    if jacket:
        assert items["blazer"].colours[0] == "navy"
    # every item says where it was read
    assert all(a.detail[-1]["method"] == "pose" for a in items.values())
    assert person.as_dict()["uniform"]["body_outline"]


def test_bare_shoulders_beside_a_top_are_no_jacket() -> None:
    # a white strapless top: the chest's sides are skin, darker than the top and unlike
    # it, as a jacket's fronts beside a shirt would be; skin is no jacket
    img, mask, face = _photo(jacket=False, tie=False)
    _fill(img, (290, 195, 510, CUT), SKIN)
    _fill(img, (370, 240, 430, CUT), WHITE)
    person, _ = read_person(img, balanced_lab(img, mask), np.array(face), None, mask,
                            _pose(400, 230, 100))
    assert person.uniform["cues"]["outer_skin"] > 0.5
    assert not person.items["blazer"].present


def test_a_tie_off_the_chins_line_is_found_and_its_strip_is_shown() -> None:
    # the head turned: the tie hangs 30 px (0.3 face widths) right of the chin's line
    img, mask, face = _photo(jacket=False, tie=False)
    _fill(img, (420, 197, 440, CUT), RED)
    pose = _pose(400, 230, 100)
    person, _ = read_person(img, balanced_lab(img, mask), np.array(face), None, mask, pose)
    tie = person.items["tie"]
    assert person.uniform["cues"]["front_tie"] > 0.5
    assert tie.present and tie.confidence > 0.5
    strips = tie.detail[-1]["region"]
    searched = np.array(strips[-1])                  # the strip found, after the fixed one
    assert len(strips) >= 2 and abs(searched[:, 0].mean() - 430) < 8


def test_a_photo_showing_the_whole_torso_is_read_with_the_face_layout() -> None:
    img = np.full((H, W, 3), 128, np.uint8)
    mask = np.zeros((H, W), np.float32)
    _fill(img, (350, 60, 450, 180), SKIN)
    _fill(img, (250, 180, 550, H), NAVY)
    _fill(img, (380, 190, 420, 300), WHITE)
    mask[60:, 250:550] = 1
    face = np.array([350.0, 60.0, 450.0, 180.0])
    person, regions = read_person(img, balanced_lab(img, mask), face, None, mask,
                                  _pose(400, 230, 100))
    assert regions.method == "face-layout" and person.uniform["method"] == "face-layout"
    assert person.items["blazer"].detail[-1]["region"]
    cut, _, _ = _photo(True, True)
    assert cut.shape[0] == CUT                     # the other tests' photos are cut


def test_regions_and_decision_are_stored_and_drawn_over_a_blurred_thumbnail(tmp_path: Path
                                                                             ) -> None:
    from workbench.uniforms.overlay import draw_regions, has_regions

    img, mask, face = _photo(True, True)
    person, _ = read_person(img, balanced_lab(img, mask), np.array(face), None, mask,
                            _pose(400, 230, 100), face_id="f", evidence_id="e")
    stored = {"evidence_id": "e", "items": {
        k: {"present": a.present, "detail": {"region": a.detail[-1]["region"],
                                             "person": person.uniform}}
        for k, a in person.items.items()}}
    assert has_regions(stored)
    grey = Image.new("RGB", (W // 2, CUT // 2), (128, 128, 128))
    buf = io.BytesIO()
    grey.save(buf, format="PNG")
    drawn = np.asarray(Image.open(io.BytesIO(draw_regions(buf.getvalue(), stored, 0.5))))
    coloured = np.abs(drawn.astype(int) - 128).sum(-1) > 60
    assert coloured.any()
    ys, xs = np.nonzero(coloured)
    assert ys.min() > 60 // 2                       # outlines below the top of the head


def test_inspector_shows_the_overlay_and_corrections_still_work() -> None:
    from workbench.widgets.uniforms import UniformInspector

    img, mask, face = _photo(True, True)
    person, _ = read_person(img, balanced_lab(img, mask), np.array(face), None, mask,
                            _pose(400, 230, 100), face_id="f1", evidence_id="e" * 64)
    row = json.loads(json.dumps(person.as_dict()))
    for item, a in person.items.items():         # as load_attributes returns stored rows
        row["items"][item]["detail"] = {"region": a.detail[-1]["region"],
                                        "method": "pose", "person": person.uniform}
    calls, corrections = [], []

    def overlay(case, p):
        calls.append(p["evidence_id"])
        return b"\x89PNG-fake"

    inspector = UniformInspector("CASE", load=lambda c: [row], overlay=overlay,
                                 correct=lambda *a, **k: corrections.append((a[1:], k)))
    assert calls == ["e" * 64] and inspector.picture.value == b"\x89PNG-fake"
    assert "pose" in inspector.legend.value and "uniform" in inspector.legend.value
    inspector.item.value = "tie"
    inspector.field.value = "colours"
    inspector.value.value = "green"
    inspector.correct_button.click()
    assert corrections == [(("f1", "tie"), {"colours": ["green"]})]
    assert len(calls) == 2                       # the corrected person is drawn anew
    assert inspector.query()["tie"]["colours"] == ["green"]


def test_the_labelled_real_set_is_well_formed() -> None:
    photos = load_labels()
    assert len(photos) >= 150 and {p["split"] for p in photos} == {"fit", "check"}
    with_torso = [p for p in photos if p["torso_visible"]]
    assert len(with_torso) >= 150
    for p in with_torso:
        assert isinstance(p["uniform"], bool)
        for item in LABEL_ITEMS:
            label = p["items"][item]
            if label and label["present"]:
                assert set(label["colours"]) <= set(COLOUR_NAMES)
                assert label["pattern"] in PATTERNS
    # the split follows the file hash, so it cannot be chosen photo by photo
    assert all((int(p["sha256"][:2], 16) % 2 == 0) == (p["split"] == "fit") for p in photos)
