"""NamUs client against a local server with the real shapes: paging, the cap, retries."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.missing.backends import open_registry
from workbench.missing.importers import read_namus_json
from workbench.missing.namus import (
    NamUsClient,
    NamUsError,
    NamUsSettings,
    predicates,
    settings_from_env,
    sync,
)

from .namus_server import CAP, STATES, FakeNamUs


def fast(url: str, **kw) -> NamUsSettings:
    return NamUsSettings(url, min_interval_s=0.0, backoff_s=0.01, **kw)


def test_off_unless_configured(monkeypatch) -> None:
    monkeypatch.delenv("WORKBENCH_NAMUS_URL", raising=False)
    assert settings_from_env() is None
    monkeypatch.setenv("WORKBENCH_NAMUS_URL", "http://127.0.0.1:9/")
    assert settings_from_env().base_url == "http://127.0.0.1:9"


def test_paging_under_the_cap() -> None:
    with FakeNamUs(2500) as api:
        client = NamUsClient(fast(api.url, page_size=1000))
        rows = list(client.search_all(predicates(sex=["Female"])))
        posts = [b for m, _, b in api.log if m == "POST"]
    assert len(rows) == 1250 and len({r["namus2Number"] for r in rows}) == 1250
    assert [b["skip"] for b in posts] == [0, 1000]
    assert posts[0]["predicates"] == [{"field": "gender", "operator": "IsIn",
                                       "values": ["Female"]}]
    assert "namus2Number" in posts[0]["projections"]


def test_over_the_cap_splits_by_state() -> None:
    n = CAP + 2500
    with FakeNamUs(n) as api:
        client = NamUsClient(fast(api.url, page_size=5000))
        rows = list(client.search_all())
        state_queries = {b["predicates"][0]["values"][0] for m, _, b in api.log
                         if m == "POST" and b["predicates"]}
    assert len({r["namus2Number"] for r in rows}) == n  # nothing lost to the cap
    assert state_queries == set(STATES)


def test_retries_with_backoff_then_gives_up() -> None:
    waits: list[float] = []
    with FakeNamUs(10, fail_first=2) as api:
        client = NamUsClient(fast(api.url), sleep=waits.append)
        assert client.states() == STATES
        assert client.requests_made == 3
        assert waits[:2] == pytest.approx([0.01, 0.02])
        api.fail_left = 100
        with pytest.raises(NamUsError, match="did not answer"):
            NamUsClient(fast(api.url, retries=2), sleep=lambda s: None).states()


def test_rate_limit_spaces_requests() -> None:
    waits: list[float] = []
    with FakeNamUs(10) as api:
        client = NamUsClient(NamUsSettings(api.url, min_interval_s=5.0), sleep=waits.append)
        client.states()
        client.states()
    assert waits and waits[0] > 4.0


def test_case_documents_import_and_sync_with_photos(tmp_path) -> None:
    with FakeNamUs(6) as api:
        client = NamUsClient(fast(api.url))
        doc = client.case("MP100001")
        record = read_namus_json(doc)[0]
        assert record.id == "namus:MP100001" and record.sex == "female"
        assert record.sex_raw == "Female" and record.race_ethnicity == "White / Caucasian"
        assert record.lat == 44.0 and record.date_last_seen.isoformat() == "2015-03-02"
        assert record.age_missing_min == 11
        embedded = []

        def embed(path):
            embedded.append(path)
            return np.ones(128, np.float32), "k"

        with open_registry(tmp_path / "reg") as reg:
            report = sync(reg, client, fetch_cases=True, photo_dir=tmp_path / "reg" / "photos",
                          embed_photo=embed)
            assert reg.count() == 6 and report["records"] == 6
            assert len(report["added"]) == 6 and len(reg.photos()) == 6
            assert reg.get("namus:MP100000").place == "Springfield, Alabama"


def test_search_rows_import() -> None:
    rows = {"count": 2, "results": [
        {"namus2Number": 7, "firstName": "Fictional", "lastName": "A", "gender": "Male",
         "raceEthnicity": "Asian", "computedMissingMinAge": 14, "computedMissingMaxAge": 15,
         "dateOfLastContact": "2019-01-02", "cityOfLastContact": "X",
         "stateDisplayNameOfLastContact": "Oregon"},
        {"namus2Number": 8, "gender": "Unsure"}]}
    a, b = read_namus_json(rows)
    assert a.id == "namus:MP7" and a.sex == "male" and a.age_missing_max == 15
    assert a.place == "X, Oregon" and a.case_url.endswith("/7")
    assert b.sex == "unknown" and b.sex_raw == "Unsure"
