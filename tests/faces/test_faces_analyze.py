"""``workbench analyze`` on a small real case, end to end, and with the network blocked."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from workbench.faces import FaceEngine, FaceSettings, analyze_case
from workbench.ingest.images import load_rgb
from workbench.store import Case
from workbench.store.faces import analysed_evidence, load_faces

pytestmark = pytest.mark.slow

PHOTOS = {  # file -> faces HOG finds in it (see test_faces_engine)
    "deepface/img10.jpg": 1,
    "deepface/img25.jpg": 1,
    "face_recognition/examples/knn_examples/test/obama_and_biden.jpg": 3,
}

# Blocks every connection except to the local machine, in every Python process that
# starts with this folder on PYTHONPATH (the analysis workers too).
GUARD = textwrap.dedent('''
    import socket

    _connect = socket.socket.connect

    def _guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if self.family == socket.AF_UNIX or host in ("127.0.0.1", "::1", "localhost"):
            return _connect(self, address)
        raise OSError(f"network blocked by the offline test: {address!r}")

    socket.socket.connect = _guarded
    socket.socket.connect_ex = _guarded
''')


def _make_case(root: Path, shared_data: Path, video: bool = False) -> Path:
    source = root / "evidence"
    source.mkdir()
    if video:
        shutil.copy(shared_data / "video/face_recognition_short_hamilton_clip.mp4", source)
    for i, name in enumerate(PHOTOS):
        shutil.copy(shared_data / "faces/labelled" / name, source / f"{i}_{Path(name).name}")
    # the same photo twice is one evidence item
    shutil.copy(shared_data / "faces/labelled/deepface/img10.jpg", source / "copy.jpg")
    from workbench.ingest.pipeline import IngestSettings, ingest

    with Case.init(root / "case") as case:
        ingest(case, [source], IngestSettings(workers=1, progress=False))
    return root / "case"


def test_analyze_case_end_to_end_and_resume(tmp_path: Path, shared_data: Path) -> None:
    case_dir = _make_case(tmp_path, shared_data, video=True)
    with Case.open(case_dir) as case:
        frames = {e.id for e in case.iter_evidence(("video_frame",))}
    assert frames, "the ingest sampled no frame from the clip"
    settings = FaceSettings()
    summary = analyze_case(case_dir, settings, workers=2, progress=False)
    total = 3 + len(frames)
    assert summary["analysed"] == total and summary["skipped"] == 0 and not summary["errors"]
    with Case.open(case_dir) as case:
        faces = load_faces(case)
        runs = case.runs()
        assert len(analysed_evidence(case, summary["signature"])) == total
        run = case.run(summary["run_id"])
        paths = {e.id: case.pixels_path(e) for e in case.iter_evidence(("image",))}
    assert runs.set_index("id").loc[summary["run_id"], "status"] == "done"
    assert run.models["dlib_embedding"] == \
        "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30"
    on_frames = np.isin(faces.evidence_id, list(frames))
    assert on_frames.sum() >= len(frames) // 2  # one speaker in most frames of the clip
    assert (~on_frames).sum() == sum(PHOTOS.values()) == summary["faces"] - on_frames.sum()
    assert faces.run_id == summary["run_id"]
    assert all(fid == f"{e}:{fid.rsplit(':', 1)[1]}"
               for fid, e in zip(faces.data["face_id"], faces.evidence_id, strict=True))
    # what the store gives back is what the engine computes
    evidence_id = faces.evidence_id[~on_frames][0]
    direct = FaceEngine(settings).analyze_image(load_rgb(paths[evidence_id]), evidence_id)
    stored = faces[faces.evidence_id == evidence_id]
    np.testing.assert_allclose(stored.embedding, direct.embedding, atol=1e-6)
    np.testing.assert_allclose(stored.data["age"], direct.data["age"], rtol=1e-5)
    # resumable: an equivalent run has nothing left to do
    again = analyze_case(case_dir, settings, workers=2, progress=False)
    assert again["analysed"] == 0 and again["skipped"] == total and again["run_id"] is None


def test_analysis_works_with_the_network_blocked(tmp_path: Path, shared_data: Path) -> None:
    case_dir = _make_case(tmp_path, shared_data)
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(GUARD)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(guard),
                                                        os.environ.get("PYTHONPATH", "")])}
    script = textwrap.dedent(f'''
        import json, socket, sys
        try:
            socket.create_connection(("1.1.1.1", 53), timeout=2)
            sys.exit("network reachable: the guard is not active")
        except OSError:
            pass
        from workbench.cli import main
        assert main(["models", "check"]) == 0
        assert main(["analyze", {str(case_dir)!r}, "--workers", "2", "--json"]) == 0
        import numpy as np
        from workbench.ingest.images import load_rgb
        from workbench.models import deepface_environment
        rgb = load_rgb({str(shared_data / "faces/labelled/deepface/img10.jpg")!r})
        with deepface_environment():
            from deepface import DeepFace
            out = DeepFace.represent(rgb[:, :, ::-1].copy(), model_name="Dlib",
                                     detector_backend="dlib")
        print("DEEPFACE", len(out), len(out[0]["embedding"]))
    ''')
    command = [sys.executable, "-c", script]
    # A network namespace with no interfaces, where available, on top of the guard.
    for prefix in (["unshare", "-rn"], ["unshare", "-n"]):
        if shutil.which("unshare") and subprocess.run(
                [*prefix, "true"], capture_output=True, check=False).returncode == 0:
            command = [*prefix, *command]
            break
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False,
                            timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "DEEPFACE 1 128" in result.stdout
    summary = json.loads(result.stdout[result.stdout.index("{"):result.stdout.rindex("}") + 1])
    assert summary["analysed"] == 3 and summary["faces"] == sum(PHOTOS.values())
    assert "network blocked" not in result.stderr
