"""A base class per model family, and the backends listed by name as data.

Families: ``detector`` (image -> boxes), ``embedder`` (aligned chips -> vectors),
``age_gender`` (image + 5-point shapes -> distributions), ``emotion`` (image + boxes ->
7 probabilities). :data:`BACKENDS` names every built-in backend as ``"module:Class"``,
imported only when built. A name may carry a variant after a colon (``deepface:ArcFace``):
:func:`parse_name` splits it, and the class (one that takes variants) is built with it.
The engine builds backends by name with :func:`build`; a test can :func:`register` a fake.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from workbench.errors import WorkbenchError
from workbench.faces.settings import FaceSettings

FAMILIES = ("detector", "embedder", "age_gender", "emotion")
# Every built-in backend: family -> name -> "module:Class" (imported when first built).
BACKENDS: dict[str, dict[str, str]] = {
    "detector": {
        "hog": "workbench.faces.dlib_backend:HogDetector",
        "cnn": "workbench.faces.dlib_backend:CnnDetector",
        "yunet": "workbench.faces.yunet_backend:YuNetDetector",
        "deepface": "workbench.faces.deepface_backend:DeepFaceDetector",  # deepface:<name>
    },
    "embedder": {
        "dlib_resnet": "workbench.faces.dlib_backend:DlibResNet",
        "deepface": "workbench.faces.deepface_backend:DeepFaceEmbedder",  # deepface:<Model>
    },
    "age_gender": {"dlib_age_gender": "workbench.faces.attributes:DlibAgeGender"},
    "emotion": {"fer": "workbench.faces.attributes:FerEmotion"},
}
# Backends registered at run time (tests' fakes); they win over the built-in list.
_REGISTRY: dict[str, dict[str, type[Backend]]] = {family: {} for family in FAMILIES}


class UnknownBackend(WorkbenchError):
    """A model name that no backend of that family registered."""


class BackendUnavailable(WorkbenchError):
    """A backend needs a library that is not installed (e.g. TensorFlow for RetinaFace)."""


class Backend:
    """Something that loads model files once and runs them many times.

    Attributes:
        family: one of :data:`FAMILIES`.
        name: its name in :data:`BACKENDS`.
        model_names: pack names of the files it loads (recorded in the Run).
        takes_variant: built as ``cls(settings, variant)`` from ``name:variant`` (and
            only so); others are built as ``cls(settings)``.
    """

    family: ClassVar[str] = ""
    name: ClassVar[str] = ""
    model_names: ClassVar[tuple[str, ...]] = ()
    takes_variant: ClassVar[bool] = False

    @classmethod
    def files_for(cls, variant: str | None) -> tuple[str, ...]:
        """Pack names of the files this backend loads for ``variant`` (without building)."""
        return cls.model_names

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

    @classmethod
    def chip_spec(cls, variant: str | None) -> tuple[str, int, float]:
        """``(key, chip size, chip padding)`` of the embeddings (the embedding key's parts)."""
        return cls.key, cls.chip_size, cls.chip_padding

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
    """Class decorator: make ``cls`` buildable by its family and name (tests' fakes)."""
    _REGISTRY[cls.family][cls.name] = cls
    return cls


def parse_name(name: str) -> tuple[str, str | None]:
    """``"deepface:ArcFace"`` -> ``("deepface", "ArcFace")``; ``"hog"`` -> ``("hog", None)``."""
    base, sep, variant = name.partition(":")
    return base, (variant if sep else None)


def names(family: str) -> list[str]:
    """Names of a family's backends (``deepface:<name>`` for one that takes a variant)."""
    found = set(_REGISTRY[family]) | set(BACKENDS[family])
    return sorted(f"{n}:<name>" if backend_class(family, n).takes_variant else n for n in found)


def model_names(family: str, name: str) -> tuple[str, ...]:
    """Pack names of the files a backend loads, without building it."""
    base, variant = parse_name(name)
    return _checked(family, name, backend_class(family, base), variant).files_for(variant)


def backend_class(family: str, name: str) -> type[Backend]:
    """The class of backend ``name`` (a variant after ``:`` is ignored) in ``family``."""
    base, _ = parse_name(name)
    if base in _REGISTRY[family]:
        return _REGISTRY[family][base]
    target = BACKENDS[family].get(base)
    if target is None:
        hint = " or deepface:<detector>" if family == "detector" else ""
        raise UnknownBackend(f"no {family} called {name!r}; available: "
                             f"{sorted(set(_REGISTRY[family]) | set(BACKENDS[family]))}{hint}")
    module, _, cls = target.partition(":")
    return getattr(importlib.import_module(module), cls)


def build(family: str, name: str, settings: FaceSettings) -> Backend:
    """An instance of backend ``name`` of ``family`` (``name:variant`` for variants)."""
    base, variant = parse_name(name)
    cls = _checked(family, name, backend_class(family, base), variant)
    return cls(settings, variant) if variant is not None else cls(settings)  # type: ignore[call-arg]


def _checked(family: str, name: str, cls: type[Backend], variant: str | None
             ) -> type[Backend]:
    if cls.takes_variant != (variant is not None):
        form = f"{cls.name or parse_name(name)[0]}:<name>" if cls.takes_variant else \
            parse_name(name)[0]
        raise UnknownBackend(f"no {family} called {name!r}; write it as {form}")
    return cls
