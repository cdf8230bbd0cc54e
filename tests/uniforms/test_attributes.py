"""Item attributes on drawn people, and the ordering of the uniform-present score."""

from __future__ import annotations

import numpy as np

from workbench.types import Faces
from workbench.uniforms.attributes import ItemAttribute, image_attributes, person_attributes, uniform_score

FULL = {"shirt": {"colours": ["white"], "pattern": "plain"},
        "tie": {"colours": ["maroon", "gold"], "pattern": "striped"},
        "jumper": {"colours": ["grey"], "pattern": "plain"},
        "blazer": {"colours": ["bottle green"], "pattern": "plain"},
        "lower": {"colours": ["navy"], "pattern": "plain"}}


def test_full_uniform_is_read_item_by_item(person_factory) -> None:
    image, box, _ = person_factory(FULL, seed=2)
    person = person_attributes(image, box)
    items = person.items
    assert all(items[k].present for k in FULL)
    assert items["shirt"].colours[0] == "white"
    assert set(items["tie"].colours[:2]) & {"maroon", "burgundy", "gold"}
    assert items["jumper"].colours[0] == "grey"
    assert items["blazer"].colours[0] == "bottle green"
    assert items["lower"].colours[0] == "navy"
    assert items["blazer"].pattern == "plain"
    assert person.uniform_score > 0.8


def test_shirt_only_has_no_tie_jumper_or_blazer(person_factory) -> None:
    image, box, _ = person_factory({"shirt": {"colours": ["light blue"], "pattern": "plain"}},
                                   seed=4, show_lower=False)
    items = person_attributes(image, box).items
    assert items["shirt"].present and items["shirt"].colours[0] == "light blue"
    assert items["tie"].present is False and items["jumper"].present is False
    assert items["blazer"].present is False
    assert items["lower"].present is None          # cut off by the image edge: not visible


def test_score_orders_evidence_strength() -> None:
    def item(name: str, present: bool, colours: list[str]) -> ItemAttribute:
        return ItemAttribute(name, present, 0.9, colours, "plain")

    shirt = {"shirt": item("shirt", True, ["white"])}
    with_tie = {**shirt, "tie": item("tie", True, ["navy", "gold"])}
    full = {**with_tie, "blazer": item("blazer", True, ["navy"])}
    clash = {**with_tie, "blazer": item("blazer", True, ["green"])}
    nothing = {"shirt": item("shirt", False, [])}
    scores = [uniform_score(x) for x in (nothing, shirt, with_tie, clash, full)]
    assert scores == sorted(scores) and scores[-1] > scores[-2]
    assert all(0 <= s <= 1 for s in scores)


def test_image_attributes_uses_face_ids_and_handles_no_faces(person_factory) -> None:
    image, box, _ = person_factory(FULL, seed=5)
    faces = Faces(evidence_id=["e" * 64], xyxy=box[None], confidence=[0.9],
                  data={"face_id": np.array(["face-7"], dtype=object)})
    people = image_attributes(image, faces)
    assert [p.face_id for p in people] == ["face-7"]
    assert people[0].query()["blazer"]["colours"][0] == "bottle green"
    assert image_attributes(image, Faces.empty()) == []


def test_face_at_the_bottom_edge_reports_nothing_visible(person_factory) -> None:
    image, box, _ = person_factory(FULL, seed=6)
    cut = image[: int(box[3]) + 5]
    person = person_attributes(cut, box)
    assert all(a.present is None for a in person.items.values())
    assert person.uniform_score == 0.0


def test_blazer_over_same_coloured_jumper_is_reported_as_cannot_tell(person_factory) -> None:
    same = {"shirt": {"colours": ["white"], "pattern": "plain"},
            "jumper": {"colours": ["navy"], "pattern": "plain"},
            "blazer": {"colours": ["navy"], "pattern": "plain"}}
    image, box, _ = person_factory(same, seed=8, show_lower=False)
    blazer = person_attributes(image, box).items["blazer"]
    assert blazer.present is False and blazer.confidence == 0.5
    assert "cannot tell" in blazer.detail[0]["note"]
