"""Registry search at scale: exact vs FAISS HNSW vs the way DeepFace's ``find`` searches.

For each gallery size (default 10^4, 10^5, 10^6 synthetic 128-D embeddings, clustered like
dlib face embeddings: a shared direction, demographic groups, identities, per-photo noise,
giving same-person cosine ~0.9 and different-person ~0.4-0.55) it prints, per query:

* ``exact``   - one matrix-vector product and a partial sort (what the registry does
  below ``EXACT_LIMIT``);
* ``hnsw``    - FAISS ``IndexHNSWFlat`` (inner product), with build time and recall@10
  against exact;
* ``deepface-pandas`` - deepface 0.0.103 ``find`` (default ``return_type='pandas'``):
  a ``DataFrame`` of representations whose embeddings are Python lists, ``iterrows`` over
  every row calling deepface's own ``verification.find_distance`` and
  ``find_confidence``, then ``sort_values`` and ``head(k)``;
* ``deepface-dict`` - ``find(return_type='dict')``: one vectorised ``find_distance`` over
  all rows, then per-row metadata arrays, ``argsort`` and a dict per row.

Both DeepFace paths run with ``similarity_search=True`` (no threshold cut) so they return
the same top-10 as the others. The pandas path is linear in the gallery size; at 10^6 it
is timed on a 10^5 slice and scaled by 10 (marked "extrapolated") because its Python lists
would need ~4 GB. Nothing is downloaded.

Usage::

    nice -n 10 .venv/bin/python benchmarks/search.py [--sizes 10000 100000 1000000]

Measured 2026-11-21 on the shared 2-core, 24 GiB development machine (load average 4-14,
so absolute times are noisy; ratios are within one run). ms per query, one thread:

==========  =================================  ========  =========  ==========
N           method                             ms/query  recall@10  build (s)
==========  =================================  ========  =========  ==========
10^4        exact                                 1.6      1.000        -
10^4        HNSW M=32 efC=80 efS=64               0.43     1.000       7.8
10^4        deepface dict / pandas              234 / 4240   1.000        -
10^5        exact                                38.0      1.000        -
10^5        HNSW M=32 efC=80 efS=256              2.7      0.995      164
10^5        deepface dict / pandas             3491 / 44912  1.000        -
10^6        exact                               538        1.000        -
10^6        HNSW M=32 efC=64 efS=512              8.5      0.986     1473
10^6        deepface dict / pandas (extrap.)  12614 / 102713 1.000        -
10^6 (b)    exact                                44.6      1.000        -
10^6 (b)    HNSW M=32 efC=128 efS=512             3.9      0.994     1181
==========  =================================  ========  =========  ==========

(b) is a second run at lower load, without the DeepFace paths.
"""

from __future__ import annotations

import argparse
import gc
import time
from typing import Any

import numpy as np

D = 128
K = 10


