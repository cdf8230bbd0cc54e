"""Benchmark the uniform readers on real photos labelled by eye and on drawn garments.

Usage:
    python benchmarks/uniforms.py [--split check] [--attributes 300] [--queries 200]

One run, two readers side by side: ``face`` (regions placed from face geometry, the
earlier reader) and ``body`` (regions from the person mask and body pose, white balance,
uniform decision first; the default of ``workbench uniforms``).

* **real**: ``tests/data/uniforms_real`` (175 photos labelled by eye; rules in its
  LABELLING.md). Reported on the ``check`` split, which no threshold was set on
  (``--split fit`` shows the split the reader was developed on). Uniform decision,
  item presence, colour (main colour among the label's names, on items present in label
  and reading) and pattern.
* **drawn**: constructed photos (real LFW faces, garments of known colour and pattern
  drawn below): per-attribute accuracy, and the end-to-end rank of the true school
  among the 4,337 sample schools (top-3, ties counted fairly, with and without a geotag).

Writes ``artifacts/uniforms_benchmark.json``. The drawn query photos are kept in
``artifacts/uniforms_queries*.json`` and reused while seed and count are unchanged; the
body-model outputs of the real photos are cached under ``~/.cache/workbench``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"


def _weighted(table: dict[str, Any], suffix: str) -> dict[str, float] | None:
    """Accuracy pooled over every item's ``<item>.<suffix>`` rows."""
    rows = [v for k, v in table.items() if k.endswith("." + suffix)]
    n = sum(r["n"] for r in rows)
    if not n:
        return None
    return {"accuracy": round(sum(r["accuracy"] * r["n"] for r in rows) / n, 3), "n": n}


def real_set(split: str) -> dict[str, Any]:
    from workbench.uniforms import realset

    photos = realset.load_labels(split=split)
    prepared = realset.prepare(photos, SHARED / "faces")
    plain = [p["items"][i]["pattern"] == "plain" for p in photos if p["torso_visible"]
             for i in realset.LABEL_ITEMS if p["items"].get(i) and p["items"][i]["present"]]
    out: dict[str, Any] = {"split": split, "photos": len(photos),
                           "plain_share_of_labelled_items": round(sum(plain) / len(plain), 3)}
    for name, reader in (("face", realset.face_reader), ("body", realset.body_reader)):
        out[name] = realset.score(prepared, reader)
    return out


def _reader_code() -> str:
    """SHA-256 of the uniform readers' code and fitted files: cached readings are only
    reused by the very code that made them (a version string someone must remember to
    bump once left a stale cache in place)."""
    import hashlib

    digest = hashlib.sha256()
    package = REPO / "workbench" / "uniforms"
    for path in sorted([*package.glob("*.py"), *package.glob("*.json")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def drawn_set(n_attributes: int, n_queries: int, seed: int) -> dict[str, Any]:
    from workbench.eval.uniform_queries import (
        BodyObserver,
        draw_queries,
        load_queries,
        observe,
        save_queries,
    )
    from workbench.eval.uniforms import evaluate_attributes, evaluate_search, face_paths
    from workbench.schools.registry import load_registry
    from workbench.uniforms.synthetic import FaceSource

    source = FaceSource(face_paths(SHARED))
    schools = load_registry(None)
    out: dict[str, Any] = {}
    from workbench.uniforms.extract import METHOD as FACE_METHOD
    from workbench.uniforms.reader import METHOD as BODY_METHOD

    code = _reader_code()
    for name, observer, file, method in (
            ("face", observe, "uniforms_queries.json", FACE_METHOD),
            ("body", BodyObserver(), "uniforms_queries_body.json", BODY_METHOD)):
        result: dict[str, Any] = {}
        if n_attributes:
            attrs = evaluate_attributes(source, n_attributes, seed, observer=observer)
            result["attributes"] = attrs
            table = attrs["accuracy"]
            result["pooled"] = {k: _weighted(table, k) for k in
                                ("present", "colour_main", "colour_top1_in_truth", "pattern")}
        if n_queries:
            path = REPO / "artifacts" / file
            queries, meta = None, {}
            if path.is_file():
                queries, meta = load_queries(path)
                if (meta.get("seed") != seed + 1 or meta.get("n") != n_queries
                        or meta.get("method") != method or meta.get("code") != code):
                    queries = None      # drawn with other settings or read by another reader
            if queries is None:
                queries, skipped = draw_queries(source, schools, n_queries, seed=seed + 1,
                                                observer=observer)
                meta = {"seed": seed + 1, "n": n_queries, "skipped": skipped, "reader": name,
                        "method": method, "code": code}
                save_queries(queries, path, meta)
            result["search"] = evaluate_search(source, schools, n_queries, queries=queries)
            result["search"]["skipped"] = meta.get("skipped", 0)
        out[name] = result
    return out


def headline(report: dict[str, Any]) -> str:
    """The comparison the README quotes, one line per figure."""
    pct = lambda x: "   -  " if x is None else f"{100 * x:5.1f}%"  # noqa: E731
    lines = ["uniform readers              face     body"]
    real = report.get("real")
    if real:
        lines.append(f"real photos, {real['split']} split ({real['photos']} photos; "
                     f"{100 * real['plain_share_of_labelled_items']:.0f}% of labelled items "
                     "plain)")
        for key, label in (("uniform", "uniform present"), ("presence", "item presence"),
                           ("colour", "colour (items in both)"),
                           ("colour_of_labelled", "colour (all labelled)"),
                           ("pattern", "pattern")):
            a, b = (real[r]["accuracy"].get(key, {}) for r in ("face", "body"))
            lines.append(f"  {label:26s} {pct(a.get('accuracy'))}  {pct(b.get('accuracy'))}"
                         f"   (n {a.get('n', 0)} / {b.get('n', 0)})")
    drawn = report.get("drawn")
    if drawn:
        lines.append("drawn garments")
        for key, label in (("present", "item presence"), ("colour_main", "colour"),
                           ("pattern", "pattern")):
            a, b = ((drawn[r].get("pooled") or {}).get(key) or {} for r in ("face", "body"))
            lines.append(f"  {label:26s} {pct(a.get('accuracy'))}  {pct(b.get('accuracy'))}")
        if "search" in drawn["face"]:
            for key, label in (("uniform only", "school top-3, uniform only"),):
                a, b = (drawn[r]["search"][key]["top3_fair"] for r in ("face", "body"))
                lines.append(f"  {label:26s} {pct(a)}  {pct(b)}")
            geo = [next(v for k, v in drawn[r]["search"].items()
                        if k.startswith("uniform + geotag"))["top3_fair"]
                   for r in ("face", "body")]
            lines.append(f"  {'school top-3, with geotag':26s} {pct(geo[0])}  {pct(geo[1])}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="check", choices=["check", "fit", "all"],
                        help="real-photo split to report (default: check)")
    parser.add_argument("--attributes", type=int, default=300, help="drawn photos for accuracy")
    parser.add_argument("--queries", type=int, default=200, help="drawn school-search queries")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    start = time.perf_counter()
    report: dict[str, Any] = {"real": real_set(args.split)}
    if args.attributes or args.queries:
        report["drawn"] = drawn_set(args.attributes, args.queries, args.seed)
    report["seconds"] = round(time.perf_counter() - start, 1)
    out = REPO / "artifacts" / "uniforms_benchmark.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(headline(report))
    print(f"written to {out} ({report['seconds']} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
