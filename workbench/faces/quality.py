"""A face quality score in [0, 1] from size, sharpness and pose.

Each part is a plain, explainable number; the score is their geometric mean, so one
bad part (a tiny, blurred or profile face) pulls the whole score down.
"""

from __future__ import annotations

import numpy as np


def size_score(xyxy: np.ndarray, small: float = 24.0, good: float = 100.0) -> np.ndarray:
    """0 for faces ``small`` px and under, 1 from ``good`` px up (smaller box side)."""
    side = np.minimum(xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1])
    return np.clip((side - small) / (good - small), 0.0, 1.0).astype(np.float32)


def sharpness(chips: np.ndarray) -> np.ndarray:
    """Variance of the Laplacian of each grey aligned chip (higher is sharper)."""
    import cv2

    out = []
    for chip in chips:
        grey = cv2.cvtColor(np.ascontiguousarray(chip), cv2.COLOR_RGB2GRAY)
        out.append(cv2.Laplacian(grey, cv2.CV_64F).var())
    return np.asarray(out, dtype=np.float32)


def sharpness_score(values: np.ndarray, half: float = 60.0) -> np.ndarray:
    """Map Laplacian variance to [0, 1): ``v / (v + half)`` (0.5 at ``half``)."""
    return (values / (values + half)).astype(np.float32)


def yaw_proxy(landmarks: np.ndarray) -> np.ndarray:
    """Signed head turn in [-1, 1] from where the nose sits between the eyes.

    0 is frontal; +-1 is the nose over one eye (profile), from its projection on the
    line between the eye centres. Works with the 68-point
    layout (nose tip 30, eyes 36-41 and 42-47) and dlib's 5-point layout (eye corners
    0-3, nose 4).
    """
    if landmarks.shape[0] == 0:
        return np.empty(0, dtype=np.float32)
    if landmarks.shape[1] == 68:
        left, right, nose = landmarks[:, 36:42].mean(1), landmarks[:, 42:48].mean(1), landmarks[:, 30]
    else:
        right, left, nose = landmarks[:, 0:2].mean(1), landmarks[:, 2:4].mean(1), landmarks[:, 4]
    axis = right - left
    # Where the nose projects on the eye-to-eye axis: 0.5 frontal, 0 or 1 over an eye.
    t = ((nose - left) * axis).sum(1) / np.maximum((axis * axis).sum(1), 1e-6)
    return np.clip(2.0 * t - 1.0, -1.0, 1.0).astype(np.float32)


def quality(xyxy: np.ndarray, chips: np.ndarray, landmarks: np.ndarray
            ) -> dict[str, np.ndarray]:
    """Columns ``quality`` (overall), ``sharpness`` (raw) and ``yaw`` (signed proxy)."""
    sharp = sharpness(chips)
    yaw = yaw_proxy(landmarks)
    pose = np.clip(1.0 - np.abs(yaw) * 1.5, 0.0, 1.0)
    parts = np.stack([size_score(xyxy), sharpness_score(sharp), pose]) if len(xyxy) else \
        np.empty((3, 0))
    score = np.cbrt(np.prod(np.clip(parts, 0.0, 1.0), axis=0)).astype(np.float32)
    return {"quality": score, "sharpness": sharp, "yaw": yaw}
