"""CSV import with a column mapping, and photos from a folder."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.missing.backends import open_registry
from workbench.missing.importers import import_csv, photo_map_from_folder, read_csv
from workbench.missing.records import MissingPersonsError

CSV = """Case No,Full Name,Gender,Ethnicity,DOB,Last Seen,Town,Latitude,Longitude,Picture,Notes
A-1,Fictional Ann,F,White British,2008-05-01,2020-05-01,Leeds,53.8,-1.55,a1.jpg,blue coat
A-2,Fictional Bob,Male,,,03/04/2019,,,,,
"""
MAPPING = {"id": "Case No", "name": "Full Name", "sex": "Gender", "race_ethnicity": "Ethnicity",
           "date_of_birth": "DOB", "date_last_seen": "Last Seen", "place": "Town",
           "lat": "Latitude", "lon": "Longitude", "photo": "Picture"}


def test_csv_mapping(tmp_path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(CSV)
    rows = read_csv(path, MAPPING, source="police")
    (a, photos_a), (b, photos_b) = rows
    assert a.id == "police:A-1" and a.sex == "female" and a.sex_raw == "F"
    assert a.race_ethnicity == "White British" and a.age_missing_min == pytest.approx(12, abs=0.01)
    assert (a.lat, a.lon, a.place) == (53.8, -1.55, "Leeds")
    assert a.extra == {"Notes": "blue coat"} and photos_a == [tmp_path / "a1.jpg"]
    assert b.date_last_seen.isoformat() == "2019-03-04" and b.age_missing_min is None
    assert photos_b == []


def test_csv_errors_say_what_to_do(tmp_path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(CSV)
    with pytest.raises(MissingPersonsError, match="Pass a mapping"):
        read_csv(path)
    with pytest.raises(MissingPersonsError, match="unknown fields"):
        read_csv(path, {"identifier": "Case No"})
    bad = tmp_path / "bad.csv"
    bad.write_text("id,lat\n1,north\n")
    with pytest.raises(MissingPersonsError, match="not a number"):
        read_csv(bad)


def test_import_csv_embeds_photos_and_folder_mapping(tmp_path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(CSV)
    (tmp_path / "a1.jpg").write_bytes(b"fake-bytes-a1")
    calls = []

    def embed(p):
        calls.append(p.name)
        return np.eye(128, dtype=np.float32)[0], "k"

    with open_registry(tmp_path / "reg") as reg:
        report = import_csv(reg, path, MAPPING, embed, source="police")
        assert report["records"] == 2 and report["added"] == [str((tmp_path / "a1.jpg").resolve())]
        assert reg.photos("police:A-1")[0]["embedding_key"] == "k"
        folder = tmp_path / "photos"
        folder.mkdir()
        for name in ("police_A-2.jpg", "police_A-2_2.png", "nobody.jpg", "notes.txt"):
            (folder / name).write_bytes(name.encode())
        found = photo_map_from_folder(folder, [r.id for r in reg.records()])
        assert {p.name: rid for p, rid in found.items()} == {
            "police_A-2.jpg": "police:A-2", "police_A-2_2.png": "police:A-2"}
        explicit = photo_map_from_folder(folder, [], {"nobody.jpg": "police:A-1"})
        assert list(explicit.values()) == ["police:A-1"]


@pytest.mark.parametrize(("cells", "message"), [
    ("age_missing=-5", "age_missing_min -5 is not an age"),
    ("age_missing=999", "age_missing_min 999 is not an age"),
    ("age_missing=inf", "not a finite number"),
    ("age_missing=nan", "not a finite number"),
    ("lat=nan", "lat nan is not a finite number"),
    ("date_of_birth=2015-06-01;date_last_seen=2014-06-01", "is after date_last_seen"),
    ("date_last_seen=2999-01-01", "date_last_seen 2999-01-01 is in the future"),
    ("date_of_birth=12/31/2999", "date_of_birth 2999-12-31 is in the future"),
    ("date_last_seen=yesterday", "cannot read 'yesterday' as a date"),
])
def test_bad_records_are_refused_naming_the_line(tmp_path, cells, message) -> None:
    header = ["id", "age_missing", "lat", "date_of_birth", "date_last_seen"]
    bad = dict(cell.split("=") for cell in cells.split(";"))
    lines = [",".join(header), "ok-1,12,51.5,2008-01-01,2020-01-01",
             ",".join(["bad-2"] + [bad.get(h, "") for h in header[1:]]),
             "ok-3,13,,,"]
    path = tmp_path / "people.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(MissingPersonsError, match=message) as error:
        read_csv(path)
    assert f"{path}:3:" in str(error.value) and "csv:people.csv:bad-2" in str(error.value)


def test_a_bad_file_imports_nothing(tmp_path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("id,age_missing\nfine,10\nworse,-1\n")
    registry = open_registry(tmp_path / "reg")
    with pytest.raises(MissingPersonsError, match=r"people.csv:3: .*nothing was imported"):
        import_csv(registry, path)
    assert len(registry.records()) == 0


def test_namus_items_are_validated_with_their_position() -> None:
    from workbench.missing.importers import read_namus_json

    rows = [{"namus2Number": 1, "computedMissingMinAge": 10, "computedMissingMaxAge": 12},
            {"namus2Number": 2, "computedMissingMinAge": 10, "computedMissingMaxAge": 999}]
    with pytest.raises(MissingPersonsError, match=r"NamUs item #2: record namus:MP2: "
                                            "age_missing_max 999 is not an age"):
        read_namus_json(rows)
    assert read_namus_json(rows[:1])[0].age_missing_max == 12
