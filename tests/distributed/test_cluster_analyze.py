"""Face analysis on a real Dask cluster survives a worker killed mid-run and a client killed
mid-run: the finished case holds exactly the faces the local process pool finds, none lost,
none twice (slow: real model weights)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from daskcluster import REPO, Cluster, child_env, workbench

pytestmark = pytest.mark.slow

IMAGES = 40


def _evidence_folder(shared_data: Path, target: Path) -> Path:
    """The first photo of each of the first ``IMAGES`` LFW people (different faces)."""
    target.mkdir()
    people = sorted(p for p in (shared_data / "faces/lfw-dev/images").iterdir() if p.is_dir())
    for person in people[:IMAGES]:
        shutil.copy(sorted(person.glob("*.jpg"))[0], target)
    return target


def _analysed(case_dir: Path, signature: str) -> int:
    from workbench.store import Case
    from workbench.store.faces import analysed_evidence

    with Case.open(case_dir) as case:
        return len(analysed_evidence(case, signature))


def _faces(case_dir: Path) -> list[tuple[str, tuple[float, ...]]]:
    from workbench.store import Case
    from workbench.store.faces import load_faces

    with Case.open(case_dir) as case:
        faces = load_faces(case)
    return sorted((str(e), tuple(round(float(v), 1) for v in box))
                  for e, box in zip(faces.evidence_id, faces.xyxy, strict=True))


def _start(case_dir: Path, cluster: Cluster) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "workbench.cli", "analyze", str(case_dir),
                             "--cluster", cluster.address, "--json"], env=child_env(), cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_until(check: object, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for the analysis to progress")
        time.sleep(0.2)


def test_analysis_survives_a_killed_worker_and_a_killed_client(
        dask_cluster: Cluster, shared_data: Path, tmp_path: Path) -> None:
    from distributed import Client

    evidence = _evidence_folder(shared_data, tmp_path / "evidence")
    workbench("ingest", str(tmp_path / "local"), str(evidence), "--workers", "1", "--json")
    shutil.copytree(tmp_path / "local", tmp_path / "dask")
    local = json.loads(workbench("analyze", str(tmp_path / "local"), "--workers", "2",
                                 "--json", "--no-progress").stdout)
    assert local["analysed"] == IMAGES and not local["errors"]
    signature = local["signature"]
    case = tmp_path / "dask"

    # 1. the client is killed (kill -9) after some results are written
    first = _start(case, dask_cluster)
    _wait_until(lambda: _analysed(case, signature) >= 4)
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    done_before = _analysed(case, signature)
    assert 4 <= done_before < IMAGES, "the client was not killed mid-run"

    # 2. a new client resumes; one worker is killed while it holds analysis tasks
    second = _start(case, dask_cluster)
    with Client(dask_cluster.address, timeout=30) as client:
        names = {addr: w["name"] for addr, w in
                 client.scheduler_info(n_workers=-1)["workers"].items()}

        def worker_a_busy() -> bool:
            return any(names.get(addr) == "worker-a" and any("analyze" in str(k) for k in keys)
                       for addr, keys in client.processing().items())

        _wait_until(worker_a_busy)
        assert _analysed(case, signature) < IMAGES
        dask_cluster.kill_worker("worker-a")
    out, err = second.communicate(timeout=600)
    assert second.returncode == 0, err
    resumed = json.loads(out)

    assert resumed["skipped"] >= done_before  # what the killed client wrote was kept
    assert resumed["skipped"] + resumed["analysed"] == IMAGES
    assert not resumed["errors"], resumed["errors"]
    assert _analysed(case, signature) == IMAGES
    assert _faces(case) == _faces(tmp_path / "local")  # same faces, none lost, none twice
    assert len(_faces(case)) == local["faces"]
