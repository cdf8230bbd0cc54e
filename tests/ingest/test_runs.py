"""Runs killed mid-way are marked ``interrupted`` when the case is next opened."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from workbench.store import Case

_HOLDER = """
import sys, time
from workbench.store import Case
from workbench.types import Run
case = Case.open(sys.argv[1])
run = case.start_run(Run.start("ingest", params={{}}))
print(run.id, flush=True)
time.sleep(120)
"""


def _status(case_dir: Path, run_id: str) -> str:
    with Case.open(case_dir) as case:
        return case.runs().set_index("id").loc[run_id, "status"]


def test_live_run_stays_running_killed_run_is_interrupted(tmp_path: Path) -> None:
    case_dir = tmp_path / "case"
    Case.init(case_dir).close()
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER.format(), str(case_dir)],
                              stdout=subprocess.PIPE, text=True)
    try:
        run_id = holder.stdout.readline().strip()
        assert run_id, "the helper process did not start its run"
        # still running in another process: opening the case must not touch it
        assert _status(case_dir, run_id) == "running"
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    assert _status(case_dir, run_id) == "interrupted"
    with Case.open(case_dir) as case:
        marks = case.audit_log().query("action == 'run.interrupted'")
        assert list(marks["target"]) == [run_id]  # marked once, audited
        summary = case.summary()
    assert summary["runs_by_status"] == {"interrupted": 1}
    assert [r["id"] for r in summary["interrupted_runs"]] == [run_id]

    shown = subprocess.run([sys.executable, "-m", "workbench.cli", "case", "summary",
                            str(case_dir)], capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and "interrupted" in shown.stdout
    as_json = subprocess.run([sys.executable, "-m", "workbench.cli", "case", "summary",
                              str(case_dir), "--json"], capture_output=True, text=True,
                             timeout=60)
    assert json.loads(as_json.stdout)["runs_by_status"] == {"interrupted": 1}


def test_run_of_another_host_is_left_alone(new_case: Case) -> None:
    from workbench.types import Run

    run = new_case.start_run(Run.start("ingest", params={}))
    new_case.db.execute("UPDATE runs SET host='elsewhere', pid=1 WHERE id=?", (run.id,))
    new_case.close()
    time.sleep(0.01)
    assert _status(new_case.path, run.id) == "running"
