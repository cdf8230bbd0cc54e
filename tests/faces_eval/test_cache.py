"""Embedding cache: each image embedded once, stored outside the image folder, NaN for no face."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from faces_eval.helpers import CountingEmbedder
from workbench.eval.cache import embed_files


def test_embed_once_and_cache_outside_images(tmp_path: Path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    paths = []
    for i, colour in enumerate([(10, 20, 200), (200, 20, 10), (255, 255, 255)]):
        path = images / f"img_{i}.png"
        cv2.imwrite(str(path), np.full((8, 8, 3), colour, np.uint8))
        paths.append(str(path))
    cache = tmp_path / "cache"
    CountingEmbedder.calls = 0
    first, key = embed_files(paths + paths[:1], CountingEmbedder, cache, progress=False)
    assert key == "mean-colour-test" and CountingEmbedder.calls == 3
    assert np.isnan(first[2]).all() and not np.isnan(first[:2]).any()
    assert np.allclose(first[0], first[3])
    again, _ = embed_files(paths, CountingEmbedder, cache, progress=False)
    assert CountingEmbedder.calls == 3                       # nothing embedded twice
    assert np.allclose(np.nan_to_num(again), np.nan_to_num(first[:3]))
    assert sorted(p.name for p in images.iterdir()) == ["img_0.png", "img_1.png", "img_2.png"]
    assert list(cache.rglob("*.npy"))
