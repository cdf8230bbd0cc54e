"""Helpers for tests on a real Dask cluster: its processes and the ``workbench`` command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DASK = str(Path(sys.executable).with_name("dask"))
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Cluster:
    """A running scheduler, its address, and its worker processes (by name)."""

    address: str
    scheduler: subprocess.Popen[bytes]
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    log_dir: Path | None = None

    def kill_worker(self, name: str) -> None:
        """``kill -9`` one worker: no goodbye to the scheduler, whatever it was doing."""
        self.workers[name].send_signal(signal.SIGKILL)
        self.workers[name].wait(10)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("WORKBENCH_MODELS", str(REPO / ".models"))
    env["OMP_NUM_THREADS"] = "1"
    env.pop("WORKBENCH_DASK", None)
    # tasks may carry test helpers by reference (test_cluster_scans' scripted detectors)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(Path(__file__).parent), env.get("PYTHONPATH")) if p)
    return env


def start_worker(cluster: Cluster, name: str, scheduler_file: Path) -> None:
    """One worker process, one thread, no nanny (so killing it loses it for good)."""
    assert cluster.log_dir is not None
    log = open(cluster.log_dir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
    cluster.workers[name] = subprocess.Popen(
        [DASK, "worker", "--scheduler-file", str(scheduler_file), "--nthreads", "1",
         "--no-nanny", "--host", "127.0.0.1", "--no-dashboard", "--name", name],
        env=child_env(), cwd=cluster.log_dir, stdout=log, stderr=subprocess.STDOUT)


def wait_for_workers(address: str, count: int, timeout_s: float = 60) -> None:
    from distributed import Client

    with Client(address, timeout=timeout_s) as client:
        client.wait_for_workers(count, timeout=timeout_s)


def workbench(*args: str, env: dict[str, str] | None = None, check: bool = True
              ) -> subprocess.CompletedProcess[str]:
    """``workbench ARGS`` as a user runs it (its own process, the repo's interpreter)."""
    result = subprocess.run([sys.executable, "-m", "workbench.cli", *args], env=env or child_env(),
                            cwd=REPO, capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        pytest.fail(f"workbench {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result
