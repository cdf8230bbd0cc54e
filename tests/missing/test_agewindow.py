"""Age-window arithmetic and the sex/age filters."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from workbench.missing.agewindow import AgeSettings, check_age, expected_age_window
from workbench.missing.lookup import FaceQuery, LookupSettings, filter_records
from workbench.missing.records import MissingPerson, MissingPersonsError, normalise_sex

from .helpers import person


def test_window_with_known_photo_date_shifts_by_elapsed_years() -> None:
    lo, hi = expected_age_window(10, 11, date(2020, 1, 1), photo_date=date(2024, 1, 1))
    assert lo == pytest.approx(14.0, abs=0.01) and hi == pytest.approx(15.0, abs=0.01)


def test_window_without_photo_date_spans_until_today() -> None:
    lo, hi = expected_age_window(10, 10, date(2020, 1, 1), today=date(2025, 1, 1))
    assert lo == pytest.approx(10.0) and hi == pytest.approx(15.0, abs=0.01)


def test_window_widens_with_photos_before_disappearance() -> None:
    lo, _ = expected_age_window(10, 10, date(2020, 1, 1), today=date(2025, 1, 1),
                                settings=AgeSettings(unknown_photo_before_years=3))
    assert lo == pytest.approx(7.0)


def test_age_check_uses_estimate_uncertainty() -> None:
    rec = person(1, age=8, last_seen="2023-01-01")
    today = date(2024, 1, 1)  # expected 8-9 years
    narrow = AgeSettings(sigmas=1, margin_years=0)
    assert not check_age(rec, 20.0, 3.0, today=today, settings=narrow).passed
    assert check_age(rec, 20.0, 12.0, today=today, settings=narrow).passed
    # More years since the disappearance makes an older face plausible.
    assert check_age(rec, 20.0, 3.0, today=date(2036, 1, 1), settings=narrow).passed


def test_unknowns_pass_and_say_so() -> None:
    rec = MissingPerson(id="x:1", source="x")
    check = check_age(rec, 30.0, 2.0)
    assert check.passed and "no age" in check.detail
    assert check_age(person(1), None, None).passed


def test_age_from_birth_date() -> None:
    rec = MissingPerson(id="x:2", source="x", date_of_birth="2010-06-01",
                        date_last_seen="2020-06-01")
    assert rec.age_missing_min == pytest.approx(10.0, abs=0.01)
    with pytest.raises(MissingPersonsError):
        MissingPerson(id="x:3", source="x", age_missing_min=12, age_missing_max=10)


def test_normalise_sex_words() -> None:
    assert [normalise_sex(v) for v in ("F", "Woman", "male", "Man", None, "?")] == [
        "female", "female", "male", "male", "unknown", "unknown"]


def test_filters_explain_and_respect_confidence() -> None:
    records = [person(1, "female", 12), person(2, "male", 12), person(3, "female", 40),
               MissingPerson(id="test:4", source="test", sex="unknown")]
    face = FaceQuery(np.zeros(4), "k", age=13, age_std=2, sex="female", sex_confidence=0.99,
                     photo_date=date(2023, 1, 1))
    passed = filter_records(records, face, LookupSettings())
    assert set(passed) == {"test:1", "test:4"}
    sex, age = passed["test:1"]
    assert sex.fired and "record female" in sex.detail and age.fired
    unsure = FaceQuery(np.zeros(4), "k", age=13, age_std=2, sex="female", sex_confidence=0.6,
                       photo_date=date(2023, 1, 1))
    assert "test:2" in filter_records(records, unsure, LookupSettings())


def test_vectorised_filter_agrees_with_per_record_filter() -> None:
    from workbench.missing.lookup import RecordFilter

    rng = np.random.default_rng(0)
    records = []
    for i in range(300):
        age = None if i % 11 == 0 else float(rng.integers(0, 70))
        seen = None if i % 7 == 0 else date(2000 + int(rng.integers(0, 24)), 1 + i % 12, 1)
        records.append(MissingPerson(id=f"r:{i}", source="r",
                                     sex=("female", "male", "unknown")[i % 3],
                                     age_missing_min=age,
                                     age_missing_max=None if age is None else age + i % 3,
                                     date_last_seen=seen))
    settings = LookupSettings()
    table = RecordFilter(records, settings, today=date(2025, 1, 1))
    for j in range(60):
        query = FaceQuery(np.zeros(4), "k",
                          age=None if j % 9 == 0 else float(rng.uniform(1, 70)),
                          age_std=None if j % 5 == 0 else float(rng.uniform(1, 8)),
                          sex=("female", "male", "unknown")[j % 3],
                          sex_confidence=float(rng.uniform(0.5, 1.0)),
                          photo_date=None if j % 2 else date(2010 + j % 15, 6, 1))
        slow = set(filter_records(records, query, settings, today=date(2025, 1, 1)))
        assert set(table.passed(query)) == slow
