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
from workbench.faces.base import BackendUnavailable, Detector, Embedder
from workbench.faces.settings import FaceSettings

# DeepFace recognition model -> (pack name of its weights, chip size handed to it).
EMBEDDER_WEIGHTS: dict[str, tuple[str, int]] = {
    "Dlib": ("dlib_embedding", 150),
    "VGG-Face": ("deepface_vgg_face", 224),
    "Facenet": ("deepface_facenet", 160),
    "Facenet512": ("deepface_facenet512", 160),
    "ArcFace": ("deepface_arcface", 112),
    "SFace": ("deepface_sface", 112),
}

# DeepFace detector name -> pack names of the weights it loads.
DETECTOR_WEIGHTS: dict[str, tuple[str, ...]] = {
    "dlib": ("dlib_landmarks_5",),
    "retinaface": ("deepface_retinaface",),
}


class DeepFaceDetector(Detector):
    """A DeepFace face detector, e.g. ``FaceSettings(detector="deepface:dlib")``."""

    name = "deepface"
    takes_variant = True

    @classmethod
    def files_for(cls, variant: str | None) -> tuple[str, ...]:
        return DETECTOR_WEIGHTS.get(variant or "", ())

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

            try:
                self._model: Any = build_model(task="face_detector", model_name=detector)
            except ImportError as error:
                raise BackendUnavailable(
                    f"DeepFace detector {detector!r} needs {error.name or error}, which is not "
                    "installed; use the default `hog` detector or install it") from error
        self.raw_scores = np.empty(0, dtype=np.float32)

    def detect(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])  # DeepFace works in BGR
        regions = self._model.detect_faces(bgr)
        xyxy = np.array([[r.x, r.y, r.x + r.w, r.y + r.h] for r in regions],
                        dtype=np.float32).reshape(-1, 4)
        conf = np.array([r.confidence or 0.0 for r in regions], dtype=np.float32)
        self.raw_scores = conf
        return xyxy, conf


class DeepFaceEmbedder(Embedder):
    """A DeepFace recognition model on the engine's aligned chips (``deepface:<Model>``).

    The chip goes to ``DeepFace.represent(..., detector_backend="skip")``, so DeepFace
    applies its own resizing and normalisation for the model. Embeddings live in their
    own space (``embedding_key`` starts with ``deepface_<Model>``).
    """

    name = "deepface"
    takes_variant = True

    @classmethod
    def files_for(cls, variant: str | None) -> tuple[str, ...]:
        entry = EMBEDDER_WEIGHTS.get(variant or "")
        return (entry[0],) if entry else ()

    @classmethod
    def chip_spec(cls, variant: str | None) -> tuple[str, int, float]:
        return f"deepface_{variant}", EMBEDDER_WEIGHTS.get(variant or "", ("", 0))[1], 0.25

    def __init__(self, settings: FaceSettings, model: str) -> None:
        super().__init__(settings)
        from workbench.models import imported_weights

        if model not in EMBEDDER_WEIGHTS:
            raise ModelMissing(f"DeepFace model {model!r} is not supported offline "
                               f"(supported: {sorted(EMBEDDER_WEIGHTS)})",
                               fix="workbench models import DIR")
        weight, size = EMBEDDER_WEIGHTS[model]
        if weight.startswith("deepface_") and weight not in imported_weights(settings.models_dir):
            raise ModelMissing(f"DeepFace model {model!r} needs its weights ({weight})",
                               fix="workbench models import DIR")
        self.model = model
        self.model_names = (weight,)  # type: ignore[misc]
        self.chip_size = size  # type: ignore[misc]
        self.key = f"deepface_{model}"  # type: ignore[misc]

    def embed(self, chips: np.ndarray) -> np.ndarray:
        from workbench.models import deepface_environment

        out = []
        with deepface_environment(self.settings.models_dir):
            from deepface import DeepFace

            for chip in chips:
                found = DeepFace.represent(np.ascontiguousarray(chip[:, :, ::-1]),
                                           model_name=self.model, detector_backend="skip")
                out.append(np.asarray(found[0]["embedding"], dtype=np.float64))
        vectors = np.asarray(out, dtype=np.float64).reshape(len(chips), -1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
