"""The SQLite registry, exact vs FAISS search, ranking and case lookups with hits."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import numpy as np
import pytest

from workbench.missing.backends import open_registry
from workbench.missing.case_lookup import lookup_case, reverse_search
from workbench.missing.index import IndexSettings, VectorIndex
from workbench.missing.lookup import LookupSettings
from workbench.missing.records import MissingPersonsError, RegistryPhoto
from workbench.missing.threshold import Threshold
from workbench.types import Faces

from .helpers import KEY, near, person, unit

SHA = "ab" * 32


def test_exact_and_hnsw_agree_on_clustered_data() -> None:
    rng = np.random.default_rng(0)
    centres = unit(rng, 200)
    base = np.stack([near(centres[i % 200], rng, 0.6) for i in range(3000)])
    queries = np.stack([near(centres[i], rng, 0.6) for i in range(50)])
    index = VectorIndex(base, np.arange(3000), IndexSettings(exact_limit=1000))
    assert index.kind == "hnsw"
    exact, exact_sims = index.search(queries, k=10, method="exact")
    approx, _ = index.search(queries, k=10)
    recall = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approx, exact, strict=True)])
    assert recall >= 0.95
    assert np.all(np.diff(exact_sims, axis=1) <= 1e-6)  # best first
    brute = queries @ (base / np.linalg.norm(base, axis=1, keepdims=True)).T
    assert np.array_equal(exact[:, 0], brute.argmax(axis=1))


def test_restricted_search_only_returns_allowed_rows() -> None:
    rng = np.random.default_rng(1)
    base = unit(rng, 3000)
    index = VectorIndex(base, np.arange(3000), IndexSettings(exact_limit=100))
    allowed = np.zeros(3000, bool)
    allowed[::7] = True
    for method in ("exact", "hnsw"):
        labels, _ = index.search(base[:5], k=5, rows=allowed, method=method)
        assert np.all(labels % 7 == 0)


def test_registry_roundtrip_and_key_isolation(tmp_path) -> None:
    rng = np.random.default_rng(2)
    with open_registry(tmp_path / "reg") as reg:
        reg.upsert([person(i) for i in range(5)])
        reg.upsert([person(0, place="Leeds", lat=53.8, lon=-1.55)])  # update in place
        vecs = unit(rng, 5)
        for i in range(5):
            reg.add_photo(RegistryPhoto(f"test:{i}", KEY, f"p{i}.jpg", f"{i:064x}"), vecs[i])
        reg.add_photo(RegistryPhoto("test:0", "other-model", "p0.jpg", SHA), unit(rng, 1)[0])
        assert reg.count() == 5 and reg.get("test:0").place == "Leeds"
        assert reg.embedding_keys() == ["other-model", KEY]
        # Same photo again is stored once.
        again = reg.add_photo(RegistryPhoto("test:1", KEY, "p1.jpg", f"{1:064x}"), vecs[1])
        assert again == reg.photos("test:1")[0]["id"]
        found = reg.search(near(vecs[3], rng), KEY, k=3)[0]
        assert found[0].record_id == "test:3" and found[0].similarity > 0.9
        assert [m.similarity for m in found] == sorted((m.similarity for m in found), reverse=True)
        only = reg.search(vecs[3], KEY, k=3, record_ids=["test:1", "test:2"])[0]
        assert {m.record_id for m in only} <= {"test:1", "test:2"}
        with pytest.raises(MissingPersonsError):
            reg.get("test:99")
    with open_registry(tmp_path / "reg") as reg:  # persisted
        assert len(reg.photos()) == 6


def _faces(embeddings: np.ndarray, evidence: list[str], ages, sexes) -> Faces:
    n = len(evidence)
    return Faces(evidence_id=np.array(evidence, dtype=object),
                 xyxy=np.tile([10, 10, 60, 60], (n, 1)), confidence=np.ones(n),
                 embedding=embeddings, embedding_key=KEY,
                 data={"age": np.array(ages, float), "age_std": np.full(n, 3.0),
                       "gender": np.array(sexes, dtype=object),
                       "gender_confidence": np.full(n, 0.98)})


def _evidence(case, sha: str, captured: str | None) -> None:
    with case.transaction():
        case.add_evidence({"id": sha, "kind": "image", "captured_at": captured}, f"/e/{sha}.jpg")


def test_lookup_case_filters_ranks_verifies_and_stores_hits(tmp_path, new_case) -> None:
    rng = np.random.default_rng(3)
    vecs = unit(rng, 4)
    with open_registry(tmp_path / "reg") as reg:
        reg.upsert([person(0, "female", 12), person(1, "male", 12), person(2, "female", 45),
                    person(3, "female", 13)])
        for i in range(4):
            reg.add_photo(RegistryPhoto(f"test:{i}", KEY, sha256=f"{i:064x}"), vecs[i])
        e1, e2 = "1" * 64, "2" * 64
        _evidence(new_case, e1, "2023-06-01T12:00:00+00:00")
        _evidence(new_case, e2, None)
        # Face 0 shows person 0; face 1 is a stranger who most resembles person 1 (male).
        faces = _faces(np.stack([near(vecs[0], rng), near(vecs[1], rng, 0.2)]), [e1, e2],
                       [13, 12], ["Woman", "Woman"])
        sent = []
        result = lookup_case(new_case, reg, Threshold(0.8, "test"), LookupSettings(k=5),
                             faces=faces, on_verified=lambda c, q, cand: sent.append(cand),
                             today=date(2024, 1, 1))
    first = result.faces[0].candidates
    assert first[0].record.id == "test:0" and first[0].verified
    ids = {c.record.id for f in result.faces for c in f.candidates}
    assert "test:1" not in ids and "test:2" not in ids  # sex and age filtered out
    assert any("age_window: passed" in r for r in first[0].reasons())
    assert [c.record.id for c in sent] == ["test:0"]
    hits = new_case.query("SELECT * FROM hits WHERE kind='registry'")
    assert len(hits) == 1 and hits.face_id[0] == f"{e1}:0"
    names = [c["name"] for c in json.loads(hits.conditions[0])]
    assert names == ["candidate", "sex", "age_window", "similarity", "verified"]
    run = new_case.runs().iloc[-1]
    assert run.kind == "registry.lookup" and run.status == "done"
    assert hits.run_id[0] == run.id


def test_lookup_refuses_other_embedding_keys(tmp_path, new_case) -> None:
    rng = np.random.default_rng(4)
    with open_registry(tmp_path / "reg") as reg:
        reg.upsert([person(0)])
        reg.add_photo(RegistryPhoto("test:0", "another-model", sha256=SHA), unit(rng, 1)[0])
        _evidence(new_case, "3" * 64, None)
        faces = _faces(unit(rng, 1), ["3" * 64], [12], ["F"])
        result = lookup_case(new_case, reg, Threshold(0.0, "test"), faces=faces)
    assert result.skipped_keys == {KEY: 1} and not result.hits


def test_reverse_search_over_cases(tmp_path) -> None:
    from workbench.store import Case

    rng = np.random.default_rng(5)
    target = unit(rng, 1)[0]
    faces_by_case = {}
    dirs = []
    for n in range(2):
        case = Case.init(tmp_path / f"case{n}")
        sha = f"{n + 4}" * 64
        _evidence(case, sha, datetime(2023, 1, 1, tzinfo=UTC).isoformat())
        emb = np.stack([near(target, rng) if n == 1 else unit(rng, 1)[0], unit(rng, 1)[0]])
        faces_by_case[str(case.path)] = _faces(emb, [sha, sha], [14, 14], ["F", "M"])
        dirs.append(case.path)
        case.close()
    with open_registry(tmp_path / "reg") as reg:
        reg.upsert([person(7, "female", 13, last_seen="2022-06-01")])
        reg.add_photo(RegistryPhoto("test:7", KEY, sha256=SHA), target)
        matches = reverse_search(reg, "test:7", dirs, Threshold(0.8, "test"),
                                 faces_loader=lambda c: faces_by_case[str(c.path)])
    assert matches[0].case_path == str(dirs[1]) and matches[0].candidate.verified
    assert all(m.query.sex == "female" for m in matches)  # the male face was filtered
    with Case.open(dirs[1]) as case:
        assert case.summary()["hits"] == {"registry": 1}
    with Case.open(dirs[0]) as case:
        assert case.summary()["hits"] == {}


def test_identification_rates_counts_misses() -> None:
    from workbench.eval.identification import identification_rates

    rng = np.random.default_rng(6)
    gallery = unit(rng, 50)
    ids = [f"p{i}" for i in range(50)]
    queries = np.stack([near(gallery[i], rng, 0.3) for i in range(10)] + [gallery[20]])
    queries[3] = np.nan  # no face found
    qids = [f"p{i}" for i in range(10)] + ["p21"]  # the last one is a wrong gallery match
    rates = identification_rates(gallery, ids, queries, qids)
    assert rates["queries"] == 11 and rates["queries_without_face"] == 1
    assert rates["rank1"] == pytest.approx(9 / 11)
    assert rates["rank10"] >= rates["rank1"]


def test_hnsw_graph_is_cached_and_rebuilt_when_photos_change(tmp_path) -> None:
    rng = np.random.default_rng(7)
    vecs = unit(rng, 300)
    settings = IndexSettings(exact_limit=100)
    reg = open_registry(tmp_path / "reg", index_settings=settings)
    reg.upsert([person(i) for i in range(300)])
    for i in range(299):
        reg.add_photo(RegistryPhoto(f"test:{i}", KEY, sha256=f"{i:064x}"), vecs[i])
    assert reg.search(vecs[5], KEY, k=1)[0][0].record_id == "test:5"
    cached = list((tmp_path / "reg" / "index").glob("*.faiss"))
    assert len(cached) == 1
    reg.close()
    reg = open_registry(tmp_path / "reg", index_settings=settings)
    assert reg.search(vecs[6], KEY, k=1)[0][0].record_id == "test:6"  # read back
    reg.add_photo(RegistryPhoto("test:299", KEY, sha256=f"{299:064x}"), vecs[299])
    assert reg.search(vecs[299], KEY, k=1)[0][0].record_id == "test:299"  # rebuilt
    reg.close()


def test_records_refuse_impossible_ages_and_dates() -> None:
    from datetime import date, timedelta

    from workbench.missing.records import MissingPerson, MissingPersonsError

    with pytest.raises(MissingPersonsError, match="age_missing_min -5 is not an age"):
        MissingPerson(id="x:1", source="x", age_missing_min=-5)
    with pytest.raises(MissingPersonsError, match="not a finite number"):
        MissingPerson.from_dict({"id": "x:2", "source": "x", "age_missing_max": float("inf")})
    with pytest.raises(MissingPersonsError, match="is after date_last_seen"):
        MissingPerson(id="x:3", source="x", date_of_birth="2012-01-02",
                      date_last_seen="2012-01-01")
    with pytest.raises(MissingPersonsError, match="in the future"):
        MissingPerson(id="x:4", source="x", date_last_seen=date.today() + timedelta(days=30))
    # The boundaries themselves are ages; a birth on the day last seen is age 0.
    edge = MissingPerson(id="x:5", source="x", date_of_birth="2020-01-01",
                         date_last_seen="2020-01-01")
    assert edge.age_missing_min == 0
    assert MissingPerson(id="x:6", source="x", age_missing_min=0, age_missing_max=120)


def test_a_search_limited_to_some_records_masks_exactly_their_photos() -> None:
    # The registry's record filter is integer codes, not string comparisons per photo;
    # it must select exactly what comparing the ids would, unknown ids included.
    import numpy as np

    from workbench.missing.store import _Owners

    rng = np.random.default_rng(3)
    owners = np.array([f"rec-{i:04d}" for i in rng.integers(0, 300, 1000)], dtype=object)
    wanted = [f"rec-{i:04d}" for i in rng.integers(0, 400, 90)]   # some not in the index
    expected = np.isin(owners, np.asarray(wanted, dtype=object))
    assert (_Owners.of(owners).rows_of(wanted) == expected).all()
    assert not _Owners.of(owners).rows_of([]).any()
