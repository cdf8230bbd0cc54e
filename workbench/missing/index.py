"""Nearest-neighbour search over L2-normalised face embeddings (cosine similarity).

Small registries are searched exactly (one matrix product). Past ``exact_limit`` rows a
FAISS HNSW graph answers instead; ``benchmarks/search.py`` measures where the crossover is
and what recall the graph keeps. A search restricted to a subset of rows (the records that
passed the sex and age filters) is exact whenever the subset is small, because a graph
search with a very selective filter loses recall.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Measured with benchmarks/search.py on the shared 2-core machine (one query at a time, one
# thread): exact 1.6 ms at 10^4 rows, 38 ms at 10^5, 45-540 ms at 10^6 (load-dependent);
# HNSW M=32: 0.5 ms / recall@10 1.000 at 10^4, 2.7 ms / 0.995 (efSearch 256) at 10^5, and
# with efConstruction 128 at 10^6: 3.9 ms / 0.994 (efSearch 512), 2.2 ms / 0.984 (256).
# Exact stays under ~5 ms per face up to ~2*10^4 rows; past that the (cached) graph answers.
EXACT_LIMIT = 20_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 128
HNSW_EF_SEARCH = 256
HNSW_EF_SEARCH_LARGE = 512  # past LARGE rows, to keep recall@10 >= 0.99
LARGE = 200_000


@dataclass(frozen=True)
class IndexSettings:
    """When and how to build the approximate index."""

    exact_limit: int = EXACT_LIMIT
    hnsw_m: int = HNSW_M
    ef_construction: int = HNSW_EF_CONSTRUCTION
    ef_search: int = 0  # 0: HNSW_EF_SEARCH, or HNSW_EF_SEARCH_LARGE past LARGE rows


def l2_normalise(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (float32); zero rows stay zero."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(norms == 0, 1.0, norms)


def top_k(similarity: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the ``k`` largest entries of each row, best first."""
    n = similarity.shape[1]
    k = min(k, n)
    if k == 0:
        empty = np.empty((similarity.shape[0], 0))
        return empty.astype(np.int64), empty.astype(np.float32)
    part = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(similarity, part, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(vals, order, axis=1)


class VectorIndex:
    """Embeddings with row labels; ``search`` returns (labels, similarities) best first.

    Example:
        >>> idx = VectorIndex(np.eye(3, dtype=np.float32), np.array([10, 11, 12]))
        >>> idx.search(np.array([[0, 1, 0]], dtype=np.float32), k=1)[0].tolist()
        [[11]]
    """

    def __init__(self, embeddings: np.ndarray, labels: np.ndarray,
                 settings: IndexSettings | None = None, cache_path: Path | None = None,
                 stamp: str = "") -> None:
        """
        Args:
            embeddings: ``(n, d)`` vectors (normalised here).
            labels: ``(n,)`` what a search returns for each row.
            settings: :class:`IndexSettings`.
            cache_path: where to keep the built HNSW graph (FAISS's own format), so a big
                registry is not re-indexed on every open.
            stamp: identifies the content; a cached graph with another stamp is rebuilt.
        """
        self.settings = settings or IndexSettings()
        self.embeddings = l2_normalise(embeddings).reshape(len(labels), -1)
        self.labels = np.asarray(labels)
        self.cache_path = cache_path
        self.stamp = f"{stamp}|n={len(self.labels)}|M={self.settings.hnsw_m}|" \
                     f"efC={self.settings.ef_construction}"
        self._graph = None

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def ef_search(self) -> int:
        """Graph search breadth: the setting, or by size (wider for big galleries)."""
        if self.settings.ef_search:
            return self.settings.ef_search
        return HNSW_EF_SEARCH_LARGE if len(self) > LARGE else HNSW_EF_SEARCH

    @property
    def kind(self) -> str:
        """``exact`` or ``hnsw``: which method an unrestricted search uses."""
        return "hnsw" if len(self) > self.settings.exact_limit else "exact"

    def _hnsw(self):
        if self._graph is None:
            import faiss

            stamp_file = self.cache_path.with_suffix(".stamp") if self.cache_path else None
            if (stamp_file is not None and stamp_file.is_file() and self.cache_path.is_file()
                    and stamp_file.read_text() == self.stamp):
                self._graph = faiss.read_index(str(self.cache_path))
                return self._graph
            d = self.embeddings.shape[1]
            graph = faiss.IndexHNSWFlat(d, self.settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            graph.hnsw.efConstruction = self.settings.ef_construction
            graph.add(self.embeddings)
            graph.hnsw.efSearch = self.ef_search
            self._graph = graph
            if stamp_file is not None:
                self.cache_path.parent.mkdir(parents=True, exist_ok=True)
                tmp = self.cache_path.with_suffix(".tmp")
                faiss.write_index(graph, str(tmp))
                tmp.replace(self.cache_path)
                stamp_file.write_text(self.stamp)
        return self._graph

    def search(self, queries: np.ndarray, k: int = 10, rows: np.ndarray | None = None,
               method: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` most similar rows for each query.

        Args:
            queries: ``(m, d)`` or ``(d,)`` embeddings (normalised here).
            k: how many neighbours.
            rows: restrict to these row positions (a boolean mask or integer positions).
            method: force ``exact`` or ``hnsw``; default picks by size.

        Returns:
            ``(labels, similarities)``, each ``(m, k')`` with ``k' <= k``.
        """
        q = l2_normalise(np.atleast_2d(queries))
        if len(self) == 0:
            return np.empty((len(q), 0), dtype=self.labels.dtype), np.empty((len(q), 0))
        positions = None
        if rows is not None:
            rows = np.asarray(rows)
            positions = np.flatnonzero(rows) if rows.dtype == bool else rows.astype(np.int64)
        subset = len(self) if positions is None else len(positions)
        method = method or ("hnsw" if subset > self.settings.exact_limit else "exact")
        if method == "exact":
            base = self.embeddings if positions is None else self.embeddings[positions]
            idx, sims = top_k(q @ base.T, k)
            if positions is not None:
                idx = positions[idx]
            return self.labels[idx], sims
        return self._search_hnsw(q, k, positions)

    def _search_hnsw(self, q: np.ndarray, k: int, positions: np.ndarray | None
                     ) -> tuple[np.ndarray, np.ndarray]:
        import faiss

        graph = self._hnsw()
        params = faiss.SearchParametersHNSW()
        params.efSearch = max(self.ef_search, k)
        if positions is not None:
            selector = faiss.IDSelectorBatch(positions.astype(np.int64))
            params.sel = selector
        sims, idx = graph.search(q, min(k, len(self)), params=params)
        keep = idx[0] >= 0 if len(idx) else np.array([], dtype=bool)
        if len(q) == 1:
            return self.labels[idx[:, keep]], sims[:, keep]
        return self.labels[np.clip(idx, 0, None)], np.where(idx >= 0, sims, -np.inf)
