"""YuNet (libfacedetection) face detector, from the ``yuface`` wheel.

libfacedetection compiles its YuNet weights into ``libfacedetection.so``, so the wheel is
the model file: the pack pins that library's SHA-256 and this backend refuses to run
unless the library the process actually loads is the pinned one.

Why it is here: on the labelled photos it runs about 7x faster than dlib's HOG at
upsample 1 on one core and finds every face of 40 px and up that HOG finds, plus turned
faces HOG misses (``benchmarks/faces.py`` measures it against the prototype).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import ModelMissing
from workbench.faces.base import Detector
from workbench.faces.settings import FaceSettings

# YuNet's boxes are taller than dlib's HOG boxes (they include the forehead). dlib's
# 5-point landmark model and ResNet alignment were trained on HOG-style boxes, so each
# YuNet box is mapped to the HOG box of the same face: median offsets measured on 754
# faces matched between the two (IoU >= 0.3) on the labelled photos and 600 LFW DevTrain
# images: centre x -0.021 w, centre y +0.048 h, square side 1.135 w (= 0.857 h).
_HOG_SHIFT_X = -0.021
_HOG_SHIFT_Y = 0.048
_HOG_SIDE = 1.135

# libfacedetection is tuned for inputs of up to ~960 px; larger images are shrunk to that
# long side. Shrinking every labelled photo to 640 px still found all of HOG's true faces
# of 40 px and up; the 0.4x floor keeps a 40 px face at 16 px in very large photos.
MAX_SIDE = 960
MIN_SCALE = 0.4


def yuface_module(models_dir: str | None = None) -> Any:
    """The ``yuface`` extension, after checking its library against the pinned SHA-256.

    Args:
        models_dir: the model folder (default: ``$WORKBENCH_MODELS`` or the default).

    Raises:
        ModelMissing: the package is absent, or the library it would load differs from
            the pinned file (a tampered or different release).
    """
    from workbench.models import model_file
    from workbench.models.catalog import spec
    from workbench.models.pack import installed_member_path, sha256_file

    model = spec("yunet_libfacedetection")
    loaded = installed_member_path(model)
    if loaded is None:
        raise ModelMissing(
            f"the {model.package} package (wheels for Linux x86-64, Python 3.11 only) is not "
            "installed, so the yunet detector is unavailable; the hog detector needs nothing more",
            fix=f"pip install {model.package}=={model.version} && workbench models install")
    model_file(model.name, models_dir)  # the pack records and verifies its own copy
    if sha256_file(Path(loaded)) != model.sha256:
        raise ModelMissing(
            f"{loaded} is not the pinned {model.package}=={model.version} library "
            "(its SHA-256 differs), so its face detector is not trusted",
            fix=f"pip install --force-reinstall {model.package}=={model.version}")
    # libfacedetection parallelises with OpenMP (OMP_NUM_THREADS, read when it loads):
    # analysis workers set it to 1 so that two workers do not fight over two cores.
    import yuface.yuface as native

    return native


def detection_scale(height: int, width: int) -> float:
    """Scale at which YuNet sees an image: long side at most :data:`MAX_SIDE`, floor 0.4."""
    return min(1.0, max(MAX_SIDE / max(height, width), MIN_SCALE))


def to_hog_boxes(xywh: np.ndarray) -> np.ndarray:
    """YuNet ``x, y, w, h`` boxes -> dlib-HOG-like square ``x1, y1, x2, y2`` boxes."""
    xywh = np.asarray(xywh, dtype=np.float32).reshape(-1, 4)
    x, y, w, h = xywh.T
    cx = x + w / 2 + _HOG_SHIFT_X * w
    cy = y + h / 2 + _HOG_SHIFT_Y * h
    half = _HOG_SIDE * w / 2
    return np.stack([cx - half, cy - half, cx + half, cy + half], axis=1).astype(np.float32)


class YuNetDetector(Detector):
    """libfacedetection's YuNet CNN: fast on CPU, finds frontal and turned faces from ~20 px.

    ``settings.detector_threshold`` is its confidence cut (0-1); ``upsample`` is ignored.
    The raw confidence (0-100) is kept in ``data['detector_score']``.
    """

    name = "yunet"
    model_names = ("yunet_libfacedetection",)

    def __init__(self, settings: FaceSettings) -> None:
        super().__init__(settings)
        self._native = yuface_module(settings.models_dir)
        self.raw_scores = np.empty(0, dtype=np.float32)

    def detect(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import cv2

        h, w = rgb.shape[:2]
        scale = detection_scale(h, w)
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        if scale < 1.0:
            bgr = cv2.resize(bgr, (max(1, round(w * scale)), max(1, round(h * scale))),
                             interpolation=cv2.INTER_AREA)
        # Rows of 16: confidence (0-100), x, y, w, h, five landmark points, one spare column.
        rows = np.asarray(self._native.detect(np.ascontiguousarray(bgr)), dtype=np.float32)
        rows = rows.reshape(-1, 16)
        rows = rows[rows[:, 0] >= 100.0 * self.settings.detector_threshold]
        self.raw_scores = rows[:, 0].copy()
        xyxy = to_hog_boxes(rows[:, 1:5] / scale)
        xyxy[:, [0, 2]] = np.clip(xyxy[:, [0, 2]], -0.25 * w, 1.25 * w)
        xyxy[:, [1, 3]] = np.clip(xyxy[:, [1, 3]], -0.25 * h, 1.25 * h)
        return xyxy, (self.raw_scores / 100.0).astype(np.float32)
