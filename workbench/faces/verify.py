"""Face verification: is face A the same person as face B, at a measured error rate?

``compare(a, b)`` returns the cosine similarity of two L2-normalised embeddings, their
Euclidean distance, and a decision at a threshold read from ``calibration.json``: the
threshold at which a target false-match rate (default 1 in 1,000) was *measured* on the
LFW development view (``workbench eval calibrate`` re-measures it). A match is a lead for
a person to check, never an identification.

Example:
    >>> import numpy as np
    >>> v = np.ones(128, dtype=np.float32) / np.sqrt(128)
    >>> compare(v, v).decision
    'match'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

from workbench.errors import ValidationError, WorkbenchError
from workbench.types import Faces

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")


class CalibrationError(WorkbenchError):
    """No calibration for this embedding model or target false-match rate."""


@dataclass(frozen=True)
class Verification:
    """The outcome of comparing two faces.

    Attributes:
        similarity: cosine similarity in [-1, 1] (higher = more alike).
        distance: Euclidean distance of the unit vectors, ``sqrt(2 - 2 * similarity)``.
        decision: ``match`` when ``similarity >= threshold``, else ``no_match``.
        threshold: the similarity threshold applied.
        far_target: the false-match rate the threshold was measured at (None if the
            caller passed a threshold of their own).
    """

    similarity: float
    distance: float
    decision: Literal["match", "no_match"]
    threshold: float
    far_target: float | None

    @property
    def is_match(self) -> bool:
        return self.decision == "match"

    def explain(self) -> str:
        rate = (f"a false-match rate of {self.far_target:g} measured on LFW"
                if self.far_target is not None else "a threshold set by hand")
        verb = "above" if self.is_match else "below"
        return (f"similarity {self.similarity:.3f} is {verb} {self.threshold:.3f} "
                f"({rate}): {self.decision.replace('_', ' ')}")


@lru_cache(maxsize=4)
def _read(path: str) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def load_calibration(path: str | Path | None = None) -> dict[str, Any]:
    """The calibration document (``workbench/faces/calibration.json`` by default)."""
    target = Path(path) if path else CALIBRATION_FILE
    if not target.is_file():
        raise CalibrationError(
            f"no calibration at {target}; run `workbench eval calibrate --pairs "
            f"pairsDevTrain.txt --images DIR` to measure one")
    return _read(str(target))


def same_embedding_space(calibrated: str, embedding_key: str) -> bool:
    """Whether a threshold measured for key ``calibrated`` holds for ``embedding_key``.

    Keys read ``model/detector/alignment[+extras]``. The model and the alignment must be
    the same; the detector may differ, because every detector's boxes go through the same
    five-point alignment (YuNet's are mapped to HOG geometry first). On LFW DevTest the
    10-fold thresholds of the HOG and YuNet embeddings were both 0.909.
    """
    mine = calibrated.split("+")[0].split("/")
    theirs = embedding_key.split("+")[0].split("/")
    if len(mine) < 3 or len(theirs) < 3:
        return mine[0] == theirs[0]
    return mine[0] == theirs[0] and mine[2] == theirs[2]


def threshold_for(far: float | None = None, embedding_key: str | None = None,
                  calibration: dict[str, Any] | None = None) -> tuple[float, float]:
    """(similarity threshold, far) for a target false-match rate from the calibration.

    Raises:
        CalibrationError: the rate was not measured, or ``embedding_key`` comes from
            another model than the one calibrated.
    """
    cal = calibration or load_calibration()
    if embedding_key and not same_embedding_space(cal["model"], embedding_key):
        raise CalibrationError(
            f"calibration was measured for {cal['embedding_key']!r}, not {embedding_key!r}; "
            f"run `workbench eval calibrate` with that model first")
    name = f"{far:g}" if far is not None else cal["default_far"]
    point = cal["operating_points"].get(name)
    if point is None:
        raise CalibrationError(f"no threshold measured at false-match rate {name}; "
                               f"measured: {sorted(cal['operating_points'])}")
    return float(point["threshold"]), float(name)


def _vector(x: np.ndarray | Faces) -> tuple[np.ndarray, str | None]:
    if isinstance(x, Faces):
        if len(x) != 1 or x.embedding is None:
            raise ValidationError(f"compare needs exactly one face with an embedding, got "
                                  f"{len(x)} face(s)")
        return x.embedding[0].astype(np.float64), x.embedding_key
    vector = np.asarray(x, dtype=np.float64).reshape(-1)
    return vector, None


def compare(a: np.ndarray | Faces, b: np.ndarray | Faces, far: float | None = None,
            threshold: float | None = None, calibration: dict[str, Any] | None = None
            ) -> Verification:
    """Compare two faces (single-face ``Faces`` or embedding vectors).

    Args:
        a: first face.
        b: second face.
        far: target false-match rate (one of the calibrated ones; default the
            calibration's default, 1e-3).
        threshold: a similarity threshold of your own instead (recorded as such).
        calibration: a calibration document instead of the shipped one.

    Raises:
        ValidationError: vectors of different size, or Faces from different models.
        CalibrationError: see :func:`threshold_for`.
    """
    va, key_a = _vector(a)
    vb, key_b = _vector(b)
    if va.shape != vb.shape:
        raise ValidationError(f"embeddings differ in size: {va.shape} vs {vb.shape}")
    if key_a and key_b and key_a != key_b:
        raise ValidationError(f"embeddings from different models cannot be compared: "
                              f"{key_a!r} vs {key_b!r}")
    va = va / max(float(np.linalg.norm(va)), 1e-12)
    vb = vb / max(float(np.linalg.norm(vb)), 1e-12)
    similarity = float(np.clip(va @ vb, -1.0, 1.0))
    if threshold is None:
        threshold, far_used = threshold_for(far, key_a or key_b, calibration)
    else:
        far_used = None
    return Verification(
        similarity=similarity,
        distance=float(np.sqrt(max(2.0 - 2.0 * similarity, 0.0))),
        decision="match" if similarity >= threshold else "no_match",
        threshold=float(threshold),
        far_target=far_used,
    )
