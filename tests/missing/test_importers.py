"""CSV import with a column mapping, and photos from a folder."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.missing.importers import import_csv, photo_map_from_folder, read_csv
from workbench.missing.records import RegistryError
from workbench.missing.store import open_registry

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
    with pytest.raises(RegistryError, match="Pass a mapping"):
        read_csv(path)
    with pytest.raises(RegistryError, match="unknown fields"):
        read_csv(path, {"identifier": "Case No"})
    bad = tmp_path / "bad.csv"
    bad.write_text("id,lat\n1,north\n")
    with pytest.raises(RegistryError, match="not a number"):
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