def synthetic_faces(n: int, n_queries: int, seed: int = 0, per_identity: int = 5
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(gallery, queries): unit float32 vectors; queries are new photos of gallery people."""
    rng = np.random.default_rng(seed)

    def unit(x: np.ndarray) -> np.ndarray:
        return x / np.linalg.norm(x, axis=-1, keepdims=True)

    mean = unit(rng.normal(size=D))
    groups = unit(rng.normal(size=(8, D)))
    n_ids = max(1, n // per_identity)
    ident_group = rng.integers(0, 8, n_ids)
    identities = unit(rng.normal(size=(n_ids, D)))
    a, g, b, s = np.sqrt([0.40, 0.15, 0.35, 0.10])

    def photos(ids: np.ndarray) -> np.ndarray:
        out = np.empty((len(ids), D), np.float32)
        for start in range(0, len(ids), 100_000):
            part = ids[start:start + 100_000]
            noise = unit(rng.normal(size=(len(part), D)))
            x = a * mean + g * groups[ident_group[part]] + b * identities[part] + s * noise
            out[start:start + len(part)] = unit(x)
        return out

    gallery = photos(np.arange(n) % n_ids)
    queries = photos(rng.integers(0, n_ids, n_queries))
    return gallery, queries


def exact_search(gallery: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, float]:
    """Top-K by brute force; returns (indices, ms per query, one query at a time)."""
    out = np.empty((len(queries), K), np.int64)
    start = time.perf_counter()
    for i, q in enumerate(queries):
        sims = gallery @ q
        part = np.argpartition(-sims, K)[:K]
        out[i] = part[np.argsort(-sims[part])]
    return out, (time.perf_counter() - start) * 1000 / len(queries)


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth, strict=True)]))


def hnsw(gallery: np.ndarray, queries: np.ndarray, truth: np.ndarray, m: int, ef_c: int,
         ef_searches: list[int]) -> list[dict[str, Any]]:
    import faiss

    threads = faiss.omp_get_max_threads()
    index = faiss.IndexHNSWFlat(D, m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = ef_c
    start = time.perf_counter()
    index.add(gallery)
    build = time.perf_counter() - start
    faiss.omp_set_num_threads(1)  # one analyst, one query: latency without parallelism
    rows = []
    for ef in ef_searches:
        index.hnsw.efSearch = ef
        found = np.empty((len(queries), K), np.int64)
        start = time.perf_counter()
        for i, q in enumerate(queries):
            found[i] = index.search(q[None], K)[1][0]
        ms = (time.perf_counter() - start) * 1000 / len(queries)
        rows.append({"method": f"hnsw M={m} efS={ef}", "ms": ms, "recall": recall(found, truth),
                     "build_s": build})
    faiss.omp_set_num_threads(threads)
    del index
    return rows


def ivf(gallery: np.ndarray, queries: np.ndarray, truth: np.ndarray, nlist: int,
        nprobes: list[int]) -> list[dict[str, Any]]:
    import faiss

    threads = faiss.omp_get_max_threads()
    quantizer = faiss.IndexFlatIP(D)
    index = faiss.IndexIVFFlat(quantizer, D, nlist, faiss.METRIC_INNER_PRODUCT)
    start = time.perf_counter()
    sample = gallery[np.random.default_rng(0).permutation(len(gallery))[: nlist * 40]]
    index.train(sample)
    index.add(gallery)
    build = time.perf_counter() - start
    faiss.omp_set_num_threads(1)
    rows = []
    for nprobe in nprobes:
        index.nprobe = nprobe
        found = np.empty((len(queries), K), np.int64)
        start = time.perf_counter()
        for i, q in enumerate(queries):
            found[i] = index.search(q[None], K)[1][0]
        ms = (time.perf_counter() - start) * 1000 / len(queries)
        rows.append({"method": f"ivf {nlist} nprobe={nprobe}", "ms": ms,
                     "recall": recall(found, truth), "build_s": build})
    faiss.omp_set_num_threads(threads)
    del index
    return rows


def deepface_pandas(gallery: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, float]:
    """deepface 0.0.103 ``find`` pandas path, per query (see module docs)."""
    import pandas as pd
    from deepface.modules import verification

    representations = [{"identity": f"db/{i}.jpg", "hash": f"{i:x}", "embedding": e,
                        "target_x": 0, "target_y": 0, "target_w": 150, "target_h": 150}
                       for i, e in enumerate(gallery.astype(np.float64).tolist())]
    df = pd.DataFrame(representations)
    threshold = verification.find_threshold("Dlib", "cosine")
    found = np.empty((len(queries), K), np.int64)
    start = time.perf_counter()
    for qi, target in enumerate(queries.astype(np.float64).tolist()):
        result_df = df.copy()
        result_df["threshold"] = threshold
        for col in ("source_x", "source_y", "source_w", "source_h"):
            result_df[col] = 0
        distances, confidences = [], []
        for _, instance in df.iterrows():
            source = instance["embedding"]
            if source is None:
                distances.append(float("inf"))
                confidences.append(0.0)
                continue
            if len(list(target)) != len(list(source)):
                raise ValueError("dimension mismatch")
            distance = float(verification.find_distance(source, target, "cosine"))
            confidences.append(verification.find_confidence(
                distance=distance, model_name="Dlib", distance_metric="cosine",
                verified=bool(distance <= threshold)))
            distances.append(distance)
        result_df["distance"] = distances
        result_df["confidence"] = confidences
        result_df = result_df.drop(columns=["embedding"])
        result_df = result_df.sort_values(by=["distance"], ascending=True).reset_index(drop=True)
        result_df = result_df.head(K)
        found[qi] = [int(p.split("/")[1].split(".")[0]) for p in result_df["identity"]]
    ms = (time.perf_counter() - start) * 1000 / len(queries)
    del df, representations
    gc.collect()
    return found, ms


def deepface_dict(gallery: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, float]:
    """deepface 0.0.103 ``find(return_type='dict', similarity_search=True)``, per query."""
    from deepface.modules import verification

    n = len(gallery)
    embeddings = gallery.astype(np.float64)
    valid_mask = np.ones(n, bool)
    data = {"identity": np.array([f"db/{i}.jpg" for i in range(n)]),
            "hash": np.array([f"{i:x}" for i in range(n)]),
            "target_x": np.zeros(n, int), "target_y": np.zeros(n, int),
            "target_w": np.full(n, 150), "target_h": np.full(n, 150)}
    found = np.empty((len(queries), K), np.int64)
    start = time.perf_counter()
    for qi, q in enumerate(queries.astype(np.float64)):
        distances = verification.find_distance(embeddings, q[None], "cosine")
        distances[:, ~valid_mask] = np.inf
        target_distances, threshold = distances[0], np.inf
        result_data = dict(data)
        result_data.update({"source_x": np.full(n, 0), "source_y": np.full(n, 0),
                            "source_w": np.full(n, 0), "source_h": np.full(n, 0),
                            "threshold": np.full(n, threshold), "distance": target_distances})
        mask = target_distances <= threshold
        filtered = {key: value[mask] for key, value in result_data.items()}
        order = np.argsort(filtered["distance"])
        sorted_data = {key: value[order] for key, value in filtered.items()}
        dicts = [{key: sorted_data[key][i] for key in sorted_data}
                 for i in range(len(sorted_data["distance"]))][:K]
        for d in dicts:
            d["confidence"] = verification.find_confidence(
                distance=float(d["distance"]), model_name="Dlib", distance_metric="cosine",
                verified=bool(d["distance"] <= d["threshold"]))
        found[qi] = [int(d["identity"].split("/")[1].split(".")[0]) for d in dicts]
    ms = (time.perf_counter() - start) * 1000 / len(queries)
    return found, ms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--hnsw-m", type=int, default=32)
    parser.add_argument("--ef-construction", type=int, default=128)
    parser.add_argument("--ef-search", type=int, nargs="+", default=[256, 512, 768])
    parser.add_argument("--pandas-queries", type=int, default=2)
    parser.add_argument("--dict-queries", type=int, default=5)
    parser.add_argument("--pandas-max", type=int, default=100_000,
                        help="largest gallery the pandas path runs on; beyond, extrapolate")
    parser.add_argument("--ivf", type=int, nargs="*", default=[],
                        help="also IVF-Flat with this many lists (nprobe from --nprobe)")
    parser.add_argument("--nprobe", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--build-threads", type=int, default=2)
    parser.add_argument("--skip-deepface", action="store_true",
                        help="only exact and the FAISS indexes (the DeepFace paths are slow)")
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    # One query at a time on one core: the latency an analyst sees, free of BLAS threads
    # fighting over a shared machine.
    threadpool_limits(1)
    import faiss

    faiss.omp_set_num_threads(args.build_threads)
    print(f"load average at start: {open('/proc/loadavg').read().split()[:3]}")

    print(f"{'N':>9} {'method':<22} {'ms/query':>10} {'recall@10':>10} {'build s':>8} "
          f"{'deepface-pandas / this':>23} {'deepface-dict / this':>21}")
    for n in args.sizes:
        gallery, queries = synthetic_faces(n, args.queries, seed=n)
        truth, exact_ms = exact_search(gallery, queries)
        rows = [{"method": "exact (numpy)", "ms": exact_ms, "recall": 1.0, "build_s": 0.0}]
        rows += hnsw(gallery, queries, truth, args.hnsw_m, args.ef_construction, args.ef_search)
        for nlist in args.ivf:
            rows += ivf(gallery, queries, truth, nlist, args.nprobe)

        if args.skip_deepface:
            for row in rows:
                print(f"{n:>9} {row['method']:<22} {row['ms']:>10.3f} {row['recall']:>10.4f} "
                      f"{row['build_s']:>8.1f}", flush=True)
            continue
        nd = args.dict_queries
        dict_found, dict_ms = deepface_dict(gallery, queries[:nd])
        assert recall(dict_found, truth[:nd]) > 0.999, "deepface-dict disagrees with exact"
        npq = args.pandas_queries
        if n <= args.pandas_max:
            pd_found, pandas_ms = deepface_pandas(gallery, queries[:npq])
            assert recall(pd_found, truth[:npq]) > 0.999, "deepface-pandas disagrees with exact"
            pandas_note = ""
        else:
            part = gallery[: args.pandas_max]
            _, slice_ms = deepface_pandas(part, queries[:npq])
            pandas_ms = slice_ms * n / args.pandas_max
            pandas_note = " (extrapolated)"
        for row in rows:
            print(f"{n:>9} {row['method']:<22} {row['ms']:>10.3f} {row['recall']:>10.4f} "
                  f"{row['build_s']:>8.1f} {pandas_ms / row['ms']:>23.0f} "
                  f"{dict_ms / row['ms']:>21.0f}")
        print(f"{n:>9} {'deepface-pandas':<22} {pandas_ms:>10.1f}{pandas_note} "
              f"({npq} queries)")
        print(f"{n:>9} {'deepface-dict':<22} {dict_ms:>10.1f} ({nd} queries)", flush=True)
        del gallery, queries
        gc.collect()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
