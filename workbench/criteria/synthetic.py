"""Synthetic faces for tests and benchmarks of the criteria (no imagery involved).

Columns follow the face engine's ``Faces.data``: age, age_std, p_minor, gender,
gender_confidence, the seven emotion probabilities, quality and face_id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from workbench.criteria.minor import minor_probability
from workbench.types import Faces

EMOTIONS: tuple[str, ...] = ("fear", "disgust", "sad", "angry", "surprise", "happy", "neutral")


def fake_evidence_id(label: str) -> str:
    """A valid SHA-256-shaped id derived from a label (``fake_evidence_id("img1")``)."""
    return hashlib.sha256(label.encode()).hexdigest()


def make_face(
    image: str, age: float = 30.0, age_std: float = 4.0, gender: str = "Man",
    emotion: str = "neutral", strength: float = 0.8, **extra: Any,
) -> dict[str, Any]:
    """One face as a dict of columns: the named emotion gets ``strength``, others share the rest."""
    row: dict[str, Any] = {"image": image, "age": age, "age_std": age_std, "gender": gender,
                           "gender_confidence": 0.9, "quality": 0.8}
    rest = (1.0 - strength) / (len(EMOTIONS) - 1)
    for name in EMOTIONS:
        row[f"emotion_{name}"] = strength if name == emotion else rest
    row.update(extra)
    return row


def faces_from_rows(rows: Sequence[Mapping[str, Any]]) -> Faces:
    """Build :class:`Faces` from :func:`make_face` rows (``image`` labels become ids)."""
    if not rows:
        return Faces.empty()
    evidence = [fake_evidence_id(r["image"]) for r in rows]
    counters: dict[str, int] = {}
    face_ids = []
    for eid in evidence:
        face_ids.append(f"{eid}:{counters.get(eid, 0)}")
        counters[eid] = counters.get(eid, 0) + 1
    columns = [k for k in rows[0] if k != "image"]
    data: dict[str, np.ndarray] = {}
    for name in columns:
        values = [r.get(name) for r in rows]
        kind = object if any(isinstance(v, str) for v in values) else float
        data[name] = np.asarray(values, dtype=kind)
    if "p_minor" not in data and "age" in data:
        data["p_minor"] = minor_probability(data["age"], data["age_std"])
    data["face_id"] = np.asarray(face_ids, dtype=object)
    n = len(rows)
    boxes = np.tile(np.array([10, 10, 110, 110], dtype=np.float32), (n, 1))
    return Faces(evidence_id=np.asarray(evidence, dtype=object), xyxy=boxes,
                 confidence=np.ones(n, dtype=np.float32), data=data)


def random_faces(n: int, faces_per_image: float = 2.5, seed: int = 0) -> Faces:
    """``n`` random faces spread over about ``n / faces_per_image`` images."""
    rng = np.random.default_rng(seed)
    n_images = max(1, int(n / faces_per_image))
    image_no = np.sort(rng.integers(0, n_images, n))
    ids = np.array([fake_evidence_id(f"synthetic-{i}") for i in range(n_images)], dtype=object)
    evidence = ids[image_no]
    age = rng.uniform(2, 80, n)
    age_std = rng.uniform(1.5, 9, n)
    emotions = rng.dirichlet(np.ones(len(EMOTIONS)) * 0.6, n)
    order = np.argsort(image_no, kind="stable")
    index_in_image = np.empty(n, dtype=np.int64)
    starts = np.searchsorted(image_no[order], image_no[order], side="left")
    index_in_image[order] = np.arange(n) - starts
    data: dict[str, np.ndarray] = {
        "age": age, "age_std": age_std, "p_minor": minor_probability(age, age_std),
        "gender": np.where(rng.random(n) < 0.5, "Woman", "Man").astype(object),
        "gender_confidence": rng.uniform(0.5, 1.0, n), "quality": rng.uniform(0, 1, n),
        "face_id": np.char.add(np.char.add(evidence.astype(str), ":"),
                               index_in_image.astype(str)).astype(object),
    }
    for k, name in enumerate(EMOTIONS):
        data[f"emotion_{name}"] = emotions[:, k]
    boxes = np.tile(np.array([10, 10, 110, 110], dtype=np.float32), (n, 1))
    return Faces(evidence_id=evidence, xyxy=boxes, confidence=np.ones(n, np.float32), data=data)
