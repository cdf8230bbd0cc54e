"""Synthetic faces for the evaluation tests: people as directions in embedding space."""

from __future__ import annotations

import numpy as np

from workbench.types import Faces

KEY = "dlib_resnet_v1/hog/test"


def people_vectors(n_people: int, per_person: int, noise: float = 0.15, seed: int = 0,
                   dim: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors scattered around one random centre per person, and the person ids."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_people, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    ids = np.repeat(np.arange(n_people), per_person)
    vectors = centres[ids] + rng.normal(0, noise / np.sqrt(dim), (len(ids), dim))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32), ids


def mock_faces(vectors: np.ndarray, evidence: list[str]) -> Faces:
    """``Faces`` with the given embeddings, one face per row, ids ``{evidence}:{k}``."""
    counts: dict[str, int] = {}
    face_ids = []
    for e in evidence:
        face_ids.append(f"{e}:{counts.get(e, 0)}")
        counts[e] = counts.get(e, 0) + 1
    n = len(vectors)
    return Faces(evidence_id=np.array(evidence, dtype=object),
                 xyxy=np.tile([0, 0, 50, 50], (n, 1)), confidence=np.ones(n),
                 embedding=vectors, embedding_key=KEY,
                 data={"face_id": np.array(face_ids, dtype=object)})


class CountingEmbedder:
    """A stand-in embedder: the mean colour as a unit vector, counting its calls."""

    embedding_key = "mean-colour-test"
    calls = 0

    def __call__(self, image: np.ndarray) -> np.ndarray | None:
        CountingEmbedder.calls += 1
        mean = image.reshape(-1, 3).mean(axis=0) + 1.0
        if image.mean() > 250:          # a blank white image has "no face"
            return None
        return (mean / np.linalg.norm(mean)).astype(np.float32)
