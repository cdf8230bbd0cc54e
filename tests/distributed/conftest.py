"""A real Dask cluster on loopback: ``dask scheduler`` and two ``dask worker`` processes."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from daskcluster import DASK, Cluster, child_env, start_worker, wait_for_workers


@pytest.fixture()
def dask_cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A scheduler and two single-thread worker processes on 127.0.0.1, stopped afterwards."""
    pytest.importorskip("distributed")
    logs = tmp_path / "dask-logs"
    logs.mkdir()
    scheduler_file = logs / "scheduler.json"
    scheduler = subprocess.Popen(
        [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0",
         "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(scheduler_file)],
        env=child_env(), cwd=logs, stdout=open(logs / "scheduler.log", "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT)
    cluster = Cluster(address="", scheduler=scheduler, log_dir=logs)
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists():
            if scheduler.poll() is not None or time.monotonic() > deadline:
                pytest.fail("dask scheduler did not start: "
                            + (logs / "scheduler.log").read_text(errors="replace"))
            time.sleep(0.1)
        cluster.address = json.loads(scheduler_file.read_text())["address"]
        for name in ("worker-a", "worker-b"):
            start_worker(cluster, name, scheduler_file)
        wait_for_workers(cluster.address, 2)
        yield cluster
    finally:
        for process in [*cluster.workers.values(), scheduler]:
            if process.poll() is None:
                process.terminate()
        for process in [*cluster.workers.values(), scheduler]:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)

