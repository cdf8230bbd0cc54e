"""Explicit-content triage with NudeNet's detector (``320n.onnx``), run offline.

The model is a YOLOv8n detector of 18 body-part classes. It is run here with onnxruntime
directly (the ``nudenet`` package would pull in a second OpenCV). An image's explicit score
is the highest detection score among the *exposed* classes in :data:`EXPLICIT_CLASSES`.

The scoring logic takes detector outputs, so it is tested with synthetic detections: no
explicit imagery exists in this project, and none may be added.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import ModelMissing, WorkbenchError

INPUT_SIZE = 320
MIN_SCORE = 0.2          # NudeNet keeps candidates from this score
NMS_IOU = 0.45
SIGNAL = "explicit"

# Class order of NudeNet 3.4's 320n.onnx (also in the model's metadata, which is preferred).
LABELS: tuple[str, ...] = (
    "FEMALE_GENITALIA_COVERED", "FACE_FEMALE", "BUTTOCKS_EXPOSED", "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED", "MALE_BREAST_EXPOSED", "ANUS_EXPOSED", "FEET_EXPOSED",
    "BELLY_COVERED", "FEET_COVERED", "ARMPITS_COVERED", "ARMPITS_EXPOSED", "FACE_MALE",
    "BELLY_EXPOSED", "MALE_GENITALIA_EXPOSED", "ANUS_COVERED", "FEMALE_BREAST_COVERED",
    "BUTTOCKS_COVERED",
)
EXPLICIT_CLASSES: frozenset[str] = frozenset({
    "FEMALE_GENITALIA_EXPOSED", "MALE_GENITALIA_EXPOSED", "FEMALE_BREAST_EXPOSED",
    "BUTTOCKS_EXPOSED", "ANUS_EXPOSED",
})


class ExplicitError(WorkbenchError):
    """The explicit-content detector could not run on an input."""


@dataclass(frozen=True)
class Detection:
    """One detector box: class label, score and ``(x, y, w, h)`` in image pixels."""

    label: str
    score: float
    box: tuple[float, float, float, float]

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "score": round(self.score, 4),
                "box": [round(v, 1) for v in self.box]}


def explicit_score(detections: Iterable[Detection],
                   classes: frozenset[str] = EXPLICIT_CLASSES) -> tuple[float, str | None]:
    """Image-level score: the best detection among explicit classes, and its class.

    Example:
        >>> explicit_score([Detection("FACE_FEMALE", 0.9, (0, 0, 9, 9))])
        (0.0, None)
    """
    best, label = 0.0, None
    for det in detections:
        if det.label in classes and det.score > best:
            best, label = float(det.score), det.label
    return best, label


def decode(output: np.ndarray, scale: float, labels: Sequence[str] = LABELS,
           min_score: float = MIN_SCORE, iou: float = NMS_IOU) -> list[Detection]:
    """Turn the raw YOLOv8 output ``(1, 4 + classes, anchors)`` into detections.

    Args:
        output: the model output for one image.
        scale: original pixels per model pixel (longest side / input size).
        labels: class names in model order.
        min_score: drop candidates below this class score.
        iou: overlap above which a weaker box is suppressed (class-agnostic, as NudeNet).
    """
    rows = np.asarray(output, dtype=np.float32).reshape(4 + len(labels), -1).T
    if rows.size == 0:
        return []
    class_scores = rows[:, 4:]
    cls = class_scores.argmax(axis=1)
    score = class_scores[np.arange(len(rows)), cls]
    keep = score >= min_score
    rows, cls, score = rows[keep], cls[keep], score[keep]
    cx, cy, w, h = (rows[:, i] * scale for i in range(4))
    boxes = np.stack([cx - w / 2, cy - h / 2, w, h], axis=1)
    chosen = _nms(boxes, score, iou)
    return [Detection(labels[int(cls[i])], float(score[i]), tuple(float(v) for v in boxes[i]))
            for i in chosen]


def _nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> list[int]:
    """Greedy non-maximum suppression over ``(x, y, w, h)`` boxes; indices kept, best first."""
    order = list(np.argsort(-scores, kind="stable"))
    x1, y1 = boxes[:, 0], boxes[:, 1]
    x2, y2 = x1 + boxes[:, 2], y1 + boxes[:, 3]
    area = np.clip(boxes[:, 2], 0, None) * np.clip(boxes[:, 3], 0, None)
    kept: list[int] = []
    while order:
        i = order.pop(0)
        kept.append(int(i))
        if not order:
            break
        rest = np.array(order)
        inter = (np.clip(np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]), 0, None)
                 * np.clip(np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]), 0, None))
        overlap = inter / np.maximum(area[i] + area[rest] - inter, 1e-9)
        order = [int(j) for j, o in zip(rest, overlap, strict=True) if o <= iou]
    return kept


def preprocess(image: Any, size: int = INPUT_SIZE) -> tuple[np.ndarray, float]:
    """Pad to a square (bottom/right, black), resize, scale to [0, 1], NCHW RGB.

    Returns:
        The input tensor and the scale from model pixels back to image pixels.
    """
    from PIL import Image

    if isinstance(image, (str, os.PathLike)):
        from workbench.ingest.images import load_rgb

        picture = Image.fromarray(load_rgb(image))
    elif isinstance(image, np.ndarray):
        picture = Image.fromarray(image.astype(np.uint8)).convert("RGB")
    else:
        picture = image.convert("RGB")
    import cv2

    side = max(picture.size)
    square = np.zeros((side, side, 3), dtype=np.uint8)
    pixels = np.asarray(picture)
    square[: pixels.shape[0], : pixels.shape[1]] = pixels
    # cv2's plain bilinear resize (no antialiasing) is what the detector was trained with.
    resized = cv2.resize(square, (size, size), interpolation=cv2.INTER_LINEAR)
    tensor = resized.astype(np.float32).transpose(2, 0, 1)[None] / 255.0
    return np.ascontiguousarray(tensor), side / size


class ExplicitDetector:
    """NudeNet's ``320n.onnx`` on onnxruntime (CPU), loaded on first use.

    Args:
        model_path: the ONNX file; default: the verified copy in the model pack.
        threads: intra-op threads (keep low on shared 2-core machines).
    """

    def __init__(self, model_path: str | Path | None = None, threads: int = 1) -> None:
        self.model_path = Path(model_path) if model_path else None
        self.threads = threads
        self._session: Any = None
        self.labels: tuple[str, ...] = LABELS

    def __getstate__(self) -> dict[str, Any]:
        # Sent to Dask workers without the open session (not picklable); each worker process
        # opens its own on first use.
        return {**self.__dict__, "_session": None}

    @property
    def name(self) -> str:
        return "nudenet-320n"

    def load(self) -> Any:
        """Open the model (once); raises ``ModelMissing`` when it is absent or altered."""
        if self._session is None:
            import onnxruntime as ort

            path = self.model_path or _pack_model()
            if not Path(path).is_file():
                raise ModelMissing(f"explicit-content model not found at {path}")
            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            self._session = ort.InferenceSession(str(path), options,
                                                 providers=["CPUExecutionProvider"])
            names = self._session.get_modelmeta().custom_metadata_map.get("names")
            if names:
                mapping = ast.literal_eval(names)  # a dict literal; literal_eval runs no code
                self.labels = tuple(mapping[i] for i in sorted(mapping))
        return self._session

    def detect(self, image: Any) -> list[Detection]:
        """Detections in one image (a path, PIL image or RGB array)."""
        session = self.load()
        tensor, scale = preprocess(image)
        output = session.run(None, {session.get_inputs()[0].name: tensor})[0]
        return decode(output[0], scale, self.labels)

    def version(self) -> str:
        """``sha256:<hex>`` of the model file, for the run record."""
        if self.model_path is None:
            from workbench.models import model_digest

            return f"sha256:{model_digest('nudenet')}"
        import hashlib

        return f"sha256:{hashlib.sha256(self.model_path.read_bytes()).hexdigest()}"

    def score(self, image: Any) -> tuple[float, str | None, list[Detection]]:
        """The image's explicit score, its top explicit class, and all detections."""
        detections = self.detect(image)
        value, label = explicit_score(detections)
        return value, label, detections


def _pack_model() -> Path:
    """The verified nudenet model from the model pack."""
    from workbench.models import model_file

    return model_file("nudenet")
