"""The case store: creation, migrations, evidence rows, quarantine, audit, runs."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.errors import CaseError
from workbench.store import Case
from workbench.types import Run


def _record(sha: str, **extra: object) -> dict:
    return {"id": sha, "kind": "image", "md5": "m" + sha[:31], "width": 10, "height": 20, **extra}


@pytest.mark.sqlite_file
def test_init_creates_a_wal_database_and_derived_folder(tmp_path: Path) -> None:
    case = Case.init(tmp_path / "c", name="op-lantern")
    assert (tmp_path / "c" / "case.db").is_file() and case.derived_dir.is_dir()
    assert case.name == "op-lantern"
    assert case.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert case.audit_log()["action"].tolist() == ["case.init"]
    case.close()
    assert Case.init(tmp_path / "c").name == "op-lantern"  # re-init opens, never wipes


def test_opening_a_folder_that_is_not_a_case_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match="workbench case init"):
        Case.open(tmp_path)


@pytest.mark.sqlite_file
def test_a_case_from_a_newer_schema_is_refused(tmp_path: Path) -> None:
    Case.init(tmp_path / "c").close()
    conn = sqlite3.connect(tmp_path / "c" / "case.db")
    conn.execute("INSERT INTO schema_migrations VALUES (999, 'later')")
    conn.commit()
    conn.close()
    with pytest.raises(CaseError, match="newer"):
        Case.open(tmp_path / "c")


def test_duplicate_content_is_stored_once_with_every_path(new_case: Case) -> None:
    sha = "ab" * 32
    with new_case.transaction():
        assert new_case.add_evidence(_record(sha), "/ev/a.jpg", size=3, mtime_ns=1)
        assert not new_case.add_evidence(_record(sha), "/ev/copy/a.jpg", size=3, mtime_ns=1)
    frame = new_case.evidence()
    assert len(frame) == 1
    assert frame.loc[0, "paths"] == ["/ev/a.jpg", "/ev/copy/a.jpg"]
    assert set(new_case.processed_paths()) == {"/ev/a.jpg", "/ev/copy/a.jpg"}
    record = new_case.evidence_records()[0]
    assert record["sha256"] == sha and record["width"] == 10 and record["lat"] is None


def test_quarantine_keeps_path_and_reason(new_case: Case) -> None:
    new_case.quarantine("/ev/bad.png", "truncated", "image file is truncated", size=9)
    rows = new_case.quarantined().to_dict(orient="records")
    assert rows[0]["path"] == "/ev/bad.png" and rows[0]["reason"] == "truncated"
    assert "/ev/bad.png" in new_case.processed_paths()


def test_a_failed_transaction_leaves_nothing_behind(new_case: Case) -> None:
    with pytest.raises(RuntimeError), new_case.transaction():
        new_case.add_evidence(_record("cd" * 32), "/ev/x.jpg")
        raise RuntimeError("worker died")
    assert new_case.evidence().empty


def test_audit_log_is_append_only(new_case: Case) -> None:
    new_case.audit("review.decide", target="item-1", detail={"decision": "confirm"}, who="analyst")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        new_case.db.execute("UPDATE audit SET who='someone else'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        new_case.db.execute("DELETE FROM audit")
    assert new_case.audit_log()["who"].tolist()[-1] == "analyst"


def test_runs_round_trip(new_case: Case) -> None:
    run = new_case.start_run(Run.start("ingest", models={"pdq": "0.2.8"}, params={"fps": 1.0}))
    new_case.finish_run(run.id, summary={"files": 3})
    again = new_case.run(run.id)
    assert again.models == {"pdq": "0.2.8"} and again.params == {"fps": 1.0}
    assert new_case.runs().loc[0, "status"] == "done"


def test_evidence_objects_carry_location_and_paths(new_case: Case) -> None:
    sha = "ef" * 32
    with new_case.transaction():
        new_case.add_evidence(_record(sha, lat=28.5, lon=-81.4, captured_at="2024-05-01T10:00:00-04:00"),
                              "/ev/geo.jpg")
    ev = new_case.get_evidence(sha)
    assert ev.location == (28.5, -81.4) and ev.source_paths == ("/ev/geo.jpg",)
    assert ev.captured_at is not None and ev.captured_at.utcoffset() is not None
    assert [e.id for e in new_case.iter_evidence()] == [sha]


def test_cli_init_summary_and_json_export(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "workbench.cli", *args],
                              capture_output=True, text=True, check=False)

    assert run("case", "init", str(tmp_path / "c")).returncode == 0
    assert '"evidence": 0' in run("case", "summary", str(tmp_path / "c"), "--json").stdout
    missing = run("evidence", str(tmp_path / "nope"), "--json")
    assert missing.returncode == 2 and "workbench case init" in missing.stderr


def test_importing_workbench_is_cheap_and_side_effect_free() -> None:
    code = ("import os, sys, time; env = dict(os.environ); t = time.perf_counter(); import workbench;"
            " d = time.perf_counter() - t; assert dict(os.environ) == env;"
            " heavy = {'pandas', 'cv2', 'dlib', 'deepface', 'onnxruntime', 'ipywidgets'} & set(sys.modules);"
            " assert not heavy, heavy; print(d)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(out.stdout) < 0.5


def test_hits_round_trip_and_rescoring_replaces_only_its_kind(new_case: Case) -> None:
    from workbench.types import Condition, Hit

    sha = "12" * 32
    with new_case.transaction():
        new_case.add_evidence(_record(sha), "/ev/h.jpg")
    new_case.add_hits([Hit(sha, "hash", "vics-list", 1.0, (Condition("md5", "abc", True),))])
    new_case.add_hits([Hit(sha, "criterion", "minor-distress", 0.4)])
    with new_case.transaction():  # joins the outer transaction; the same hit is stored once
        assert new_case.add_hits([Hit(sha, "criterion", "minor-distress", 0.4)]) == 0
    new_case.add_hits([Hit(sha, "criterion", "minor-distress", 0.6, face_id=f"{sha}:0")],
                      replace={"kind": "criterion"})
    frame = new_case.hits()
    assert frame["score"].tolist() == [1.0, 0.6]
    assert frame.loc[0, "conditions"] == [{"name": "md5", "value": "abc", "fired": True, "detail": ""}]
    assert new_case.hit_objects("criterion")[0].face_id == f"{sha}:0"
    with pytest.raises(CaseError):
        new_case.add_hits([], replace={"score; DROP TABLE hits": "x"})
