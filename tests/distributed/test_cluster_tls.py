"""Encrypted cluster traffic: a real Dask scheduler and worker speaking TLS on loopback,
with a throw-away CA and certificate made by ``openssl``; the workbench connects with the
certificate Dask's settings name, and says clearly what is missing without it."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from daskcluster import DASK, child_env, workbench

from workbench.distributed.engine import missing_tls_settings, unencrypted_remote
from workbench.store import Case

OPENSSL = "openssl"


def _certificates(folder: Path) -> dict[str, Path]:
    """A CA and one certificate for 127.0.0.1 signed by it (scheduler, worker and client)."""
    folder.mkdir()

    def run(*args: str) -> None:
        subprocess.run([OPENSSL, *args], cwd=folder, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=workbench-test-ca")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "node.key", "-out", "node.csr",
        "-subj", "/CN=127.0.0.1")
    (folder / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", "node.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "node.pem", "-days", "2", "-extfile", "ext.cnf")
    return {"ca": folder / "ca.pem", "cert": folder / "node.pem", "key": folder / "node.key"}


def _tls_env(certs: dict[str, Path]) -> dict[str, str]:
    return {**child_env(), "DASK_DISTRIBUTED__COMM__TLS__CA_FILE": str(certs["ca"]),
            "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT": str(certs["cert"]),
            "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY": str(certs["key"]),
            "DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION": "True"}


@pytest.fixture()
def tls_cluster(tmp_path: Path) -> Iterator[tuple[str, dict[str, Path]]]:
    """A TLS scheduler and one single-thread worker on 127.0.0.1; its address and certs."""
    certs = _certificates(tmp_path / "certs")
    flags = ["--tls-ca-file", str(certs["ca"]), "--tls-cert", str(certs["cert"]),
             "--tls-key", str(certs["key"])]
    logs = tmp_path / "logs"
    logs.mkdir()
    scheduler_file = logs / "scheduler.json"
    processes = [subprocess.Popen(
        [DASK, "scheduler", "--protocol", "tls", "--host", "127.0.0.1", "--port", "0",
         "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(scheduler_file), *flags],
        env=child_env(), cwd=logs, stdout=open(logs / "scheduler.log", "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT)]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists():
            if processes[0].poll() is not None or time.monotonic() > deadline:
                pytest.fail("TLS scheduler did not start: "
                            + (logs / "scheduler.log").read_text(errors="replace"))
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tls://127.0.0.1:")
        processes.append(subprocess.Popen(
            [DASK, "worker", address, "--nthreads", "1", "--no-nanny", "--host", "127.0.0.1",
             "--no-dashboard", *flags],
            env=child_env(), cwd=logs, stdout=open(logs / "worker.log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT))
        yield address, certs
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


def test_ingest_over_tls_stores_what_the_local_pool_stores(tls_cluster, shared_data: Path,
                                                           tmp_path: Path) -> None:
    address, certs = tls_cluster
    source = str(shared_data / "exif")
    local = json.loads(workbench("ingest", str(tmp_path / "local"), source, "--json").stdout)
    ran = workbench("ingest", str(tmp_path / "tls"), source, "--cluster", address, "--json",
                    env=_tls_env(certs))
    remote = json.loads(ran.stdout)
    assert "unencrypted" not in ran.stderr
    for key in ("seen", "new_evidence", "duplicates", "quarantined"):
        assert remote[key] == local[key], key
    with Case.open(tmp_path / "tls") as case:   # the tasks ran on the TLS cluster
        assert address in case.run(remote["run_id"]).params["tasks_on"]

    # without the client's certificate: a clear error naming what to set, nothing ingested
    refused = workbench("ingest", str(tmp_path / "none"), source, "--cluster", address,
                        check=False)
    assert refused.returncode == 2
    assert "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT" in refused.stderr
    with Case.open(tmp_path / "none") as case:
        assert len(case.evidence()) == 0

    # a certificate from another CA: the scheduler refuses the client (mutual TLS)
    rogue = tmp_path / "rogue"
    rogue.mkdir()
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    "rogue.key", "-out", "rogue.pem", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], cwd=rogue, check=True,
                   capture_output=True)
    stranger = {**_tls_env(certs),
                "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT": str(rogue / "rogue.pem"),
                "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY": str(rogue / "rogue.key")}
    refused = workbench("ingest", str(tmp_path / "rogue-case"), source, "--cluster", address,
                        "--json", env=stranger, check=False)
    assert refused.returncode == 2 and "did not accept this client" in refused.stderr


def test_plain_tcp_off_this_machine_is_flagged() -> None:
    assert unencrypted_remote("tcp://10.0.0.5:8786")
    assert unencrypted_remote("10.0.0.5:8786")
    assert not unencrypted_remote("tcp://127.0.0.1:8786")
    assert not unencrypted_remote("tls://10.0.0.5:8786")


def test_missing_certificate_settings_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    import dask

    with dask.config.set({"distributed.comm.tls.ca-file": "/x/ca.pem"}):
        missing = missing_tls_settings()
    assert "DASK_DISTRIBUTED__COMM__TLS__CA_FILE" not in missing
    assert "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY" in missing
