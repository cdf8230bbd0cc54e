"""Stopping a command stops its workers; killing it (-9) leaves no worker behind."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

_POOL_SCRIPT = textwrap.dedent("""
    import multiprocessing, sys, time
    from workbench.parallel import process_pool

    def nap(x):
        time.sleep(120)
        return x

    if __name__ == "__main__":
        context = multiprocessing.get_context(sys.argv[1])
        with process_pool(2, mp_context=context) as pool:
            futures = [pool.submit(nap, i) for i in range(4)]
            time.sleep(1.0)  # let both workers start and run their initializer
            print("ready", flush=True)
            for future in futures:
                future.result()
""")

_EMBED_SCRIPT = textwrap.dedent("""
    import sys, time
    import numpy as np
    from workbench.eval.cache import embed_files

    class Slow:
        embedding_key = "slow-test-embedder"
        def __call__(self, rgb):
            time.sleep(120)
            return np.zeros(4, np.float32)

    if __name__ == "__main__":
        print("ready", flush=True)
        embed_files(sys.argv[2:], Slow, cache_dir=sys.argv[1], workers=2, progress=False)
""")


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie has exited; only its exit status is left


def _wait_gone(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = {p for p in pids if _alive(p)}
        if not left:
            return left
        time.sleep(0.1)
    return {p for p in pids if _alive(p)}


def _kill_left(pids: set[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _start_workers(args: list[str], min_children: int, cwd: Path | None = None
                   ) -> tuple[subprocess.Popen, set[int]]:
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=cwd)
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()[-2000:]
    deadline = time.monotonic() + 30
    children = _descendants(proc.pid)
    while len(children) < min_children and time.monotonic() < deadline:
        time.sleep(0.1)
        children = _descendants(proc.pid)
    assert len(children) >= min_children, f"workers did not start: {children}"
    return proc, children


@pytest.mark.parametrize("method", ["fork", "forkserver"])
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_pool_workers_never_outlive_their_command(tmp_path: Path, method: str,
                                                  how: signal.Signals) -> None:
    script = tmp_path / "pool.py"
    script.write_text(_POOL_SCRIPT)
    proc, workers = _start_workers([sys.executable, str(script), method], min_children=2)
    try:
        proc.send_signal(how)
        proc.wait(timeout=15)  # SIGTERM: the command unwinds instead of waiting 120 s
        left = _wait_gone(workers, 10)
        assert not left, f"{len(left)} worker(s) survived {how.name} of their parent"
    finally:
        proc.kill()
        _kill_left(workers)


def test_eval_embedding_pool_stops_on_sigterm(photo_dir: Path, tmp_path: Path) -> None:
    script = tmp_path / "embed.py"
    script.write_text(_EMBED_SCRIPT)
    images = [str(p) for p in sorted(photo_dir.iterdir())]
    proc, workers = _start_workers([sys.executable, str(script), str(tmp_path / "cache"),
                                    *images], min_children=2)
    try:
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
        assert not _wait_gone(workers, 10), "embedding workers survived SIGTERM"
    finally:
        proc.kill()
        _kill_left(workers)


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("SELECT COUNT(*) FROM evidence_paths").fetchone()[0]
    except sqlite3.Error:
        return 0


def _ingest_until_some_rows(shared_data: Path, case_dir: Path) -> tuple[subprocess.Popen, set]:
    source = shared_data / "faces" / "labelled" / "deepface"
    proc = subprocess.Popen([sys.executable, "-m", "workbench.cli", "ingest", str(case_dir),
                             str(source), "--workers", "2", "--no-progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while _count(case_dir / "case.db") < 3 and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    workers = _descendants(proc.pid)
    if proc.poll() is not None or not workers:
        proc.kill()
        pytest.fail("the ingest finished before it could be stopped")
    return proc, workers


def test_ingest_killed_leaves_no_worker_holding_the_case(shared_data: Path,
                                                         tmp_path: Path) -> None:
    case_dir = tmp_path / "case"
    proc, workers = _ingest_until_some_rows(shared_data, case_dir)
    try:
        os.kill(proc.pid, signal.SIGKILL)  # the parent only, as an OOM killer would
        proc.wait(timeout=10)
        assert not _wait_gone(workers, 5), "ingest workers survived kill -9 of their parent"
        conn = sqlite3.connect(case_dir / "case.db", timeout=0.5)
        conn.execute("BEGIN EXCLUSIVE")  # nobody holds case.db any more
        conn.execute("ROLLBACK")
        conn.close()
    finally:
        _kill_left(workers)


def test_ingest_sigterm_stops_workers_and_marks_the_run(shared_data: Path,
                                                        tmp_path: Path) -> None:
    case_dir = tmp_path / "case"
    proc, workers = _ingest_until_some_rows(shared_data, case_dir)
    try:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 130 and "interrupted" in err
        assert not _wait_gone(workers, 5), "ingest workers survived SIGTERM"
        with sqlite3.connect(case_dir / "case.db") as conn:
            statuses = [r[0] for r in conn.execute("SELECT status FROM runs")]
        assert statuses == ["interrupted"]  # recorded by the command itself as it stopped
    finally:
        _kill_left(workers)


@pytest.mark.slow
def test_analyze_sigterm_stops_its_workers(shared_data: Path, tmp_path: Path) -> None:
    """`workbench analyze` (real models, forkserver workers) stopped by SIGTERM."""
    from workbench.ingest.pipeline import IngestSettings, ingest
    from workbench.store import Case

    case_dir = tmp_path / "case"
    with Case.init(case_dir) as case:
        ingest(case, [shared_data / "faces" / "labelled" / "deepface"],
               IngestSettings(workers=1, progress=False))
    proc = subprocess.Popen([sys.executable, "-m", "workbench.cli", "analyze", str(case_dir),
                             "--workers", "2", "--no-progress", "--no-attributes"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while len(workers) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)  # forkserver + 2 workers
            workers = _descendants(proc.pid)
        assert len(workers) >= 3, "analyze did not start its workers"
        time.sleep(3)  # let the workers load their models and start on images
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err[-2000:]
        assert not _wait_gone(workers, 10), "analyze workers survived SIGTERM"
        with sqlite3.connect(case_dir / "case.db") as conn:
            status = conn.execute("SELECT status FROM runs WHERE kind != 'ingest'").fetchall()
        assert [s[0] for s in status] == ["interrupted"]
    finally:
        proc.kill()
        _kill_left(workers)


@pytest.mark.slow
def test_eval_lfw_sigterm_stops_its_workers(shared_data: Path, tmp_path: Path) -> None:
    """`timeout`/SIGTERM of `workbench eval lfw` used to leave its workers running."""
    lfw = shared_data / "faces" / "lfw-dev"
    proc = subprocess.Popen([sys.executable, "-m", "workbench.cli", "eval", "lfw",
                             "--workers", "2", "--quiet", "--cache-dir", str(tmp_path / "cache"),
                             "--pairs", str(lfw / "pairsDevTest.txt"),
                             "--images", str(lfw / "images")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while len(workers) < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
            workers = _descendants(proc.pid)
        assert len(workers) >= 2, f"eval lfw did not start its workers: {proc.stderr.read()}"
        time.sleep(2)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err[-2000:]
        assert not _wait_gone(workers, 10), "eval lfw workers survived SIGTERM"
    finally:
        proc.kill()
        _kill_left(workers)
