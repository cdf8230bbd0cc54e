"""Moving a SQLite case into PostgreSQL (``workbench case move-db``): a real small case
(real ingest, synthetic faces, hits and decisions) reads the same through every store query
after the move, ``case.db`` is kept renamed, and a move that fails part-way leaves the SQLite
case as it was."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from workbench.cli import main
from workbench.errors import CaseError
from workbench.review import decide, queue_items
from workbench.store import Case, pg
from workbench.store.faces import load_faces, save_faces
from workbench.store.pg_move import move_to_postgresql
from workbench.types import Condition, Faces, Hit


def _sqlite_case(folder: Path, shared_data: Path) -> None:
    """A small SQLite case. Built from an empty case.db (opened, hence migrated) so it stays
    SQLite under ``pytest --case-db postgresql`` too, which sends ``Case.init`` there."""
    from workbench.ingest import IngestSettings, ingest

    folder.mkdir()
    sqlite3.connect(folder / "case.db").close()
    with Case.open(folder) as case:
        assert case.backend == "sqlite"
        with case.transaction() as conn:
            conn.execute("INSERT INTO case_info VALUES ('name', 'to-move')")
        images = shared_data / "exif" / "ianare_exif-samples" / "jpg" / "gps"
        ingest(case, [images], IngestSettings(workers=1, progress=False, exiftool=False))
        ids = sorted(e.id for e in case.iter_evidence())[:3]
        rng = np.random.default_rng(3)
        emb = rng.normal(size=(3, 128)).astype(np.float32)
        save_faces(case, Faces(evidence_id=np.array(ids), xyxy=rng.uniform(0, 99, (3, 4)),
                               confidence=np.full(3, 0.9), embedding=emb,
                               embedding_key="synthetic", data={"age": np.array([9., 30, 14])}),
                   ids, "sig")
        case.add_hits([Hit(ids[0], "criterion", "synthetic_rule", 0.8,
                           (Condition("p_minor", 0.7, True, "synthetic"),),
                           face_id=f"{ids[0]}:0", version="test"),
                       Hit(ids[1], "criterion", "synthetic_rule", 0.6, face_id=f"{ids[1]}:0"),
                       Hit(ids[2], "hash", "synthetic-list", 1.0)])
        decide(case, queue_items(case)[0].item, "confirm", who="analyst", note="made up")


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.ndarray | list | tuple):
        return [_plain(v) for v in value]
    return value.item() if hasattr(value, "item") else value


def _records(frame: Any) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _everything(case: Case) -> dict[str, Any]:
    """What the store's queries give, in plain values."""
    faces = load_faces(case)
    order = np.argsort(faces.evidence_id)
    return {
        "summary": case.summary(), "evidence": case.evidence_records(),
        "hits": _records(case.hits().sort_values("id")),
        "queue": [i.as_dict() for i in queue_items(case)],
        "runs": _records(case.runs().sort_values("id")),
        "quarantine": _records(case.quarantined()),
        "faces": (faces.evidence_id[order].tolist(), faces.embedding[order].tolist(),
                  faces.xyxy[order].tolist()),
        "audit": _records(case.audit_log()),
    }


def test_a_moved_case_answers_every_query_as_before(pg_url: str, tmp_path: Path,
                                                    shared_data: Path, capsys) -> None:
    folder = tmp_path / "c"
    _sqlite_case(folder, shared_data)
    with Case.open(folder) as case:
        before = _everything(case)
        tables = {t: case.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                  for t in pg.SCHEMA.columns}
    assert main(["case", "move-db", str(folder), "--to", pg_url]) == 0
    assert "counts and audit chain verified" in capsys.readouterr().out
    assert not (folder / "case.db").exists() and (folder / "database.json").is_file()
    (kept,) = folder.glob("case.db.moved-*")
    with sqlite3.connect(kept) as old:  # the SQLite record is kept whole
        assert old.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == tables["audit"]
    with Case.open(folder) as case:
        assert case.backend == "postgresql"
        after = _everything(case)
        assert after.pop("audit")[:-1] == before.pop("audit")
        assert after == before
        entry = case.audit_log().iloc[-1]
        assert entry["action"] == "case.move-db" and case.audit_verify().ok
        assert {t: case.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in pg.SCHEMA.columns} == {**tables, "audit": tables["audit"] + 1}
        # the moved case goes on: new rows get new keys after the copied ones
        case.audit("test.after-move")
        assert case.audit_verify().ok
    with pytest.raises(CaseError, match="already kept in PostgreSQL"):
        move_to_postgresql(folder, pg_url)


