"""The face engine: detect, landmark, align, embed, estimate age/gender/emotion, score quality.

Example:
    >>> from workbench.faces import FaceEngine, FaceSettings          # doctest: +SKIP
    >>> engine = FaceEngine(FaceSettings(detector="hog"))             # doctest: +SKIP
    >>> faces = engine.analyze_image(rgb, evidence_id=sha)            # doctest: +SKIP
    >>> faces.data["age"], faces.data["p_minor"], faces.embedding.shape  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

from workbench.errors import ModelMissing, ValidationError
from workbench.faces.age_model import AgeHead
from workbench.faces.base import BackendUnavailable, Detector, Embedder, build
from workbench.faces.settings import EMOTIONS, FaceSettings
from workbench.types import Faces, Run

ENGINE_VERSION = "1"


class FaceEngine:
    """Loads its models once (lazily) and analyses images into :class:`Faces`.

    One engine per process: build it in each worker, not in the parent.

    Attributes:
        settings: what the engine does (recorded in every Run).
        run: the :class:`Run` record the engine's results carry (``run.id`` is the
            ``run_id`` of every ``Faces`` it returns unless another is given).
    """

    def __init__(self, settings: FaceSettings | None = None) -> None:
        self.settings = settings or FaceSettings()
        self._parts: dict[str, Any] = {}
        self._run: Run | None = None
        self.last_detector = ""

    # -- the models, built on first use ------------------------------------------------

    def _part(self, key: str) -> Any:
        if key not in self._parts:
            s = self.settings
            if key == "landmarks":
                from workbench.faces.dlib_backend import Landmarks

                self._parts[key] = Landmarks(s)
            elif key == "detector":
                self._parts[key] = build("detector", s.detector, s)
            elif key == "embedder":
                self._parts[key] = build("embedder", s.embedder, s)
            elif key == "age_gender":
                self._parts[key] = build("age_gender", s.age_gender, s)
            elif key == "emotion":
                self._parts[key] = build("emotion", s.emotion, s)
        return self._parts[key]

    @property
    def age_head(self) -> AgeHead | None:
        """The calibrated age head, or None when the engine's embedder is not the one it
        was fitted on (then the age network's own summary is reported)."""
        if not self.settings.age_head:
            return None
        if "age_head" not in self._parts:
            from workbench.faces.age_model import AgeHead

            head = AgeHead.load()
            self._parts["age_head"] = head if head.accepts(self.embedding_key) else None
        return self._parts["age_head"]

    @property
    def detector(self) -> Detector:
        return self._part("detector")

    @property
    def embedder(self) -> Embedder:
        return self._part("embedder")

    def load(self) -> FaceEngine:
        """Load every model now (workers call this once at start-up)."""
        for key in ("detector", "landmarks", "embedder"):
            self._part(key)
        if self.settings.attributes:
            self._part("age_gender")
            self._part("emotion")
        return self

    # -- identity of the results -------------------------------------------------------

    @property
    def embedding_key(self) -> str:
        """Model + detector + alignment: embeddings compare only within one key."""
        from workbench.faces.base import backend_class, parse_name

        name, variant = parse_name(self.settings.embedder)
        key, size, pad = backend_class("embedder", name).chip_spec(variant)  # type: ignore[attr-defined]
        return f"{key}/{self.settings.detector}/dlib5pt_chip{size}_pad{pad:g}"

    def model_names(self) -> list[str]:
        """Pack names of every model file the engine's settings use (nothing is loaded)."""
        from workbench.faces.base import model_names

        s = self.settings
        names = list(model_names("detector", s.detector))
        if self.second_detector is not None:
            names += model_names("detector", s.second_detector or "")
        names += ["dlib_landmarks_5"] + (["dlib_landmarks_68"] if s.landmarks == 68 else [])
        names += model_names("embedder", s.embedder)
        if s.attributes:
            names += model_names("age_gender", s.age_gender)
            names += model_names("emotion", s.emotion)
        return sorted(set(names))

    def models(self) -> dict[str, str]:
        """Every model file in use, pack name -> SHA-256 (verified, not loaded)."""
        from workbench.models import model_digest

        return {n: model_digest(n, self.settings.models_dir) for n in self.model_names()}

    def age_head_digest(self) -> str:
        """SHA-256 of the age head file in use ('' without attributes or without a head)."""
        if not self.settings.attributes or self.age_head is None:
            return ""
        return self.age_head.sha256

    def signature(self) -> str:
        """Hash of models and settings: two runs with the same signature are equivalent."""
        payload = {"engine": ENGINE_VERSION, "models": self.models(),
                   "age_head": self.age_head_digest(),
                   "settings": self.settings.as_params(), "key": self.embedding_key}
        payload["settings"].pop("models_dir", None)
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    def new_run(self, **params: Any) -> Run:
        """A fresh :class:`Run` for a batch of analyses (models with SHA-256s, settings)."""
        import dlib

        models = {**self.models(), "dlib": str(dlib.__version__)}
        if self.age_head_digest():
            models["age_head"] = self.age_head_digest()
        self._run = Run.start("faces", models=models, params={
            **self.settings.as_params(), "embedding_key": self.embedding_key,
            "signature": self.signature(), "engine_version": ENGINE_VERSION,
            "second_detector_available": self.second_detector is not None, **params})
        return self._run

    @property
    def run(self) -> Run:
        return self._run or self.new_run()

    # -- the steps --------------------------------------------------------------------

    def detect(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Boxes, confidences and raw detector scores (NaN for a central fallback).

        :attr:`last_detector` says which detector found them.
        """
        rgb = _check_rgb(rgb)
        xyxy, conf, raw = self._detect_with(self.detector, rgb)
        self.last_detector = self.settings.detector
        second = self.second_detector if len(xyxy) == 0 else None
        if second is not None:
            xyxy, conf, raw = self._detect_with(second, rgb)
            self.last_detector = self.settings.second_detector or ""
        fraction = self.settings.fallback_center
        if len(xyxy) == 0 and fraction:
            h, w = rgb.shape[:2]
            side = fraction * min(h, w)
            cx, cy = w / 2.0, h / 2.0
            xyxy = np.array([[cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2]],
                            dtype=np.float32)
            conf, raw = np.zeros(1, np.float32), np.full(1, np.nan, np.float32)
            self.last_detector = "center"
        return xyxy, conf, raw

    def _detect_with(self, detector: Detector, rgb: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        xyxy, conf = detector.detect(rgb)
        raw = getattr(detector, "raw_scores", conf)
        raw = np.asarray(raw, dtype=np.float32) if len(raw) == len(conf) else conf
        keep = np.minimum(xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]) >= self.settings.min_face
        return xyxy[keep], conf[keep], raw[keep]

    @property
    def second_detector(self) -> Detector | None:
        """The detector asked when the first finds no face, or None (off or not installed).

        Not installed is not an error: the engine goes on with its first detector, and
        :meth:`new_run` records ``second_detector_available: false``.
        """
        name = self.settings.second_detector
        if not name or name == self.settings.detector:
            return None
        if "second_detector" not in self._parts:
            try:
                self._parts["second_detector"] = build("detector", name, self.settings)
            except (ModelMissing, BackendUnavailable):
                self._parts["second_detector"] = None
        return self._parts["second_detector"]

    def landmarks(self, rgb: np.ndarray, xyxy: np.ndarray) -> tuple[list[Any], np.ndarray]:
        """Five-point shapes (for alignment) and the reported landmark points."""
        return self._part("landmarks").shapes(_check_rgb(rgb), xyxy)

    def align(self, rgb: np.ndarray, shapes5: list[Any]) -> np.ndarray:
        """Aligned chips for the embedder (dlib face chips, 150 px, 25 % padding)."""
        from workbench.faces.dlib_backend import align

        emb = self.embedder
        return align(_check_rgb(rgb), shapes5, emb.chip_size, emb.chip_padding)

    def embed_aligned(self, chips: np.ndarray) -> np.ndarray:
        """``(n, 150, 150, 3)`` uint8 RGB aligned chips -> ``(n, 128)`` unit vectors.

        Honours ``settings.flip`` and ``settings.jitters``.
        """
        chips = np.asarray(chips)
        if chips.ndim == 3:
            chips = chips[None]
        return self.embedder.embed(chips)

    def analyze_image(self, rgb: np.ndarray, evidence_id: str = "", run_id: str | None = None
                      ) -> Faces:
        """Every face of one RGB ``uint8`` image, with embeddings and attribute columns.

        Args:
            rgb: ``(h, w, 3)`` uint8, orientation already applied.
            evidence_id: the evidence the image is (faces get ``face_id`` ``{id}:{idx}``).
            run_id: the run to stamp (default: this engine's :attr:`run`).

        Returns:
            ``Faces`` with ``landmarks`` (68 or 5 points), ``embedding``, and ``data``
            columns ``face_id``, ``detector_score``, ``quality``, ``sharpness``, ``yaw`` and,
            with attributes on, ``age``, ``age_low`` / ``age_high`` (95 % interval),
            ``age_std``, ``p_minor`` (P(age < 18), compared with the measured operating
            point), ``age_network`` (the age network's own reading), ``age_source``
            (``head`` or ``network``), ``age_distribution`` (81 classes, in memory only),
            ``gender``,
            ``gender_confidence``, ``emotion_<name>`` for the 7 emotions.
        """
        from workbench.faces.quality import quality

        rgb = _check_rgb(rgb)
        run_id = self.run.id if run_id is None else run_id
        xyxy, conf, raw = self.detect(rgb)
        shapes5, points = self.landmarks(rgb, xyxy)
        chips = self.align(rgb, shapes5)
        n = len(xyxy)
        data: dict[str, np.ndarray] = {
            "face_id": np.array([f"{evidence_id}:{i}" for i in range(n)], dtype=object),
            "detector_score": raw.astype(np.float32),
            "detected_by": np.array([self.last_detector] * n, dtype=object),
        }
        data.update(quality(xyxy, chips, points))
        embedding = self.embed_aligned(chips) if n else np.empty((0, 128), np.float32)
        if self.settings.attributes:
            data.update(self._attributes(rgb, shapes5, xyxy, embedding))
        return Faces(
            evidence_id=np.array([evidence_id] * n, dtype=object), xyxy=xyxy, confidence=conf,
            landmarks=points, embedding=embedding,
            embedding_key=self.embedding_key, data=data, run_id=run_id)

    def _attributes(self, rgb: np.ndarray, shapes5: list[Any], xyxy: np.ndarray,
                    embedding: np.ndarray) -> dict[str, np.ndarray]:
        columns = dict(self._part("age_gender").predict(rgb, shapes5))
        head = self.age_head
        distribution = columns.get("age_distribution")
        columns["age_source"] = np.array(["network"] * len(xyxy), dtype=object)
        if head is not None and distribution is not None:
            # The head reads the network's distribution with the face embedding: calibrated
            # p_minor, an age unbiased on teenagers and a 95 % interval (faces/age_model.py).
            columns.update(head.predict(distribution, embedding))
            columns["age_source"][:] = "head"
        probs = self._part("emotion").predict(rgb, xyxy) if len(xyxy) else np.empty((0, 7))
        for j, name in enumerate(EMOTIONS):
            columns[f"emotion_{name}"] = probs[:, j].astype(np.float32)
        return columns

    def analyze_array(self, rgb: np.ndarray) -> Faces:
        """:meth:`analyze_image` for an image that is not evidence (e.g. an LFW file)."""
        return self.analyze_image(rgb, evidence_id="")


def _check_rgb(rgb: np.ndarray) -> np.ndarray:
    rgb = np.asarray(rgb)
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[:, :, None], 3, axis=2)
    if rgb.ndim != 3 or rgb.shape[2] not in (3, 4) or rgb.dtype != np.uint8:
        raise ValidationError(f"expected an RGB uint8 image (h, w, 3), got {rgb.dtype} {rgb.shape}")
    return np.ascontiguousarray(rgb[:, :, :3])
