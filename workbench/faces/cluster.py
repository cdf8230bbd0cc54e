"""Cluster faces across a case: the same person in many images.

Agglomerative clustering on cosine similarity with one hard rule: two faces of one image
(or of one video frame) are never put in one cluster automatically, because one photo
does not show the same person twice. Average linkage is the default (a face joins a
cluster when it is similar to the cluster as a whole, which resists the chaining of single
linkage). The similarity threshold defaults to the calibrated one (false-match rate
1e-3 on LFW) and the analyst can move it. Clusters are stored in ``faces.cluster_id``;
merges and splits by a person are recorded in the case's audit log.

Example:
    >>> import numpy as np
    >>> v = np.eye(3, dtype=np.float32)[[0, 0, 1]]
    >>> cluster_embeddings(v, 0.5, groups=np.array(["a", "b", "c"])).tolist()
    [0, 0, 1]
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.errors import ValidationError
from workbench.store import faces as face_rows
from workbench.types import Faces, Run

if TYPE_CHECKING:
    from workbench.store.case import Case

METHODS = ("average", "single")


def _components(sims: np.ndarray, threshold: float) -> np.ndarray:
    """Connected components of the graph of pairs at or above the threshold."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    adjacency = csr_matrix(sims >= threshold)
    return connected_components(adjacency, directed=False)[1]


def _average_linkage(sims: np.ndarray, groups: np.ndarray, threshold: float) -> np.ndarray:
    """Constrained average-linkage agglomeration inside one component."""
    n = len(sims)
    labels = np.arange(n)
    if n == 1:
        return labels
    size = np.ones(n)
    total = sims.astype(np.float64).copy()            # sum of member similarities
    conflict = groups[:, None] == groups[None, :]
    alive = np.ones(n, dtype=bool)
    while True:
        mean = total / np.outer(size, size)
        mean[conflict | ~alive[:, None] | ~alive[None, :]] = -np.inf
        np.fill_diagonal(mean, -np.inf)
        flat = int(np.argmax(mean))
        i, j = divmod(flat, n)
        if mean[i, j] < threshold:
            return labels
        # merge j into i
        total[i, :] += total[j, :]
        total[:, i] += total[:, j]
        size[i] += size[j]
        alive[j] = False
        labels[labels == j] = i
        conflict[i, :] |= conflict[j, :]
        conflict[:, i] |= conflict[:, j]


def _single_linkage(sims: np.ndarray, groups: np.ndarray, threshold: float) -> np.ndarray:
    """Constrained single linkage: Kruskal over edges, refusing merges that would join
    two faces of one image."""
    n = len(sims)
    parent = list(range(n))
    members: list[set[Any]] = [{g} for g in groups]

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    iu = np.triu_indices(n, k=1)
    order = np.argsort(-sims[iu], kind="stable")
    for k in order:
        if sims[iu[0][k], iu[1][k]] < threshold:
            break
        a, b = root(int(iu[0][k])), root(int(iu[1][k]))
        if a != b and not (members[a] & members[b]):
            parent[b] = a
            members[a] |= members[b]
    return np.array([root(i) for i in range(n)])


def cluster_embeddings(vectors: np.ndarray, threshold: float, groups: np.ndarray | None = None,
                       method: str = "average") -> np.ndarray:
    """Cluster labels ``0..k-1`` for L2-normalised vectors.

    Args:
        vectors: ``(n, d)`` unit vectors.
        threshold: cosine similarity at or above which faces may join.
        groups: ``(n,)`` image of each face; faces of one group never share a cluster.
        method: ``average`` (default) or ``single`` linkage.
    """
    if method not in METHODS:
        raise ValidationError(f"method must be one of {METHODS}, got {method!r}")
    vectors = np.asarray(vectors, dtype=np.float32)
    n = len(vectors)
    if n == 0:
        return np.empty(0, dtype=int)
    groups = np.arange(n).astype(object) if groups is None else np.asarray(groups, dtype=object)
    sims = vectors @ vectors.T
    labels = np.full(n, -1)
    # Average-linkage clusters above a threshold lie inside the single-linkage components
    # at that threshold, so each component is clustered on its own (small matrices).
    components = _components(sims, threshold)
    link = _average_linkage if method == "average" else _single_linkage
    next_label = 0
    for c in np.unique(components):
        idx = np.flatnonzero(components == c)
        local = link(sims[np.ix_(idx, idx)], groups[idx], threshold)
        for value in np.unique(local):
            labels[idx[local == value]] = next_label
            next_label += 1
    # Number clusters by first appearance, so labels are stable for equal input.
    _, first = np.unique(labels, return_index=True)
    remap = {labels[i]: k for k, i in enumerate(sorted(first))}
    return np.array([remap[v] for v in labels])


