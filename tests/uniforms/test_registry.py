"""Registry CSV: item cells, loading, errors, and the deterministic sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.schools.registry import (
    SAMPLE_REGISTRY,
    SchoolRegistryError,
    build_sample_registry,
    format_item,
    load_registry,
    parse_item,
)


def test_item_cells_round_trip() -> None:
    spec = parse_item("navy+gold/striped?")
    assert spec == {"colours": ["navy", "gold"], "pattern": "striped", "optional": True}
    assert format_item(spec) == "navy+gold/striped?"
    assert parse_item("") is None and parse_item("white")["pattern"] == "plain"
    with pytest.raises(SchoolRegistryError, match="cannot read"):
        parse_item("teal/plain")
    with pytest.raises(SchoolRegistryError, match="cannot read"):
        parse_item("navy/polka")


def test_load_reports_bad_files(tmp_path: Path) -> None:
    with pytest.raises(SchoolRegistryError, match="not found"):
        load_registry(tmp_path / "none.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name\n1,x\n")
    with pytest.raises(SchoolRegistryError, match="lacks columns"):
        load_registry(bad)


def test_sample_registry_is_marked_invented_and_diverse() -> None:
    schools = load_registry(SAMPLE_REGISTRY)
    assert len(schools) == 4337
    assert {s.uniform_source for s in schools} == {"invented-for-demo"}
    assert all("shirt" in s.uniform and {"tie", "jumper", "blazer"} & set(s.uniform)
               for s in schools)
    descriptions = {tuple(sorted((k, s.describe(k)) for k in s.uniform)) for s in schools}
    assert len(descriptions) > 3000


def test_sample_registry_rebuilds_identically(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "sample.csv"
    n = build_sample_registry(shared_data / "schools" / "hifld_public_schools_FL.csv", out)
    assert n == 4337
    assert out.read_bytes() == SAMPLE_REGISTRY.read_bytes()
