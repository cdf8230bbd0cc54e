"""Identification quality: one photo per person in a gallery, their other photos as queries.

On ``../shared/data/faces/lfw-dev`` (people with at least two images in ``images/``): the
gallery holds each person's first image (sorted by file name), every other image queries
the gallery through the registry's search, and the report gives rank-1 and rank-10
identification rates. A query whose face could not be embedded counts as a miss.
Embeddings come from the evaluation cache shared with ``workbench eval`` (embedded once).

Usage::

    nice -n 10 .venv/bin/python -m workbench.eval.identification [--lfw DIR] [--max-people N]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from workbench.missing.index import VectorIndex


def lfw_people(images: Path, min_images: int = 2, max_people: int | None = None
               ) -> dict[str, list[Path]]:
    """Person -> sorted image files, for people with at least ``min_images`` images."""
    people = {}
    for folder in sorted(p for p in images.iterdir() if p.is_dir()):
        files = sorted(folder.glob("*.jpg"))
        if len(files) >= min_images:
            people[folder.name] = files
    if max_people is not None:
        people = dict(list(people.items())[:max_people])
    return people


def identification_rates(gallery: np.ndarray, gallery_ids: Sequence[str], queries: np.ndarray,
                         query_ids: Sequence[str], ranks: Sequence[int] = (1, 10)
                         ) -> dict[str, Any]:
    """Rank-k identification rates; rows with NaN (no face) are misses.

    Gallery rows with NaN are left out of the gallery (that person cannot be found).
    """
    good = ~np.isnan(gallery).any(axis=1)
    index = VectorIndex(gallery[good], np.asarray(gallery_ids, dtype=object)[good])
    embedded = ~np.isnan(queries).any(axis=1)
    hits = {r: 0 for r in ranks}
    if embedded.any():
        labels, _ = index.search(queries[embedded], k=max(ranks))
        truth = np.asarray(query_ids, dtype=object)[embedded]
        for r in ranks:
            hits[r] = int(sum(t in row[:r] for t, row in zip(truth, labels, strict=True)))
    n = len(query_ids)
    return {"gallery_people": int(good.sum()), "queries": n,
            "queries_without_face": int((~embedded).sum()),
            **{f"rank{r}": hits[r] / n if n else float("nan") for r in ranks}}


def run(lfw: Path, max_people: int | None = None, workers: int = 1,
        cache_dir: Path | None = None) -> dict[str, Any]:
    """Embed (cached) and score the LFW development images."""
    from workbench.eval.cache import embed_files
    from workbench.eval.embedders import default_embedder

    people = lfw_people(lfw / "images", max_people=max_people)
    gallery_files = [files[0] for files in people.values()]
    query_files = [f for files in people.values() for f in files[1:]]
    query_ids = [name for name, files in people.items() for _ in files[1:]]
    vectors, key = embed_files([*gallery_files, *query_files], default_embedder,
                               cache_dir=cache_dir, workers=workers)
    result = identification_rates(vectors[:len(gallery_files)], list(people),
                                  vectors[len(gallery_files):], query_ids)
    return {"embedding_key": key, "dataset": str(lfw), **result}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="rank-1/rank-10 identification on LFW dev")
    parser.add_argument("--lfw", type=Path, default=Path("../shared/data/faces/lfw-dev"))
    parser.add_argument("--max-people", type=int)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--cache-dir", type=Path, help="embedding cache (default: shared one)")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.lfw, args.max_people, args.workers, args.cache_dir), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