def default_threshold(embedding_key: str | None = None) -> float:
    """The calibrated similarity threshold (false-match rate 1e-3 on LFW)."""
    from workbench.faces.verify import threshold_for

    return threshold_for(None, embedding_key)[0]


def cluster_faces(faces: Faces, threshold: float | None = None, method: str = "average"
                  ) -> np.ndarray:
    """Cluster labels for ``faces`` (faces of one evidence item never share a label)."""
    if faces.embedding is None:
        raise ValidationError("cluster_faces needs Faces with embeddings; run the analysis first")
    if threshold is None:
        threshold = default_threshold(faces.embedding_key)
    return cluster_embeddings(faces.embedding, threshold, faces.evidence_id, method)


def _face_ids(faces: Faces) -> np.ndarray:
    if "face_id" in faces.data:
        return np.asarray(faces.data["face_id"], dtype=object)
    if "idx" in faces.data:
        return np.array([f"{e}:{i}" for e, i in zip(faces.evidence_id, faces.data["idx"],
                                                     strict=True)], dtype=object)
    raise ValidationError("Faces need a data['face_id'] (or 'idx') column to be stored")


def cluster_case(case: Case, faces: Faces, threshold: float | None = None,
                 method: str = "average") -> dict[str, Any]:
    """Cluster a case's faces and store ``faces.cluster_id``; returns a summary.

    Args:
        case: the open case.
        faces: the case's faces with embeddings and ``data['face_id']``.
        threshold: cosine similarity threshold (default: calibrated).
        method: linkage.
    """
    if threshold is None:
        threshold = default_threshold(faces.embedding_key)
    run = Run.start("faces.cluster", models={"embedding": faces.embedding_key},
                    params={"threshold": threshold, "method": method, "faces": len(faces)})
    with case.recording(run) as rec:
        labels = cluster_faces(faces, threshold, method)
        ids = _face_ids(faces)
        prefix = run.id[:8]
        cluster_ids = [f"cl-{prefix}-{k:04d}" for k in labels]
        face_rows.set_cluster_ids(case, list(zip(cluster_ids, ids.tolist(), strict=True)))
        sizes = np.bincount(labels) if len(labels) else np.empty(0, int)
        rec.summary.update(clusters=int(len(sizes)), multi_face_clusters=int(np.sum(sizes > 1)),
                           largest=int(sizes.max()) if len(sizes) else 0,
                           threshold=float(threshold))
    return {"run_id": run.id, **rec.summary}


def case_clusters(case: Case) -> Any:
    """One row per cluster: id, number of faces, number of images."""
    return face_rows.cluster_sizes(case)


def merge_clusters(case: Case, cluster_ids: Sequence[str], into: str | None = None,
                   who: str | None = None, note: str = "") -> str:
    """Merge clusters (a person's decision) into ``into`` (default the first); audited.

    Merging clusters that hold two faces of one image is allowed, since a person decided
    it, and the audit entry lists those images.
    """
    if len(cluster_ids) < 2:
        raise ValidationError("merge needs at least two cluster ids")
    target = into or cluster_ids[0]
    known = face_rows.existing_clusters(case, cluster_ids)
    unknown = sorted(set(cluster_ids) - known)
    if unknown:
        raise ValidationError(f"no such cluster(s) in this case: {unknown}")
    conflicts = face_rows.images_in_several(case, cluster_ids)
    with case.transaction():
        face_rows.relabel_clusters(case, cluster_ids, target)
        case.audit("faces.cluster.merge", target=target, who=who,
                   detail={"merged": list(cluster_ids), "same_image_conflicts": conflicts,
                           "note": note})
    return target


def split_cluster(case: Case, cluster_id: str, face_ids: Sequence[str], who: str | None = None,
                  note: str = "") -> str:
    """Move ``face_ids`` out of ``cluster_id`` into a new cluster; returns its id. Audited."""
    if not face_ids:
        raise ValidationError("split needs the ids of the faces to move")
    found = face_rows.faces_in_cluster(case, cluster_id, face_ids)
    missing = sorted(set(face_ids) - found)
    if missing:
        raise ValidationError(f"faces not in cluster {cluster_id}: {missing}")
    new_id = f"cl-{uuid.uuid4().hex[:8]}-split"
    with case.transaction():
        face_rows.move_faces(case, face_ids, new_id)
        case.audit("faces.cluster.split", target=cluster_id, who=who,
                   detail={"new_cluster": new_id, "faces": list(face_ids), "note": note})
    return new_id
