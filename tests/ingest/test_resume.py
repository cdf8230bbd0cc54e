"""kill -9 in the middle of `workbench ingest`, then the same command: every file exactly once."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("SELECT (SELECT COUNT(*) FROM evidence_paths) + "
                                "(SELECT COUNT(*) FROM quarantine)").fetchone()[0]
    except sqlite3.Error:
        return 0


def _command(case_dir: Path, source: Path) -> list[str]:
    return [sys.executable, "-m", "workbench.cli", "ingest", str(case_dir), str(source),
            "--workers", "2", "--no-progress"]


def test_kill_and_resume(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "faces" / "labelled" / "deepface"
    files = sorted(p for p in source.iterdir() if p.is_file())
    assert len(files) >= 30
    case_dir = tmp_path / "case"
    db = case_dir / "case.db"
    # its own session, so the kill reaches the workers and the forkserver too
    proc = subprocess.Popen(_command(case_dir, source), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _count(db) < 5 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if proc.poll() is not None:
        pytest.fail(f"ingest finished before it could be killed: {proc.stderr.read()[-2000:]}")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    done_at_kill = _count(db)
    assert 0 < done_at_kill < len(files), "the kill must land mid-way"

    result = subprocess.run(_command(case_dir, source), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]

    with sqlite3.connect(db) as conn:
        recorded = [r[0] for r in conn.execute(
            "SELECT path FROM evidence_paths UNION ALL SELECT path FROM quarantine")]
        evidence = {r[0] for r in conn.execute("SELECT id FROM evidence")}
        quarantined = {r[0]: r[1] for r in conn.execute("SELECT path, reason FROM quarantine")}
        statuses = [r[0] for r in conn.execute("SELECT status FROM runs ORDER BY started_at")]
    assert sorted(recorded) == sorted(str(p) for p in files)  # each file exactly once
    # only the licence and CSV files are not media; every image is evidence, once per content
    assert {Path(p).suffix for p in quarantined} <= {"", ".csv"}
    assert evidence == {hashlib.sha256(p.read_bytes()).hexdigest() for p in files
                        if str(p) not in quarantined}
    assert statuses == ["interrupted", "done"]  # the killed run is marked when next opened
