"""Embed many images once, in up to N processes, with an on-disk embedding cache.

The cache lives in a cache folder (never beside the images): one ``.npy`` matrix and a
JSON index per embedding key, mapping each image path to its row. Images whose face could
not be embedded are stored as a row of NaN, so they are not retried on every run.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from workbench import settings
from workbench.eval.embedders import ImageEmbedder
from workbench.parallel import process_pool, stop_on_signals
from workbench.progress import progress_bar


def default_cache_dir() -> Path:
    """``$WORKBENCH_CACHE`` or ``~/.cache/workbench``, plus ``eval-embeddings``."""
    base = settings.read(settings.CACHE) or Path.home() / ".cache" / "workbench"
    return Path(base) / "eval-embeddings"


class EmbeddingCache:
    """Embeddings of image files under one embedding key.

    Example:
        >>> cache = EmbeddingCache(Path("/tmp/c"), "dlib+flip")       # doctest: +SKIP
        >>> cache.get(["a.jpg"])                                       # doctest: +SKIP
    """

    def __init__(self, folder: Path, embedding_key: str) -> None:
        digest = hashlib.sha1(embedding_key.encode()).hexdigest()[:16]
        self.folder = Path(folder) / digest
        self.key = embedding_key
        self._matrix_path = self.folder / "embeddings.npy"
        self._index_path = self.folder / "index.json"
        self.index: dict[str, int] = {}
        self.matrix = np.empty((0, 0), dtype=np.float32)
        if self._index_path.is_file() and self._matrix_path.is_file():
            meta = json.loads(self._index_path.read_text())
            if meta.get("embedding_key") == embedding_key:
                self.index = meta["rows"]
                self.matrix = np.load(self._matrix_path)

    def missing(self, paths: Sequence[str]) -> list[str]:
        return [p for p in dict.fromkeys(paths) if p not in self.index]

    def add(self, paths: Sequence[str], vectors: np.ndarray) -> None:
        if not len(paths):
            return
        vectors = np.asarray(vectors, dtype=np.float32)
        start = len(self.matrix)
        self.matrix = vectors if start == 0 else np.concatenate([self.matrix, vectors])
        for i, path in enumerate(paths):
            self.index[path] = start + i

    def save(self) -> None:
        """Write atomically (temp file + rename), so an interrupted run keeps what it had."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self._matrix_path.with_suffix(".tmp.npy")
        np.save(tmp, self.matrix)
        os.replace(tmp, self._matrix_path)
        tmp_index = self._index_path.with_suffix(".tmp")
        tmp_index.write_text(json.dumps({"embedding_key": self.key, "rows": self.index}))
        os.replace(tmp_index, self._index_path)

    def get(self, paths: Sequence[str]) -> np.ndarray:
        """Rows for ``paths`` (NaN rows where no face could be embedded)."""
        return self.matrix[[self.index[p] for p in paths]]


_WORKER_EMBEDDER: ImageEmbedder | None = None


def _init_worker(factory: Callable[[], ImageEmbedder]) -> None:
    global _WORKER_EMBEDDER
    _WORKER_EMBEDDER = factory()


def _embed_one(path: str) -> np.ndarray | None:
    assert _WORKER_EMBEDDER is not None
    return _embed_path(_WORKER_EMBEDDER, path)


def _embed_path(embedder: ImageEmbedder, path: str) -> np.ndarray | None:
    import cv2

    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        return None
    return embedder(np.ascontiguousarray(image[:, :, ::-1]))


def embed_files(
    paths: Sequence[str],
    factory: Callable[[], ImageEmbedder],
    cache_dir: Path | None = None,
    workers: int = 1,
    progress: bool = True,
    save_every: int = 200,
) -> tuple[np.ndarray, str]:
    """Embeddings for ``paths`` (rows in order; NaN where no face), embedding each file once.

    Args:
        paths: image files (absolute paths are the cache keys).
        factory: builds the embedder; called once per worker process (must be picklable).
        cache_dir: cache folder (default :func:`default_cache_dir`).
        workers: processes (1 runs in this process).
        progress: show a progress bar.
        save_every: write the cache after this many new images.

    Returns:
        The ``(n, d)`` matrix and the embedding key.
    """
    paths = [str(Path(p).resolve()) for p in paths]
    probe = factory()
    cache = EmbeddingCache(cache_dir or default_cache_dir(), probe.embedding_key)
    todo = cache.missing(paths)
    if todo:
        bar = progress_bar(len(todo), "embedding", enabled=progress, unit="image")
        done_paths: list[str] = []
        done_vecs: list[np.ndarray | None] = []

        def collect(path: str, vector: np.ndarray | None) -> None:
            done_paths.append(path)
            done_vecs.append(vector)
            bar.update(1)
            if len(done_paths) >= save_every:
                flush()

        def flush() -> None:
            # "No face" rows are NaN, as wide as the embeddings seen (128 for dlib).
            known = [v for v in done_vecs if v is not None]
            dim = len(known[0]) if known else (cache.matrix.shape[1] if cache.matrix.size else 128)
            cache.add(done_paths, np.stack([np.full(dim, np.nan, np.float32) if v is None
                                            else np.asarray(v, np.float32) for v in done_vecs]))
            cache.save()
            done_paths.clear()
            done_vecs.clear()

        try:
            if workers <= 1:
                with stop_on_signals():  # SIGTERM unwinds like Ctrl-C; what is done is saved
                    for path in todo:
                        collect(path, _embed_path(probe, path))
            else:
                # process_pool: SIGTERM stops the workers too, and they die with this process
                with process_pool(workers, initializer=_init_worker,
                                  initargs=(factory,)) as pool:
                    for path, vector in zip(todo, pool.map(_embed_one, todo, chunksize=8),
                                            strict=True):
                        collect(path, vector)
        finally:
            if done_paths:
                flush()
            bar.close()
    return cache.get(paths), probe.embedding_key
