"""Clustering: right groups on separable people, never two faces of one image, merge/split."""

from __future__ import annotations

import numpy as np
import pytest

from faces_eval.helpers import mock_faces, people_vectors
from workbench.errors import ValidationError
from workbench.eval.identities import pairwise_scores
from workbench.faces.cluster import (
    case_clusters,
    cluster_case,
    cluster_embeddings,
    merge_clusters,
    split_cluster,
)


@pytest.mark.parametrize("method", ["average", "single"])
def test_separable_people_cluster_exactly(method: str) -> None:
    vectors, ids = people_vectors(6, 5, noise=0.1)
    labels = cluster_embeddings(vectors, 0.5, groups=np.arange(len(ids)), method=method)
    assert pairwise_scores(labels, ids.tolist())["f1"] == 1.0
    assert labels[0] == 0


@pytest.mark.parametrize("method", ["average", "single"])
def test_two_faces_of_one_image_never_together(method: str) -> None:
    # Identical vectors that would merge at any threshold, two per image.
    vectors = np.tile(np.eye(4, dtype=np.float32)[0], (6, 1))
    groups = np.array(["a", "a", "b", "b", "c", "c"])
    labels = cluster_embeddings(vectors, -1.0, groups=groups, method=method)
    for g in np.unique(groups):
        members = labels[groups == g]
        assert len(set(members)) == len(members)
    assert len(set(labels)) == 2


def test_threshold_moves_granularity() -> None:
    vectors, ids = people_vectors(4, 4, noise=0.3, seed=3)
    groups = np.arange(len(ids))
    loose = len(set(cluster_embeddings(vectors, -1.0, groups)))
    tight = len(set(cluster_embeddings(vectors, 0.999, groups)))
    assert loose == 1 and tight == len(ids)


def test_average_linkage_resists_chaining() -> None:
    # A chain a-b-c-d where neighbours are similar (0.8) but ends are not.
    angles = np.radians([0, 37, 74, 111])
    v = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    single = cluster_embeddings(v, 0.75, method="single")
    average = cluster_embeddings(v, 0.75, method="average")
    assert len(set(single)) == 1
    assert len(set(average)) > 1


def _case_with_faces(new_case, faces) -> None:
    from workbench.store.case import _now

    with new_case.transaction() as conn:
        for e in sorted(set(faces.evidence_id)):
            conn.execute("INSERT INTO evidence (id, kind, added_at) VALUES (?, 'image', ?)",
                         (e, _now()))
        conn.executemany("INSERT INTO faces (id, evidence_id, idx) VALUES (?, ?, ?)",
                         [(f, e, int(f.split(":")[1])) for f, e in
                          zip(faces.data["face_id"], faces.evidence_id, strict=True)])


def test_cluster_case_merge_split_audited(new_case) -> None:
    vectors, ids = people_vectors(3, 3, noise=0.1, seed=5)
    evidence = [f"{i:064x}" for i in range(9)]
    faces = mock_faces(vectors, evidence)
    _case_with_faces(new_case, faces)
    summary = cluster_case(new_case, faces, threshold=0.5)
    assert summary["clusters"] == 3
    table = case_clusters(new_case)
    assert sorted(table["faces"].tolist()) == [3, 3, 3]
    a, b, _ = table["cluster_id"].tolist()
    merged = merge_clusters(new_case, [a, b], who="analyst", note="same jacket")
    assert merged == a
    assert case_clusters(new_case)["faces"].max() == 6
    moved = new_case.query("SELECT id FROM faces WHERE cluster_id=? LIMIT 2", (a,))["id"].tolist()
    new_id = split_cluster(new_case, a, moved, who="analyst")
    sizes = dict(zip(*case_clusters(new_case)[["cluster_id", "faces"]].T.values, strict=True))
    assert sizes[new_id] == 2 and sizes[a] == 4
    log = new_case.audit_log()
    assert {"faces.cluster.merge", "faces.cluster.split", "faces.cluster.start"} <= set(
        log["action"])
    assert (log[log.action == "faces.cluster.merge"]["who"] == "analyst").all()
    with pytest.raises(ValidationError):
        split_cluster(new_case, a, ["nope:0"])
    with pytest.raises(ValidationError):
        merge_clusters(new_case, [a, "cl-missing"])
