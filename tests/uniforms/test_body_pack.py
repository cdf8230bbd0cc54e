"""The body models of the pack: pinned files out of the mediapipe wheel, never installed."""

from __future__ import annotations

import importlib.util
import shutil
import zipfile
from pathlib import Path

import pytest

from workbench.models import MODELS, check, install, models_dir, read_manifest, sha256_file
from workbench.models.pack import ModelInstallError
from workbench.uniforms.body import MODEL_NAMES

WHEEL = "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"


def test_registry_pins_the_three_files_of_one_wheel() -> None:
    specs = [MODELS[n] for n in MODEL_NAMES]
    assert {s.package for s in specs} == {"mediapipe"} and {s.version for s in specs} == {"0.10.21"}
    assert all(s.source == "wheel" and len(s.sha256) == 64 for s in specs)
    assert {s.member.rsplit("/", 1)[1] for s in specs} == {
        "selfie_segmentation.tflite", "pose_detection.tflite", "pose_landmark_full.tflite"}
    # asked for by its tags, whatever machine runs pip
    assert specs[0].download_args() == ["--python-version", "3.11", "--platform",
                                        "manylinux_2_28_x86_64", "--implementation", "cp"]
    assert importlib.util.find_spec("mediapipe") is None     # never installed


def test_a_wheel_with_other_bytes_is_refused(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    with zipfile.ZipFile(wheels / WHEEL, "w") as archive:
        archive.writestr(MODELS["person_mask"].member, b"not the pinned model")
    with pytest.raises(ModelInstallError, match="expected"):
        install(tmp_path / "pack", names=["person_mask"], wheels=wheels)
    assert not (tmp_path / "pack" / MODELS["person_mask"].filename).exists()


def test_a_wheel_for_another_platform_is_not_taken(tmp_path: Path, monkeypatch) -> None:
    """Only the pinned tag is looked for in the wheel folder (then pip is asked for it)."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    other = "mediapipe-0.10.21-cp311-cp311-macosx_11_0_universal2.whl"
    with zipfile.ZipFile(wheels / other, "w") as archive:
        archive.writestr(MODELS["person_mask"].member, b"x")
    monkeypatch.setenv("PIP_NO_INDEX", "1")              # no network: pip must fail
    with pytest.raises(ModelInstallError, match="could not download"):
        install(tmp_path / "pack", names=["person_mask"], wheels=wheels)


@pytest.mark.slow
def test_install_from_the_cached_wheel_and_check(tmp_path: Path) -> None:
    cached = models_dir() / ".wheels" / WHEEL     # left there by `workbench models install`
    if not cached.is_file():
        pytest.skip(f"{cached} not downloaded yet: run `workbench models install`")
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    shutil.copy(cached, wheels)
    install(tmp_path / "pack", names=list(MODEL_NAMES), wheels=wheels)
    files = read_manifest(tmp_path / "pack")["files"]
    for name in MODEL_NAMES:
        assert sha256_file(tmp_path / "pack" / files[name]["file"]) == MODELS[name].sha256
    problems = check(tmp_path / "pack")
    assert not [p for p in problems if any(p.startswith(n + ":") for n in MODEL_NAMES)]
