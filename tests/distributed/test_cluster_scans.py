"""The explicit-content scan and the uniform reading on Dask store exactly what they store in
one process: the same task functions, run on a real ``LocalCluster`` (two worker processes)
or on a real scheduler with two workers, results written by the one client. The detectors
are scripted (``scripted.py``): no explicit imagery exists in this project.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from daskcluster import Cluster, workbench
from PIL import Image
from scripted import COLOURS, DETECTOR_OUTPUTS, ScriptedDetector, SlowDetector

from workbench.criteria.signals import scan_explicit
from workbench.store import Case
from workbench.store.signals import read_signals
from workbench.types import Faces

UNIFORMS = [
    {"shirt": {"colours": ["white"], "pattern": "plain"},
     "tie": {"colours": ["navy", "gold"], "pattern": "striped"},
     "blazer": {"colours": ["navy"], "pattern": "plain"}},
    {"shirt": {"colours": ["light blue"], "pattern": "plain"},
     "jumper": {"colours": ["maroon"], "pattern": "plain"}},
    {"shirt": {"colours": ["white"], "pattern": "plain"},
     "blazer": {"colours": ["green"], "pattern": "plain"}},
]


@pytest.fixture(scope="module")
def local_cluster() -> Iterator[Any]:
    """A ``LocalCluster`` of two worker processes on loopback."""
    pytest.importorskip("distributed")
    from workbench.distributed.engine import DaskEngine

    engine = DaskEngine.connect(None, workers=2)
    try:
        yield engine
    finally:
        engine.close()


def _add(case: Case, path: Path) -> str:
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    with case.transaction():
        case.add_evidence({"id": sha, "kind": "image", "width": 8, "height": 8}, str(path))
    return sha


def _explicit_case(root: Path, evidence: Path) -> Case:
    """Images of every scripted colour (several of each), one undecodable, one unscripted."""
    case = Case.init(root, name=root.name)
    if not evidence.exists():
        evidence.mkdir()
        for n in range(3):
            for name, colour in COLOURS.items():
                # the corner pixel decides the detector's output; the rest makes the files differ
                pixels = np.full((8, 8 + n, 3), colour, np.uint8)
                pixels[4:, 4:] = n * 40
                Image.fromarray(pixels).save(evidence / f"{name}-{n}.png")
        (evidence / "broken.png").write_bytes(b"not an image")
    for path in sorted(evidence.iterdir()):
        _add(case, path)
    with case.transaction():   # an item whose file is gone: failed before any task is sent
        case.add_evidence({"id": "f" * 64, "kind": "image", "width": 8, "height": 8},
                          str(evidence / "gone.png"))
    return case


def _signals(case: Case) -> list[tuple[str, str, float, dict[str, Any]]]:
    frame = read_signals(case)
    return [(r.evidence_id, r.name, r.value, json.loads(r.detail)) for r in frame.itertuples()]


def _skips(case: Case) -> list[tuple[str, str]]:
    log = case.audit_log()
    rows = log[log["action"] == "explicit.skip"]
    return sorted((str(t), str(d)) for t, d in zip(rows["target"], rows["detail"], strict=True))


def test_explicit_scan_on_dask_stores_the_same_rows_as_in_process(local_cluster, tmp_path):
    evidence = tmp_path / "evidence"
    local = _explicit_case(tmp_path / "local", evidence)
    dask = _explicit_case(tmp_path / "dask", evidence)
    try:
        here = scan_explicit(local, ScriptedDetector(DETECTOR_OUTPUTS), progress=False, batch=4)
        there = scan_explicit(dask, ScriptedDetector(DETECTOR_OUTPUTS), progress=False, batch=4,
                              engine=local_cluster)
        # 12 scripted images scored; the white ones (3), the undecodable and the gone file fail
        assert (here.scored, here.failed) == (12, 5)
        assert (there.scored, there.failed) == (here.scored, here.failed)
        assert _signals(dask) == _signals(local)
        assert max(v for _, _, v, _ in _signals(dask)) == pytest.approx(0.66)
        assert _skips(dask) == _skips(local) and len(_skips(dask)) == 5
        run = dask.run(there.run_id)
        assert run.models == {"nudenet-320n": "scripted-1"}
        assert "Dask local cluster" in run.params["tasks_on"]

        # resumable and written once: a second Dask run scores nothing new
        again = scan_explicit(dask, ScriptedDetector(DETECTOR_OUTPUTS), progress=False,
                              engine=local_cluster)
        assert (again.scored, again.failed, again.skipped) == (0, 5, 12)
        assert len(_signals(dask)) == 12
        # forced: every image scored again through the workers, rows replaced, not added
        forced = scan_explicit(dask, ScriptedDetector(DETECTOR_OUTPUTS), force=True,
                               progress=False, engine=local_cluster)
        assert forced.scored == 12 and len(_signals(dask)) == 12
    finally:
        local.close()
        dask.close()


def test_each_worker_loads_the_detector_once(local_cluster, tmp_path):
    evidence = tmp_path / "evidence"
    case = _explicit_case(tmp_path / "case", evidence)
    try:
        scan_explicit(case, ScriptedDetector(DETECTOR_OUTPUTS), force=True, progress=False,
                      engine=local_cluster)
    finally:
        case.close()

    def loads() -> list[int]:
        from workbench.distributed.scans import _cache

        return [d.loads for d in _cache.values() if type(d).__name__ == "ScriptedDetector"]

    per_worker = list(local_cluster.client.run(loads).values())
    # every task of a worker used the one detector it loaded (a worker may have had none)
    assert all(counts in ([], [1]) for counts in per_worker), per_worker
    assert [1] in per_worker


KILLER = """
import os, signal, sys, time
from distributed import Client
with Client(sys.argv[1], timeout=30) as client:
    names = {a: w["name"] for a, w in client.scheduler_info(n_workers=-1)["workers"].items()}
    for _ in range(1500):
        if any(names.get(a) == "worker-a" and any("explicit" in str(k) for k in keys)
               for a, keys in client.processing().items()):
            time.sleep(0.1)   # inside the task, past its first image
            os.kill(int(sys.argv[2]), signal.SIGKILL)
            print("killed")
            break
        time.sleep(0.02)
