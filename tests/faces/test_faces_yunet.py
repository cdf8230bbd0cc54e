"""The YuNet detector's geometry and its library check (fast: no image is analysed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from workbench.errors import ModelMissing
from workbench.faces import yunet_backend
from workbench.faces.verify import same_embedding_space


def test_boxes_become_hog_style_squares() -> None:
    # a 100 x 132 YuNet box (YuNet boxes are about 1.32 times taller than wide)
    box = yunet_backend.to_hog_boxes(np.array([[200, 100, 100, 132]]))[0]
    width, height = box[2] - box[0], box[3] - box[1]
    assert width == pytest.approx(height) == pytest.approx(113.5, abs=0.01)
    # centred slightly lower than YuNet's box (HOG boxes leave out the forehead)
    assert (box[1] + box[3]) / 2 > 100 + 132 / 2
    assert yunet_backend.to_hog_boxes(np.empty((0, 4))).shape == (0, 4)


def test_detection_scale_keeps_small_faces_visible() -> None:
    assert yunet_backend.detection_scale(480, 640) == 1.0
    assert yunet_backend.detection_scale(1080, 1920) == pytest.approx(0.5)
    # a 6000 px photo is shrunk only to 0.4x, so a 40 px face is still 16 px
    assert yunet_backend.detection_scale(4000, 6000) == pytest.approx(0.4)


def test_calibration_holds_across_detectors_not_models() -> None:
    hog = "dlib_resnet_v1/hog/dlib5pt_chip150_pad0.25"
    assert same_embedding_space(hog, "dlib_resnet_v1/yunet/dlib5pt_chip150_pad0.25")
    assert same_embedding_space(hog, hog + "+flip=1")
    assert not same_embedding_space(hog, "dlib_resnet_v2/hog/dlib5pt_chip150_pad0.25")
    assert not same_embedding_space(hog, "dlib_resnet_v1/hog/dlib5pt_chip112_pad0.25")
    assert not same_embedding_space(hog, "deepface_ArcFace/retinaface/dlib5pt_chip112_pad0.25")


def test_an_altered_detector_library_is_refused(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The library the process would load must be the pinned one, byte for byte."""
    from workbench.models import install
    from workbench.models import pack as pack_module

    models = tmp_path / "models"
    install(models, names=["yunet_libfacedetection"])
    monkeypatch.setenv("WORKBENCH_MODELS", str(models))
    real = pack_module.installed_member_path(
        pack_module.spec("yunet_libfacedetection"))
    assert real is not None
    altered = tmp_path / "libfacedetection.so.v0.0.3"
    shutil.copyfile(real, altered)
    with open(altered, "ab") as handle:
        handle.write(b"\0")
    monkeypatch.setattr(pack_module, "installed_member_path", lambda model: altered)
    with pytest.raises(ModelMissing, match="force-reinstall yuface"):
        yunet_backend.yuface_module()


def test_a_platform_without_the_detector_package_still_has_a_complete_pack(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """yuface has wheels for one platform: elsewhere the pack installs and checks without
    it, and asking for the yunet detector says what to install."""
    from workbench.models import check, install, read_manifest
    from workbench.models import pack as pack_module

    real = pack_module.installed_member_path
    monkeypatch.setattr(pack_module, "installed_member_path",
                        lambda model: None if model.package == "yuface" else real(model))
    models = tmp_path / "models"
    install(models, names=["yunet_libfacedetection", "gender"])
    assert sorted(read_manifest(models)["files"]) == ["gender"]
    assert not [p for p in check(models) if "yunet" in p]
    monkeypatch.setenv("WORKBENCH_MODELS", str(models))
    with pytest.raises(ModelMissing, match="pip install yuface"):
        yunet_backend.yuface_module()
