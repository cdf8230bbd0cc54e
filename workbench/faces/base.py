"""A base class per model family and a name -> class registry (as DeepFace does).

Families: ``detector`` (image -> boxes), ``embedder`` (aligned chips -> vectors),
``age_gender`` (image + 5-point shapes -> distributions), ``emotion`` (image + boxes ->
7 probabilities). A backend registers itself with :func:`register`; the engine builds
backends by name with :func:`build`, so a test can register a fake.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np

from workbench.errors import WorkbenchError
from workbench.faces.settings import FaceSettings

FAMILIES = ("detector", "embedder", "age_gender", "emotion")
_REGISTRY: dict[str, dict[str, type[Backend]]] = {family: {} for family in FAMILIES}


class UnknownBackend(WorkbenchError):
    """A model name that no backend of that family registered."""


class BackendUnavailable(WorkbenchError):
    """A backend needs a library that is not installed (e.g. TensorFlow for RetinaFace)."""


class Backend:
    """Something that loads model files once and runs them many times.

    Attributes:
        family: one of :data:`FAMILIES`.
        name: registry name.
        model_names: pack names of the files it loads (recorded in the Run).
    """

    family: ClassVar[str] = ""
    name: ClassVar[str] = ""
    model_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, settings: FaceSettings) -> None:
        self.settings = settings

    def models(self) -> Mapping[str, str]:
        """Pack name -> SHA-256 of each file this backend uses (verified)."""
        from workbench.models import model_digest

        return {name: model_digest(name, self.settings.models_dir) for name in self.model_names}


class Detector(Backend, ABC):
    """Finds faces: returns ``(xyxy (n, 4) float32, confidence (n,) float32 in [0, 1])``."""

    family = "detector"

    @abstractmethod
    def detect(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Boxes and confidences of the faces in an RGB uint8 image."""


class Embedder(Backend, ABC):
    """Turns aligned chips into L2-normalised vectors."""

    family = "embedder"
    chip_size: ClassVar[int] = 150
    chip_padding: ClassVar[float] = 0.25
    key: ClassVar[str] = ""

    @abstractmethod
    def embed(self, chips: np.ndarray) -> np.ndarray:
        """``(n, s, s, 3)`` uint8 RGB chips -> ``(n, d)`` float32 unit vectors."""


class AgeGender(Backend, ABC):
    """Age distribution and gender probabilities from the image and 5-point shapes."""

    family = "age_gender"

    @abstractmethod
    def predict(self, rgb: np.ndarray, shapes: list[Any]) -> dict[str, np.ndarray]:
        """Columns ``age``, ``age_std``, ``age_low``, ``age_high`` (80 % interval), ``p_minor``,
        ``gender``, ``gender_confidence``."""


class Emotion(Backend, ABC):
    """Seven emotion probabilities per face box."""

    family = "emotion"

    @abstractmethod
    def predict(self, rgb: np.ndarray, xyxy: np.ndarray) -> np.ndarray:
        """``(n, 7)`` probabilities in the order of ``settings.EMOTIONS``, rows sum to 1."""


def register(cls: type[Backend]) -> type[Backend]:
    """Class decorator: make ``cls`` buildable by its family and name."""
    _REGISTRY[cls.family][cls.name] = cls
    return cls


def names(family: str) -> list[str]:
    """Registered names of a family (importing the built-in backends first)."""
    _load_builtin()
    return sorted(_REGISTRY[family])


def model_names(family: str, name: str) -> tuple[str, ...]:
    """Pack names of the files a backend loads, without building it."""
    _load_builtin()
    if name.startswith("deepface:") and family == "detector":
        from workbench.faces.deepface_backend import DETECTOR_WEIGHTS

        return DETECTOR_WEIGHTS.get(name.split(":", 1)[1], ())
    if name.startswith("deepface:") and family == "embedder":
        from workbench.faces.deepface_backend import EMBEDDER_WEIGHTS

        entry = EMBEDDER_WEIGHTS.get(name.split(":", 1)[1])
        return (entry[0],) if entry else ()
    if name not in _REGISTRY[family]:
        raise UnknownBackend(f"no {family} called {name!r}; available: {sorted(_REGISTRY[family])}")
    return _REGISTRY[family][name].model_names


def backend_class(family: str, name: str) -> type[Backend]:
    """The class registered as ``name`` in ``family``."""
    _load_builtin()
    try:
        return _REGISTRY[family][name]
    except KeyError:
        raise UnknownBackend(
            f"no {family} called {name!r}; available: {sorted(_REGISTRY[family])}") from None


def build(family: str, name: str, settings: FaceSettings) -> Backend:
    """An instance of the backend registered as ``name`` in ``family``."""
    _load_builtin()
    if name.startswith("deepface:") and family == "detector":
        from workbench.faces.deepface_backend import DeepFaceDetector

        return DeepFaceDetector(settings, name.split(":", 1)[1])
    if name.startswith("deepface:") and family == "embedder":
        from workbench.faces.deepface_backend import DeepFaceEmbedder

        return DeepFaceEmbedder(settings, name.split(":", 1)[1])
    try:
        cls = _REGISTRY[family][name]
    except KeyError:
        raise UnknownBackend(
            f"no {family} called {name!r}; available: {sorted(_REGISTRY[family])}"
            + (" or deepface:<detector>" if family == "detector" else "")) from None
    return cls(settings)


_loaders: list[Callable[[], Any]] = []


def _load_builtin() -> None:
    # Importing the modules runs their @register decorators; done lazily, never on import.
    if not _loaders:
        from workbench.faces import attributes, dlib_backend, yunet_backend  # noqa: F401

        _loaders.append(lambda: None)