"""


def test_explicit_scan_survives_a_worker_killed_mid_task(dask_cluster: Cluster, tmp_path):
    """``kill -9`` of a worker holding scan tasks: its tasks run again on the other worker,
    every image is stored once, the same rows as in one process."""
    import subprocess

    from workbench.distributed.engine import DaskEngine

    evidence = tmp_path / "evidence"
    local = _explicit_case(tmp_path / "local", evidence)
    dask = _explicit_case(tmp_path / "dask", evidence)
    # the killer watches the scheduler from its own process (a second client in this
    # process would share the engine's event loop) and kill -9s worker-a inside a task
    killer = subprocess.Popen([sys.executable, "-c", KILLER, dask_cluster.address,
                               str(dask_cluster.workers["worker-a"].pid)],
                              stdout=subprocess.PIPE, text=True)
    engine = DaskEngine.connect(dask_cluster.address)
    try:
        here = scan_explicit(local, ScriptedDetector(DETECTOR_OUTPUTS), progress=False)
        there = scan_explicit(dask, SlowDetector(DETECTOR_OUTPUTS), progress=False,
                              engine=engine)
        assert killer.communicate(timeout=60)[0].strip() == "killed", \
            "worker-a was never seen running a scan task"
        dask_cluster.workers["worker-a"].wait(10)
        assert (there.scored, there.failed) == (here.scored, here.failed)
        assert _signals(dask) == _signals(local)
        assert _skips(dask) == _skips(local)     # no image lost to the kill
    finally:
        if killer.poll() is None:
            killer.kill()
        engine.close()
        local.close()
        dask.close()


def _person(uniform: dict[str, Any], seed: int, width: float = 90.0
            ) -> tuple[np.ndarray, np.ndarray]:
    """A flat skin-coloured 'face' with ``uniform`` drawn below; the picture and face box."""
    from workbench.uniforms.regions import FaceAnchor
    from workbench.uniforms.synthetic import render

    w = int(width * 2.6)
    face = np.full((int(width * 2.0), w, 3), (70, 90, 110), np.float32)
    cx, cy = w / 2, width * 1.0
    cv2.ellipse(face, (int(cx), int(cy)), (int(width / 2), int(width * 0.62)), 0, 0, 360,
                (205, 160, 130), -1)
    anchor = FaceAnchor(chin=(cx, cy + width * 0.62), width=width, roll=0.0)
    image, a = render(face, anchor, uniform, np.random.default_rng(seed), True)
    box = np.array([a.chin[0] - width / 2, a.chin[1] - width * 1.2, a.chin[0] + width / 2,
                    a.chin[1] - width * 0.08], np.float32)
    return image, box


def _uniform_case(root: Path, evidence: Path) -> Case:
    """Three photos of drawn uniformed people with stored faces, and one whose file is gone."""
    from workbench.store.faces import save_faces

    case = Case.init(root, name=root.name)
    evidence.mkdir(exist_ok=True)
    for n, uniform in enumerate(UNIFORMS):
        path = evidence / f"person-{n}.png"
        image, box = _person(uniform, seed=11 + n)
        if not path.exists():
            Image.fromarray(image).save(path)
        sha = _add(case, path)
        save_faces(case, Faces(evidence_id=[sha], xyxy=box[None], confidence=[0.99]), [sha])
    gone = evidence / "person-0.png"
    sha = "e" * 64
    with case.transaction():
        case.add_evidence({"id": sha, "kind": "image", "width": 9, "height": 9},
                          str(gone.with_name("gone.png")))
    save_faces(case, Faces(evidence_id=[sha], xyxy=np.array([[1, 1, 5, 5]], np.float32),
                           confidence=[0.9]), [sha])
    return case


def _attributes(case: Case) -> dict[str, Any]:
    from workbench.uniforms.store import load_attributes

    faces = load_attributes(case)
    for face in faces.values():
        for item in face["items"].values():
            item.pop("run_id")
    return faces


@pytest.mark.parametrize("reader", ["face", "body"])
def test_uniform_reading_on_dask_stores_the_same_rows_as_in_process(
        local_cluster, tmp_path, reader):
    from workbench.uniforms.extract import extract_case

    evidence = tmp_path / "evidence"
    local = _uniform_case(tmp_path / "local", evidence)
    dask = _uniform_case(tmp_path / "dask", evidence)
    try:
        here = extract_case(local, progress=False, reader=reader)
        there = extract_case(dask, progress=False, reader=reader, engine=local_cluster)
        assert here["faces"] == 3 and here["errors"] == 1
        assert {k: there[k] for k in ("images", "faces", "uniform_likely", "errors")} == \
            {k: here[k] for k in ("images", "faces", "uniform_likely", "errors")}
        assert there["error_detail"] == here["error_detail"]
        assert _attributes(dask) == _attributes(local)
        assert len(_attributes(dask)) == 3
        assert dask.runs().iloc[-1]["models"] == local.runs().iloc[-1]["models"]
    finally:
        local.close()
        dask.close()


def test_a_custom_loader_is_refused_on_dask(local_cluster, tmp_path):
    from workbench.errors import WorkbenchError
    from workbench.uniforms.extract import extract_case

    case = _uniform_case(tmp_path / "case", tmp_path / "evidence")
    try:
        with pytest.raises(WorkbenchError, match="custom loader"):
            extract_case(case, progress=False, reader="face", engine=local_cluster,
                         loader=lambda evidence, c: np.zeros((9, 9, 3), np.uint8))
    finally:
        case.close()


def test_uniforms_command_on_a_real_scheduler(dask_cluster: Cluster, tmp_path: Path):
    """``workbench uniforms CASE --cluster tcp://...`` as a user runs it: same rows as local."""
    evidence = tmp_path / "evidence"
    for name in ("local", "dask"):
        _uniform_case(tmp_path / name, evidence).close()
    workbench("uniforms", str(tmp_path / "local"), "--no-progress")
    out = workbench("uniforms", str(tmp_path / "dask"), "--no-progress", "--cluster",
                    dask_cluster.address)
    assert "3 faces in 4 images" in out.stdout and "1 images unreadable" in out.stdout
    assert "Dask cluster at" in out.stderr
    with Case.open(tmp_path / "local") as local, Case.open(tmp_path / "dask") as dask:
        assert _attributes(dask) == _attributes(local)