def _unchanged(folder: Path, before: dict[str, Any]) -> None:
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(("case", "data"))) \
        == ["case.db"]
    with Case.open(folder) as case:
        assert case.backend == "sqlite" and _everything(case) == before
        assert case.audit_verify().ok


def test_a_failed_move_leaves_the_sqlite_case_as_it_was(pg_url: str, tmp_path: Path,
                                                        shared_data: Path) -> None:
    folder = tmp_path / "c"
    _sqlite_case(folder, shared_data)
    with Case.open(folder) as case:
        # SQLite's type affinity lets text into an INTEGER column; PostgreSQL refuses it,
        # half-way through the copy (after evidence and runs, which its rows depend on)
        with case.transaction() as conn:
            conn.execute("UPDATE face_analyses SET faces = 'many' WHERE rowid = "
                         "(SELECT MAX(rowid) FROM face_analyses)")
        before = _everything(case)
    with pytest.raises(CaseError, match="table face_analyses could not be copied"):
        move_to_postgresql(folder, pg_url)
    _unchanged(folder, before)
    schema = pg.schema_name(folder.resolve())
    probe = pg.PgConnection(pg_url, "public")
    try:
        assert probe.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name=?",
                             (schema,)).fetchone() is None
    finally:
        probe.close()

    # a schema that already holds a case is never written over
    other = pg.PgConnection(pg_url, schema)
    try:
        pg.create_schema(other, "2026-01-01T00:00:00+00:00")
        with pytest.raises(CaseError, match="already holds a case"):
            move_to_postgresql(folder, pg_url)
        assert other.execute("SELECT COUNT(*) FROM evidence").fetchone()[0] == 0
    finally:
        other.execute(f'DROP SCHEMA "{schema}" CASCADE')
        other.close()
    _unchanged(folder, before)

    bad = "postgresql://nobody@127.0.0.1:9/none"
    with pytest.raises(CaseError, match="cannot reach the case database"):
        move_to_postgresql(folder, bad)
    _unchanged(folder, before)


def test_a_session_open_before_the_move_cannot_write_into_the_kept_file(
        pg_url: str, tmp_path: Path, shared_data: Path) -> None:
    folder = tmp_path / "c"
    _sqlite_case(folder, shared_data)
    earlier = Case.open(folder)      # an analyst who had the case open all along
    try:
        earlier.audit("test.before-move")
        kept = move_to_postgresql(folder, pg_url).kept_as
        with sqlite3.connect(kept) as old:
            rows = old.execute("SELECT COUNT(*) FROM audit").fetchone()[0]
        # the earlier session still holds the renamed file: its write is refused, loudly
        with pytest.raises(CaseError, match="moved to PostgreSQL"):
            earlier.audit("test.after-move")
        with pytest.raises(sqlite3.IntegrityError, match="moved to PostgreSQL"):
            earlier.db.execute("DELETE FROM audit")
        with sqlite3.connect(kept) as old:
            assert old.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == rows
    finally:
        earlier.close()
    with Case.open(folder) as case:  # reopened: the moved case, which takes writes
        assert case.backend == "postgresql"
        case.audit("test.after-reopen")
        actions = list(case.audit_log()["action"])
        assert "test.before-move" in actions and "test.after-move" not in actions
        assert case.audit_verify().ok


def test_a_move_that_fails_after_sealing_leaves_the_case_writable(
        pg_url: str, tmp_path: Path, shared_data: Path, monkeypatch) -> None:
    from workbench.store import pg_move

    folder = tmp_path / "c"
    _sqlite_case(folder, shared_data)
    with Case.open(folder) as case:
        before = _everything(case)

    def refuse(folder: Path) -> Path:
        raise OSError("the folder is read-only")

    monkeypatch.setattr(pg_move, "_keep_sqlite", refuse)   # fails after the seal is committed
    with pytest.raises(OSError, match="read-only"):
        move_to_postgresql(folder, pg_url)
    _unchanged(folder, before)
    with Case.open(folder) as case:
        case.audit("test.after-failed-move")                 # writable again
        assert case.audit_log()["action"].iloc[-1] == "test.after-failed-move"
