"""dlib backends: HOG and CNN detectors, 5/68-point landmarks, chip alignment, ResNet-128.

dlib is imported inside the classes, never at module import.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from workbench.faces.base import Detector, Embedder
from workbench.faces.settings import FaceSettings
from workbench.models import model_file


def _dlib() -> Any:
    import dlib

    return dlib


def score_to_confidence(score: np.ndarray) -> np.ndarray:
    """Map dlib's unbounded detector score (0 at the threshold, ~3.5 at most) into (0, 1).

    A logistic of twice the score: 0.5 at dlib's own threshold, 0.88 at 1, 0.98 at 2.
    The raw score is kept in ``data['detector_score']``.
    """
    return (1.0 / (1.0 + np.exp(-2.0 * np.asarray(score, dtype=np.float64)))).astype(np.float32)


def rects_to_xyxy(rects: Any) -> np.ndarray:
    """dlib rectangles -> ``(n, 4)`` float32 ``x1, y1, x2, y2`` (exclusive right/bottom)."""
    return np.array([[r.left(), r.top(), r.right() + 1, r.bottom() + 1] for r in rects],
                    dtype=np.float32).reshape(-1, 4)


def xyxy_to_rect(box: np.ndarray) -> Any:
    x1, y1, x2, y2 = (int(round(float(v))) for v in box)
    return _dlib().rectangle(x1, y1, x2 - 1, y2 - 1)


class HogDetector(Detector):
    """dlib's frontal HOG + linear SVM detector (CPU-fast, frontal faces, ~40 px with upsample 1)."""

    name = "hog"

    def __init__(self, settings: FaceSettings) -> None:
        super().__init__(settings)
        self._detector = _dlib().get_frontal_face_detector()
        self.raw_scores = np.empty(0, dtype=np.float32)

    def detect(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        image = rgb
        if self.settings.hog_gray:
            import cv2

            # dlib's HOG takes the strongest gradient of the three channels; one grey
            # channel costs a third of the gradient work.
            image = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        rects, scores, _ = self._detector.run(image, int(self.settings.upsample), 0.0)
        self.raw_scores = np.asarray(scores, dtype=np.float32)
        return rects_to_xyxy(rects), score_to_confidence(self.raw_scores)


class CnnDetector(Detector):
    """dlib's MMOD CNN detector: finds turned and small faces HOG misses; slow on CPU."""

    name = "cnn"
    model_names = ("dlib_cnn_detector",)

    def __init__(self, settings: FaceSettings) -> None:
        super().__init__(settings)
        path = model_file("dlib_cnn_detector", settings.models_dir)
        self._detector = _dlib().cnn_face_detection_model_v1(str(path))
        self.raw_scores = np.empty(0, dtype=np.float32)

    def detect(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        found = self._detector(rgb, int(self.settings.upsample))
        self.raw_scores = np.array([d.confidence for d in found], dtype=np.float32)
        return rects_to_xyxy([d.rect for d in found]), score_to_confidence(self.raw_scores)


class Landmarks:
    """dlib shape predictors: five points for alignment, optionally the 68 iBUG points."""

    def __init__(self, settings: FaceSettings) -> None:
        dlib = _dlib()
        self.settings = settings
        self.model_names: tuple[str, ...] = ("dlib_landmarks_5",)
        self._sp5 = dlib.shape_predictor(str(model_file("dlib_landmarks_5", settings.models_dir)))
        self._sp68 = None
        if settings.landmarks == 68:
            self.model_names += ("dlib_landmarks_68",)
            self._sp68 = dlib.shape_predictor(
                str(model_file("dlib_landmarks_68", settings.models_dir)))

    def shapes(self, rgb: np.ndarray, xyxy: np.ndarray) -> tuple[list[Any], np.ndarray]:
        """Five-point shapes (dlib objects, for alignment) and reported points ``(n, k, 2)``."""
        shapes5, points = [], []
        for box in xyxy:
            rect = xyxy_to_rect(box)
            shape5 = self._sp5(rgb, rect)
            shapes5.append(shape5)
            shape = self._sp68(rgb, rect) if self._sp68 is not None else shape5
            points.append([(p.x, p.y) for p in shape.parts()])
        k = 68 if self._sp68 is not None else 5
        return shapes5, np.asarray(points, dtype=np.float32).reshape(-1, k, 2)


def align(rgb: np.ndarray, shapes5: list[Any], size: int = 150, padding: float = 0.25
          ) -> np.ndarray:
    """dlib face chips (similarity transform from the five points): ``(n, size, size, 3)``."""
    dlib = _dlib()
    if not shapes5:
        return np.empty((0, size, size, 3), dtype=np.uint8)
    chips = dlib.get_face_chips(rgb, dlib.full_object_detections(shapes5), size, padding)
    return np.stack([np.asarray(c, dtype=np.uint8) for c in chips])


class DlibResNet(Embedder):
    """dlib's ResNet-34 face descriptor (128-D), on 150 px chips with 25 % padding."""

    name = "dlib_resnet"
    model_names = ("dlib_embedding",)
    chip_size: ClassVar[int] = 150
    chip_padding: ClassVar[float] = 0.25
    key = "dlib_resnet_v1"

    def __init__(self, settings: FaceSettings) -> None:
        super().__init__(settings)
        path = model_file("dlib_embedding", settings.models_dir)
        self._model = _dlib().face_recognition_model_v1(str(path))

    def embed(self, chips: np.ndarray) -> np.ndarray:
        chips = np.ascontiguousarray(chips, dtype=np.uint8)
        if len(chips) == 0:
            return np.empty((0, 128), dtype=np.float32)
        jitters = int(self.settings.jitters)
        vectors = self._descriptors(chips, jitters)
        if self.settings.flip:
            # The mirror image is another view of the same face; averaging the two
            # descriptors cancels part of the pose and lighting asymmetry.
            vectors = vectors + self._descriptors(np.ascontiguousarray(chips[:, :, ::-1]), jitters)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)

    def _descriptors(self, chips: np.ndarray, jitters: int) -> np.ndarray:
        batch = [np.ascontiguousarray(c) for c in chips]
        if jitters > 0:
            # dlib's batch call has no jitter argument; one call per chip with jitter.
            out = [self._model.compute_face_descriptor(c, jitters) for c in batch]
        else:
            out = self._model.compute_face_descriptor(batch)
        return np.asarray([np.asarray(v) for v in out], dtype=np.float64)
