"""Ingest on a real Dask cluster (scheduler + two worker processes on loopback) stores what
the local process pool stores, resumes like it, and says clearly when no scheduler answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from daskcluster import Cluster, workbench

from workbench.store import Case


def _evidence(case_dir: Path) -> dict[str, tuple[str, ...]]:
    with Case.open(case_dir) as case:
        frame = case.evidence()
        return {sha: tuple(sorted(paths)) for sha, paths in zip(frame["sha256"], frame["paths"],
                                                                strict=True)}


def test_ingest_on_the_cluster_stores_what_the_local_pool_stores(
        dask_cluster: Cluster, shared_data: Path, tmp_path: Path) -> None:
    source = str(shared_data / "exif")
    local = json.loads(workbench("ingest", str(tmp_path / "local"), source, "--workers", "2",
                                 "--json").stdout)
    ran = workbench("ingest", str(tmp_path / "dask"), source, "--cluster", dask_cluster.address,
                    "--json")
    remote = json.loads(ran.stdout)
    assert "dashboard: http://" in ran.stderr  # the user is told where to watch
    for key in ("seen", "new_evidence", "duplicates", "frames", "quarantined", "hits"):
        assert remote[key] == local[key], key
    assert remote["new_evidence"] > 50
    assert _evidence(tmp_path / "dask") == _evidence(tmp_path / "local")
    with Case.open(tmp_path / "dask") as case:  # the run says where its tasks ran
        assert dask_cluster.address in case.run(remote["run_id"]).params["tasks_on"]

    again = json.loads(workbench("ingest", str(tmp_path / "dask"), source, "--cluster",
                                 dask_cluster.address, "--json").stdout)
    assert again["skipped"] == again["seen"] and again["new_evidence"] == 0
    assert len(_evidence(tmp_path / "dask")) == local["new_evidence"]


def test_no_scheduler_is_a_clear_error() -> None:
    from workbench.distributed.engine import ClusterError, open_engine

    with pytest.raises(ClusterError, match="start one with `dask scheduler`"):
        with open_engine(cluster="tcp://127.0.0.1:9", timeout_s=2):
            pass


def test_engine_choice_follows_flags_then_the_environment(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    from workbench.distributed.engine import ClusterError, resolve

    monkeypatch.delenv("WORKBENCH_DASK", raising=False)
    assert resolve(None, None) == ("local", None)
    assert resolve("dask", None) == ("dask", None)  # a LocalCluster
    assert resolve(None, "tcp://h:8786") == ("dask", "tcp://h:8786")
    monkeypatch.setenv("WORKBENCH_DASK", "tcp://env:8786")
    assert resolve(None, None) == ("dask", "tcp://env:8786")
    assert resolve("local", None) == ("local", None)  # explicit local wins
    with pytest.raises(ClusterError, match="drop --engine local"):
        resolve("local", "tcp://h:8786")
