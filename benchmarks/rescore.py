"""Time to re-score 100,000 synthetic faces (no model runs: rules over stored attributes).

Two measurements:

* ``evaluate``: the rule engine alone on in-memory faces (what a rule edit costs).
* ``score_case``: the whole command on a case holding those faces in SQLite (read faces,
  signals and hits, evaluate, replace the stored criterion hits).

Usage: ``python benchmarks/rescore.py [--faces 100000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import numpy as np
import pandas as pd

from workbench.criteria import load_rules
from workbench.criteria.apply import Inputs, evaluate, faces_frame
from workbench.criteria.scoring import score_case
from workbench.criteria.synthetic import random_faces
from workbench.review import decide, queue_items
from workbench.store import Case
from workbench.store.signals import write_signals


def build_case(folder: str, faces_frame_: pd.DataFrame, seed: int) -> Case:
    """A case whose ``faces`` table holds the synthetic faces, plus explicit scores."""
    case = Case.init(folder, name="rescore-benchmark")
    images = faces_frame_["evidence_id"].unique()
    attrs = faces_frame_.drop(columns=["evidence_id", "x1", "y1", "x2", "y2", "confidence",
                                       "run_id", "face_id"])
    records = attrs.to_dict(orient="records")
    index = faces_frame_.groupby("evidence_id", sort=False).cumcount().to_numpy()
    with case.transaction() as conn:
        conn.executemany("INSERT INTO evidence (id, kind, added_at) VALUES (?, 'image', '')",
                         [(e,) for e in images])
        conn.executemany(
            "INSERT INTO faces (id, evidence_id, idx, x1, y1, x2, y2, confidence, attributes) "
            "VALUES (?, ?, ?, 10, 10, 110, 110, 0.99, ?)",
            [(f, e, int(i), json.dumps(r)) for f, e, i, r in zip(
                faces_frame_["face_id"], faces_frame_["evidence_id"], index, records,
                strict=True)])
    rng = np.random.default_rng(seed)
    write_signals(case, [(e, "explicit", float(rng.beta(0.3, 8)), {}) for e in images], None)
    return case


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    rules = load_rules()
    faces = random_faces(args.faces, seed=1)
    frame = faces_frame(faces)
    empty_signals = pd.DataFrame(columns=["evidence_id", "name", "value"])
    empty_hits = pd.DataFrame(columns=["evidence_id", "face_id", "kind", "score"])

    times, cpu = [], []
    for _ in range(args.repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        hits = evaluate(rules, Inputs(frame, empty_signals, empty_hits))
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    best = min(times)
    print(f"evaluate: {args.faces:,} faces, {len(rules)} rules -> {len(hits):,} hits in "
          f"{best:.3f} s wall, {min(cpu):.3f} s CPU (best of {args.repeat}) = "
          f"{args.faces / best:,.0f} faces/s")

    with tempfile.TemporaryDirectory() as folder:
        case = build_case(f"{folder}/case", frame, seed=2)
        results = []
        for _ in range(args.repeat):
            start_cpu = time.process_time()
            result = score_case(case, rules)
            results.append((result.seconds, time.process_time() - start_cpu, result))
        best, cpu_s, result = min(results, key=lambda r: r[0])
        print(f"score_case: {result.faces:,} faces in {result.images:,} images from SQLite -> "
              f"{result.hits:,} hits stored in {best:.3f} s wall, {cpu_s:.3f} s CPU (best of "
              f"{args.repeat}) = {result.faces / best:,.0f} faces/s; steps {result.timings}")
        start = time.perf_counter()
        items = queue_items(case)
        listed = time.perf_counter() - start
        start = time.perf_counter()
        decide(case, items[0].item, "dismiss", note="benchmark", who="benchmark")
        decided = time.perf_counter() - start
        print(f"review queue: {len(items):,} items at or above {result.threshold} listed in "
              f"{listed:.3f} s; one decision recorded in {decided:.3f} s")
        case.close()


if __name__ == "__main__":
    main()
