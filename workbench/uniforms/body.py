"""Person mask and body pose from MediaPipe's TFLite models (run by ai-edge-litert).

The three files come out of the pinned ``mediapipe==0.10.21`` wheel at install time
(:mod:`workbench.models.catalog`: ``person_mask``, ``pose_detector``, ``pose_landmarks``);
mediapipe itself is never installed or imported. What its graphs do around the models
is reproduced here in numpy: the selfie model gives a person probability per pixel for
the whole image; the BlazePose detector proposes people (SSD anchors decoded as
MediaPipe's ``pose_detection`` graph does); the landmark model reads 33 keypoints in a
rotated square around one person.

Each *face* gets its own pose: the landmark model is run on the detector's box that
holds the face, else on a square placed from the face itself (a person's hips sit about
three face heights below the chin), so several people in one photo never share a pose.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

# BlazePose keypoint indices used here.
NOSE, LEFT_EAR, RIGHT_EAR, MOUTH_L, MOUTH_R = 0, 7, 8, 9, 10
L_SHOULDER, R_SHOULDER, L_ELBOW, R_ELBOW, L_WRIST, R_WRIST = 11, 12, 13, 14, 15, 16
L_HIP, R_HIP = 23, 24
MODEL_NAMES = ("person_mask", "pose_detector", "pose_landmarks")

# Face-placed pose square: centre this many face heights below the chin (the hips),
# side this many face heights (MediaPipe's full-body square is ~2.5x hip-to-head).
FACE_ROI_DROP = 2.6
FACE_ROI_SIDE = 10.0
DETECTION_THRESHOLD = 0.5


@dataclass(frozen=True)
class Roi:
    """A rotated square in image pixels: centre, side and rotation (radians)."""

    cx: float
    cy: float
    side: float
    rotation: float = 0.0

    def to_crop(self, size: int) -> np.ndarray:
        """The 2x3 affine matrix mapping image pixels into a ``size`` square crop."""
        c, s = np.cos(self.rotation), np.sin(self.rotation)
        scale = size / max(self.side, 1e-6)
        # rotate by -rotation about the centre, scale, then move the centre to the middle
        a = np.array([[c, s], [-s, c]]) * scale
        t = np.array([size / 2, size / 2]) - a @ np.array([self.cx, self.cy])
        return np.hstack([a, t[:, None]])


@dataclass
class Pose:
    """33 keypoints of one person in image pixels, with visibility and where they came from.

    Attributes:
        points: ``(33, 2)`` image coordinates (may lie outside the image).
        visibility: ``(33,)`` in [0, 1]: the model's belief the point is seen.
        score: the landmark model's person-present score in [0, 1].
        roi: the square the landmarks were read in.
        source: ``detector`` or ``face`` (how the square was placed).
    """

    points: np.ndarray
    visibility: np.ndarray
    score: float
    roi: Roi
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {"points": np.round(self.points, 1).tolist(),
                "visibility": np.round(self.visibility, 3).tolist(),
                "score": round(float(self.score), 3), "source": self.source,
                "roi": [round(self.roi.cx, 1), round(self.roi.cy, 1), round(self.roi.side, 1),
                        round(self.roi.rotation, 4)]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Pose:
        cx, cy, side, rot = d["roi"]
        return cls(np.asarray(d["points"], np.float64), np.asarray(d["visibility"], np.float64),
                   float(d["score"]), Roi(cx, cy, side, rot), str(d["source"]))


@dataclass
class BodyReading:
    """What the body models saw in one image, for every face asked about."""

    mask: np.ndarray                     # (h, w) float32 person probability
    poses: list[Pose | None] = field(default_factory=list)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -80, 80)))


def _anchors() -> np.ndarray:
    """BlazePose detector SSD anchor centres ``(2254, 2)`` (224 input, strides 8-32)."""
    out = []
    for stride, per_cell in ((8, 2), (16, 2), (32, 6)):
        n = 224 // stride
        ys, xs = np.mgrid[0:n, 0:n]
        centres = np.stack([(xs + 0.5) / n, (ys + 0.5) / n], -1).reshape(-1, 1, 2)
        out.append(np.repeat(centres, per_cell, axis=1).reshape(-1, 2))
    return np.concatenate(out)


class BodyModels:
    """The three TFLite models, loaded lazily from the verified model pack.

    Args:
        models_dir: model pack folder (default ``$WORKBENCH_MODELS``).
        threads: interpreter threads (1 keeps the engine's process pool fair).
    """

    def __init__(self, models_dir: str | os.PathLike[str] | None = None, threads: int = 1
                 ) -> None:
        from ai_edge_litert.interpreter import Interpreter

        from workbench.models.pack import model_digest, model_file

        self.digests = {n: model_digest(n, models_dir) for n in MODEL_NAMES}
        self._it = {}
        for name in MODEL_NAMES:
            it = Interpreter(model_path=str(model_file(name, models_dir)), num_threads=threads)
            it.allocate_tensors()
            self._it[name] = it
        self._anchors = _anchors()

    def _run(self, name: str, x: np.ndarray) -> list[np.ndarray]:
        it = self._it[name]
        it.set_tensor(it.get_input_details()[0]["index"], x[None].astype(np.float32))
        it.invoke()
        return [it.get_tensor(d["index"])[0] for d in it.get_output_details()]

    def person_mask(self, rgb: np.ndarray) -> np.ndarray:
        """Person probability per pixel ``(h, w)`` float32 in [0, 1]."""
        h, w = rgb.shape[:2]
        x = cv2.resize(rgb, (256, 256), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
        prob = self._run("person_mask", x)[0][..., 0]
        return cv2.resize(np.clip(prob, 0, 1), (w, h), interpolation=cv2.INTER_LINEAR)

    def detect(self, rgb: np.ndarray) -> list[Roi]:
        """People found by the BlazePose detector, as landmark squares (MediaPipe's rule:
        centre at the hips, side 2.5x hips-to-head-circle, turned so the body is upright)."""
        h, w = rgb.shape[:2]
        side = max(h, w)
        pad = np.zeros((side, side, 3), np.uint8)
        oy, ox = (side - h) // 2, (side - w) // 2
        pad[oy:oy + h, ox:ox + w] = rgb
        x = cv2.resize(pad, (224, 224), interpolation=cv2.INTER_AREA).astype(np.float32)
        boxes, scores = self._run("pose_detector", x / 127.5 - 1.0)
        prob = _sigmoid(scores[:, 0])
        keep = np.flatnonzero(prob >= DETECTION_THRESHOLD)
        rois: list[tuple[float, Roi]] = []
        for i in keep[np.argsort(-prob[keep])]:
            raw, anchor = boxes[i], self._anchors[i]
            kp = raw[4:12].reshape(4, 2) / 224.0 + anchor
            hip, top = kp[0] * side - (ox, oy), kp[1] * side - (ox, oy)
            radius = float(np.hypot(*(top - hip)))
            rotation = float(np.pi / 2 - np.arctan2(-(top[1] - hip[1]), top[0] - hip[0]))
            roi = Roi(float(hip[0]), float(hip[1]), 2.5 * radius, _wrap(rotation))
            if all(np.hypot(roi.cx - r.cx, roi.cy - r.cy) > 0.3 * r.side for _, r in rois):
                rois.append((float(prob[i]), roi))  # a crude NMS: one square per person
        return [r for _, r in rois]

    def landmarks(self, rgb: np.ndarray, roi: Roi, source: str) -> Pose:
        """33 keypoints of the person in ``roi``."""
        matrix = roi.to_crop(256)
        crop = cv2.warpAffine(rgb, matrix, (256, 256), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
        out = self._run("pose_landmarks", crop.astype(np.float32) / 255.0)
        raw = np.asarray(out[0]).reshape(39, 5)[:33]
        inverse = cv2.invertAffineTransform(matrix)
        pts = raw[:, :2] @ inverse[:, :2].T + inverse[:, 2]
        score = float(np.asarray(out[1]).reshape(-1)[0])
        score = score if 0.0 <= score <= 1.0 else float(_sigmoid(np.array(score)))
        return Pose(pts.astype(np.float64), _sigmoid(raw[:, 3]).astype(np.float64), score, roi,
                    source)

    def read(self, rgb: np.ndarray, faces_xyxy: np.ndarray) -> BodyReading:
        """The person mask and one pose per face (None when no body fits the face)."""
        mask = self.person_mask(rgb)
        detections = self.detect(rgb) if len(faces_xyxy) else []
        poses = [self.pose_for_face(rgb, box, detections)
                 for box in np.asarray(faces_xyxy, np.float64).reshape(-1, 4)]
        return BodyReading(mask=mask, poses=poses)

    def pose_for_face(self, rgb: np.ndarray, box: np.ndarray, detections: list[Roi]
                      ) -> Pose | None:
        """The pose whose head is this face: the detector's square holding the face first,
        then a square placed from the face; a pose whose nose misses the face is refused."""
        candidates = [(r, "detector") for r in detections if _holds_face(r, box)]
        candidates.append((face_roi(box), "face"))
        for roi, source in candidates:
            pose = self.landmarks(rgb, roi, source)
            if pose.score >= 0.5 and head_matches(pose, box):
                return pose
        return None


def _wrap(angle: float) -> float:
    return float((angle + np.pi) % (2 * np.pi) - np.pi)


def face_roi(box: np.ndarray) -> Roi:
    """A full-body square placed from a face box alone (upright person assumed)."""
    x1, y1, x2, y2 = (float(v) for v in box)
    fh = max(y2 - y1, x2 - x1, 1.0)
    return Roi((x1 + x2) / 2, y2 + FACE_ROI_DROP * fh, FACE_ROI_SIDE * fh, 0.0)


def _holds_face(roi: Roi, box: np.ndarray) -> bool:
    x1, y1, x2, y2 = (float(v) for v in box)
    cx, cy, fh = (x1 + x2) / 2, (y1 + y2) / 2, max(y2 - y1, 1.0)
    inside = np.hypot(cx - roi.cx, cy - roi.cy) < 0.5 * roi.side
    return bool(inside and 4.0 * fh <= roi.side <= 25.0 * fh)


def head_matches(pose: Pose, box: np.ndarray) -> bool:
    """True when the pose's nose and mouth lie in the face box (grown by a quarter)."""
    x1, y1, x2, y2 = (float(v) for v in box)
    gx, gy = 0.25 * (x2 - x1), 0.25 * (y2 - y1)
    head = pose.points[[NOSE, MOUTH_L, MOUTH_R]].mean(0)
    return bool(x1 - gx <= head[0] <= x2 + gx and y1 - gy <= head[1] <= y2 + gy)
