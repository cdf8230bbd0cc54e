"""School search: colour confusions, items not visible, geographic prior, ties, output."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import box as rectangle

from workbench.errors import ValidationError
from workbench.schools.registry import School, load_registry, parse_item
from workbench.schools.search import GeoPrior, colour_confusion, rank_of, search_schools
from workbench.uniforms.palette import COLOUR_NAMES


def _school(sid: str, lat: float = 28.0, lon: float = -82.0, **items: str) -> School:
    return School(sid, f"School {sid}", "", lat, lon, "HIGH",
                  {k: parse_item(v) for k, v in items.items()}, "test")


def _obs(present: bool = True, colours: list[str] | None = None, pattern: str = "plain",
         confidence: float = 0.9) -> dict:
    return {"present": present, "confidence": confidence, "colours": colours or [],
            "pattern": pattern}


SCHOOLS = [
    _school("black-blazer", shirt="white", tie="black+gold/striped", blazer="black"),
    _school("red-blazer", shirt="white", tie="red+gold/striped", blazer="red"),
    _school("no-blazer", shirt="white", tie="black+gold/striped", jumper="grey"),
    _school("maroon-jumper", shirt="white", jumper="maroon"),
    _school("optional-jumper", shirt="white", tie="black+gold/striped", blazer="black",
            jumper="grey?"),
]


def test_confusion_matrix_is_stochastic_and_knows_common_confusions() -> None:
    m = colour_confusion()
    assert m.shape == (16, 16)
    assert abs(m.sum(1) - 1).max() < 1e-9
    idx = COLOUR_NAMES.index
    assert m[idx("navy"), idx("black")] > m[idx("navy"), idx("yellow")] * 5
    assert m[idx("maroon"), idx("burgundy")] > m[idx("maroon"), idx("light blue")] * 5


def test_navy_seen_for_black_still_finds_the_black_uniform() -> None:
    obs = {"shirt": _obs(colours=["white"]), "blazer": _obs(colours=["navy"]),
           "tie": _obs(colours=["black", "gold"], pattern="striped")}
    ranked = search_schools(obs, SCHOOLS, top=5)
    order = [m.school.id for m in ranked]
    assert order.index("black-blazer") < order.index("red-blazer")
    assert order.index("black-blazer") < order.index("no-blazer")
    top = ranked[0]
    assert "blazer" in top.matched and "colour-close" in top.explain()


def test_burgundy_seen_for_maroon() -> None:
    obs = {"shirt": _obs(colours=["white"]), "jumper": _obs(colours=["burgundy"])}
    assert search_schools(obs, SCHOOLS, top=1)[0].school.id == "maroon-jumper"


def test_items_not_visible_do_not_count() -> None:
    obs = {"tie": _obs(colours=["black", "gold"], pattern="striped")}
    ranked = search_schools(obs, SCHOOLS, top=5)
    top_ids = {m.school.id for m in ranked if m.score > 0.99}
    assert top_ids == {"black-blazer", "no-blazer", "optional-jumper"}
    assert all(len(m.items) == 1 for m in ranked)
    assert ranked[0].tied_with == 2


def test_missing_item_penalised_unless_optional() -> None:
    obs = {"shirt": _obs(colours=["white"]), "tie": _obs(colours=["black", "gold"],
                                                         pattern="striped"),
           "blazer": _obs(colours=["black"]), "jumper": _obs(present=False, confidence=0.9)}
    ranked = {m.school.id: m for m in search_schools(obs, SCHOOLS, top=5)}
    assert ranked["black-blazer"].loglik > ranked["no-blazer"].loglik
    assert ranked["optional-jumper"].loglik > ranked["no-blazer"].loglik
    assert any(i.verdict.startswith("absent-ok") for i in ranked["optional-jumper"].items)


def test_geographic_prior_breaks_ties_by_distance_and_region() -> None:
    twins = [_school(f"t{i}", lat=27.0 + i, lon=-81.0, shirt="white", tie="navy") for i in range(4)]
    obs = {"tie": _obs(colours=["navy"])}
    near = search_schools(obs, twins, top=4, prior=GeoPrior(near=(29.1, -81.0)))
    assert [m.school.id for m in near] == ["t2", "t3", "t1", "t0"]
    assert near[0].distance_km < 20 and near[0].score == 1.0 > near[1].score
    region = rectangle(-82, 27.5, -80, 28.5)                    # only t1 (lat 28) inside
    inside = search_schools(obs, twins, top=4, prior=GeoPrior(region=region))
    assert inside[0].school.id == "t1" and inside[1].score < 0.05


def test_without_prior_ties_keep_a_stable_id_order() -> None:
    twins = [_school(f"t{i}", shirt="white", tie="navy") for i in (3, 1, 2)]
    ranked = search_schools({"tie": _obs(colours=["navy"])}, twins, top=3)
    assert [m.school.id for m in ranked] == ["t1", "t2", "t3"]
    assert rank_of("t3", {"tie": _obs(colours=["navy"])}, twins) == (1, 3)


def test_results_are_map_ready() -> None:
    obs = {"blazer": _obs(colours=["red"]), "tie": _obs(colours=["red"], pattern="striped")}
    feature = search_schools(obs, SCHOOLS, top=1)[0].geojson_feature()
    assert feature["geometry"] == {"type": "Point", "coordinates": [-82.0, 28.0]}
    assert feature["properties"]["name"] == "School red-blazer"
    assert feature["properties"]["matched_items"] == ["tie", "blazer"]
    json.dumps(feature)


def test_unknown_item_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown uniform items"):
        search_schools({"hat": _obs()}, SCHOOLS)


def test_sample_registry_search_is_fast_enough() -> None:
    import time

    schools = load_registry()
    start = time.perf_counter()
    ranked = search_schools({"shirt": _obs(colours=["white"]),
                             "tie": _obs(colours=["navy", "gold"], pattern="striped")},
                            schools, top=10)
    assert len(ranked) == 10 and time.perf_counter() - start < 5
    assert ranked[0].school.uniform_source == "invented-for-demo"


def test_cannot_tell_points_to_a_blazer_hidden_in_its_jumper_colour() -> None:
    # The extractor reads "cannot tell" when one fabric covers the centre and the sides: a
    # jumper alone, or a blazer over a jumper of its colour - not a blazer of another colour.
    schools = [_school("same", shirt="white", jumper="navy", blazer="navy"),
               _school("jumper-only", shirt="white", jumper="navy"),
               _school("other-blazer", shirt="white", jumper="navy", blazer="red")]
    unsure = {"shirt": _obs(colours=["white"]), "jumper": _obs(colours=["navy"]),
              "blazer": _obs(present=False, confidence=0.5)}
    ranked = {m.school.id: m for m in search_schools(unsure, schools, top=3)}
    assert ranked["same"].loglik > ranked["other-blazer"].loglik + 2
    # the same picture to this extractor: an exact tie, shown as one
    assert ranked["same"].loglik == pytest.approx(ranked["jumper-only"].loglik, abs=1e-12)
    assert ranked["same"].rank_range == ranked["jumper-only"].rank_range == (1, 2)
    assert any(i.verdict == "uncertain" for i in ranked["same"].items)


def test_ties_carry_their_rank_range_and_say_so() -> None:
    from workbench.schools.search import tie_groups

    schools = [_school("best", shirt="white", tie="navy"),
               *(_school(f"t{i}", shirt="white", tie="black") for i in range(4))]
    ranked = search_schools({"shirt": _obs(colours=["white"]), "tie": _obs(colours=["navy"])},
                            schools, top=3)
    assert ranked[0].rank_range == (1, 1) and ranked[0].tied_with == 0
    assert [m.rank_range for m in ranked[1:]] == [(2, 5), (2, 5)]
    assert ranked[1].rank_text == "2-5" and "4 schools explain this equally" in \
        ranked[1].explain()
    groups = tie_groups(ranked)
    assert [g["schools"] for g in groups] == [1, 4] and groups[1]["shown"] == 2
    assert "ranks 2-5" in groups[1]["text"]
    assert ranked[1].as_dict()["rank_range"] == [2, 5]
    hit = ranked[1].to_hit("e" * 64)
    tie = next(c for c in hit.conditions if c.name == "tie_group")
    assert tie.value == "2-5" and not tie.fired


def test_a_persons_correction_is_trusted_more_than_the_extractor() -> None:
    # The extractor reads plain ties as striped a quarter of the time; a person does not.
    schools = [_school("plain", shirt="white", tie="navy"),
               _school("striped", shirt="white", tie="navy+gold/striped")]
    read = {"shirt": _obs(colours=["white"]), "tie": _obs(colours=["navy"], pattern="striped")}
    by_machine = {m.school.id: m.loglik for m in search_schools(read, schools)}
    person = {k: {**v, "corrected": True} for k, v in read.items()}
    by_person = {m.school.id: m.loglik for m in search_schools(person, schools)}
    gap_machine = by_machine["plain"] - by_machine["striped"]
    gap_person = by_person["plain"] - by_person["striped"]
    assert gap_person < gap_machine


def test_calibrated_tables_come_from_the_held_out_split() -> None:
    from workbench.schools.likelihood import CALIBRATION_FILE, observation_model

    data = json.loads(CALIBRATION_FILE.read_text())
    assert data["seed_base"] >= 10 ** 8 and data["records"] > 1000
    model = observation_model()
    assert model.source.endswith("calibration.json")
    for table in model.presence.values():
        for row in table.values():
            assert row.sum() == pytest.approx(1.0) and (row > 0).all()
    # a blazer over a jumper of its colour is mostly reported "cannot tell"
    blazer = model.presence["blazer"]
    assert blazer["worn-over-same"][2] > 0.5 > blazer["worn"][2]
