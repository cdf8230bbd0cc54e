"""DeepFace detectors by name (``deepface:<name>``), run offline on the pack.

DeepFace's ``dlib`` detector works from the pack alone; its other detectors need the
weights an agency imported with ``workbench models import`` (and, for RetinaFace,
TensorFlow). A detector whose weights are absent raises ``ModelMissing`` instead of
letting DeepFace try to download them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.errors import ModelMissing
from workbench.faces.base import Detector
from workbench.faces.settings import FaceSettings

# DeepFace detector name -> pack names of the weights it loads.
DETECTOR_WEIGHTS: dict[str, tuple[str, ...]] = {
    "dlib": ("dlib_landmarks_5",),
    "retinaface": ("deepface_retinaface",),
}


class DeepFaceDetector(Detector):
    """A DeepFace face detector, e.g. ``FaceSettings(detector="deepface:dlib")``."""

    name = "deepface"

    def __init__(self, settings: FaceSettings, detector: str) -> None:
        super().__init__(settings)
        from workbench.models import deepface_environment, imported_weights

        if detector not in DETECTOR_WEIGHTS:
            raise ModelMissing(
                f"DeepFace detector {detector!r} has no weights the pack can provide "
                f"(available: {sorted(DETECTOR_WEIGHTS)})", fix="workbench models import DIR")
        self.detector_name = detector
        self.model_names = DETECTOR_WEIGHTS[detector]  # type: ignore[misc]
        have = set(imported_weights(settings.models_dir))
        missing = [n for n in self.model_names if n.startswith("deepface_") and n not in have]
        if missing:
            raise ModelMissing(f"DeepFace detector {detector!r} needs {missing}",
                               fix="workbench models import DIR")
        with deepface_environment(settings.models_dir):
            from deepface.modules.modeling import build_model

            self._model: Any = build_model(task="face_detector", model_name=detector)
        self.raw_scores = np.empty(0, dtype=np.float32)

    def detect(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])  # DeepFace works in BGR
        regions = self._model.detect_faces(bgr)
        xyxy = np.array([[r.x, r.y, r.x + r.w, r.y + r.h] for r in regions],
                        dtype=np.float32).reshape(-1, 4)
        conf = np.array([r.confidence or 0.0 for r in regions], dtype=np.float32)
        self.raw_scores = conf
        return xyxy, conf