@pytest.mark.slow
def test_explicit_command_with_the_real_model_on_a_real_scheduler(
        dask_cluster: Cluster, shared_data: Path, tmp_path: Path):
    """``workbench explicit CASE --cluster tcp://...`` with NudeNet on ordinary photos."""
    import shutil

    pytest.importorskip("onnxruntime")
    root = shared_data / "faces" / "labelled" / "openface" / "images" / "examples"
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    for path in sorted(root.glob("*.jpg"))[:12]:
        shutil.copy(path, evidence)
    workbench("ingest", str(tmp_path / "local"), str(evidence), "--workers", "1", "--json")
    shutil.copytree(tmp_path / "local", tmp_path / "dask")
    workbench("explicit", str(tmp_path / "local"), "--no-progress")
    out = workbench("explicit", str(tmp_path / "dask"), "--no-progress", "--cluster",
                    dask_cluster.address)
    assert f"{len(list(evidence.iterdir()))} images scored" in out.stdout
    with Case.open(tmp_path / "local") as local, Case.open(tmp_path / "dask") as dask:
        assert len(_signals(dask)) == len(list(evidence.iterdir()))
        assert _signals(dask) == _signals(local)   # same scores, classes and boxes
        assert any(d["detections"] for *_, d in _signals(dask))   # the model really ran
