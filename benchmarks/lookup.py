"""Cost of one missing-person lookup per case face, against the registry's size.

Usage:
    python benchmarks/lookup.py [--records 2000 20000] [--faces 300]

A SQLite registry of synthetic records (alternating sex, ages 5-16) with one random unit
128-D embedding each is built in a temporary folder; then ``search_face`` runs for
``--faces`` random faces (a girl of about 10) with the default lookup settings, as
``workbench lookup`` does for each face of a case. Printed per size: milliseconds per face
and faces per second, beside the record-filter mask built the way it was before this
benchmark existed (``np.isin`` over the photos' record-id strings), timed in the same run:
that mask alone once cost ~20 ms a face at 2,000 records.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "missing"))


def measure(n_records: int, n_faces: int) -> dict[str, float]:
    from helpers import KEY, person, unit  # the registry tests' synthetic records

    from workbench.missing.backends import open_registry
    from workbench.missing.lookup import FaceQuery, LookupSettings, RecordFilter, search_face
    from workbench.missing.records import RegistryPhoto

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp, open_registry(str(Path(tmp) / "reg")) as reg:
        records = [person(i, sex="female" if i % 2 else "male", age=float(5 + i % 12))
                   for i in range(n_records)]
        reg.upsert(records)
        for i, (record, vector) in enumerate(zip(records, unit(rng, n_records), strict=True)):
            reg.add_photo(RegistryPhoto(record.id, KEY, sha256=f"{i:064x}"), vector)
        settings = LookupSettings()
        table = RecordFilter(reg.records(), settings, None)
        reg.search(unit(rng, 1), KEY, 10)   # build the vector index once, as a long run does
        queries = [FaceQuery(embedding=v, embedding_key=KEY, face_id=str(i), age=10.0,
                             age_std=3.0, sex="female", sex_confidence=0.9)
                   for i, v in enumerate(unit(rng, n_faces))]
        started = time.perf_counter()
        for query in queries:
            search_face(reg, query, None, settings, table)
        per_face = (time.perf_counter() - started) / n_faces
        owners = np.array([r.id for r in records], dtype=object)
        half = [r.id for r in records[::2]]
        started = time.perf_counter()
        for _ in range(20):
            np.isin(owners, np.asarray(half, dtype=object))
        string_mask = (time.perf_counter() - started) / 20
    return {"per_face_ms": 1000 * per_face, "string_mask_ms": 1000 * string_mask}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--faces", type=int, default=300)
    args = parser.parse_args(argv)
    print(f"{'records':>8} {'ms/face':>8} {'faces/s':>8} {'string-mask ms (old filter)':>28}")
    for n in args.records:
        got = measure(n, args.faces)
        print(f"{n:8d} {got['per_face_ms']:8.2f} {1000 / got['per_face_ms']:8.0f} "
              f"{got['string_mask_ms']:28.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
