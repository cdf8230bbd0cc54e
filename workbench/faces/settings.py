"""Settings of the face engine: one dataclass, so every knob is recorded in the Run."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# The seven emotion classes of the fer model, in the order of its output.
EMOTIONS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


@dataclass(frozen=True)
class FaceSettings:
    """What the engine does and how.

    Attributes:
        detector: registry name of the detector (``hog``, ``yunet``, ``cnn``, or a DeepFace
            detector such as ``deepface:yunet`` once its weights are imported).
        second_detector: asked only when ``detector`` finds no face; ``None`` turns it off.
            YuNet finds faces that fill the frame and young children's faces HOG misses:
            on the UTKFace check half HOG found no face in 63 of 1,695 chips (33 of them
            children under 13), HOG then YuNet in 1. Where its package is not installed
            (``yuface`` has Linux x86-64 / CPython 3.11 wheels only) the engine goes on
            without it and the run says so.
        detector_threshold: confidence cut of the ``yunet`` detector (0-1).
        upsample: pyramid upsampling of the dlib detectors; 1 lets dlib's 80 px HOG
            window find faces of about 40 px, 0 only faces of about 80 px and up (4x
            faster).
        hog_gray: run the HOG detector on the grey image: about 30 % faster detection;
            on 101 labelled photos it changed 2 of ~105 detections, both at the
            threshold (one 44 px background face lost), so it is off by default.
        min_face: faces whose smaller box side is below this many pixels are dropped.
        landmarks: 68 to report the iBUG 68 points, 5 for the five-point model only
            (alignment always uses the five-point model, as dlib's ResNet was trained).
        embedder: registry name of the embedding model.
        flip: average the embedding of the aligned chip and its mirror image.
        jitters: dlib's random jitters per view (each costs one forward pass).
        attributes: estimate age, gender and emotion.
        age_gender: registry name of the age and gender backend.
        age_head: read age and ``p_minor`` through the calibrated head fitted on faces of
            known age (``workbench/faces/age_model.py``); False reports the age network's
            own summary, which misses most teenagers (kept for comparison).
        emotion: registry name of the emotion backend.
        fallback_center: when nothing is detected, treat this central fraction of the
            image (e.g. 0.4 for LFW's 250x250 crops) as the face; ``None`` disables it.
        models_dir: model folder (``None``: ``$WORKBENCH_MODELS`` or the default).
    """

    detector: str = "hog"
    second_detector: str | None = "yunet"
    detector_threshold: float = 0.6
    upsample: int = 1
    hog_gray: bool = False
    min_face: int = 20
    landmarks: int = 68
    embedder: str = "dlib_resnet"
    flip: bool = False
    jitters: int = 0
    attributes: bool = True
    age_gender: str = "dlib_age_gender"
    age_head: bool = True
    emotion: str = "fer"
    fallback_center: float | None = None
    models_dir: str | None = None

    def as_params(self) -> dict[str, Any]:
        """The settings as JSON-friendly run parameters."""
        return asdict(self)
