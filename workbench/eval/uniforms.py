"""Measure the uniform chain on constructed photos whose truth is known.

* :func:`evaluate_attributes` - per-attribute accuracy (presence, colour, pattern per item)
  and the colour confusion counts, on composites of random invented uniforms.
* :func:`evaluate_search` - end to end (image -> face detector -> attributes -> search):
  the rank of the true school among the registry, with and without a geographic prior,
  ties counted fairly, against the registry's information limit.

Run ``python -m workbench.eval.uniforms --help``. Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from workbench.eval.uniform_queries import observe
from workbench.uniforms.attributes import person_attributes
from workbench.uniforms.palette import COLOUR_NAMES
from workbench.uniforms.regions import ITEMS
from workbench.uniforms.synthetic import FaceSource, make_composite


def face_paths(shared_data: Path, limit: int = 600) -> list[Path]:
    """LFW development faces (sorted, first ``limit``) - the faces composites are built on."""
    paths = sorted((shared_data / "faces" / "lfw-dev" / "images").glob("*/*.jpg"))
    return paths[:limit]


def evaluate_attributes(source: FaceSource, n: int, seed: int = 0,
                        observer: Callable[[FaceSource, np.ndarray], Any] = observe
                        ) -> dict[str, Any]:
    """Per-attribute accuracy over ``n`` composites of random invented uniforms.

    ``observer`` is the reader measured (face geometry by default; a
    :class:`~workbench.eval.uniform_queries.BodyObserver` for the body reader).
    """
    from workbench.schools.invent import invent_uniform

    hits: dict[str, list[bool]] = defaultdict(list)
    confusion = np.zeros((len(COLOUR_NAMES), len(COLOUR_NAMES)), dtype=int)
    undetected = 0
    for k in range(n):
        rng = np.random.default_rng([seed, k])
        uniform = invent_uniform(rng, str(rng.choice(["ELEMENTARY", "HIGH"])))
        comp = make_composite(source, uniform, seed=seed * 100_003 + k,
                              show_lower=bool(rng.random() < 0.5))
        person = observer(source, comp.image) if comp else None
        if person is None:
            undetected += 1
            continue
        for item in ITEMS:
            obs, truth = person.items[item], comp.truth.get(item)
            if item == "lower" and not comp.meta["show_lower"]:
                hits["lower.reported_not_visible"].append(obs.present is None)
                continue
            hits[f"{item}.present"].append(bool(obs.present) == (truth is not None))
            if truth is None or not obs.present:
                continue
            hits[f"{item}.colour_main"].append(truth["colours"][0] in obs.colours[:2])
            hits[f"{item}.colour_top1_in_truth"].append(obs.colours[0] in truth["colours"])
            hits[f"{item}.pattern"].append(obs.pattern == truth["pattern"])
            if truth["pattern"] == "plain":
                confusion[COLOUR_NAMES.index(truth["colours"][0]),
                          COLOUR_NAMES.index(obs.colours[0])] += 1
    table = {k: {"accuracy": round(float(np.mean(v)), 3), "n": len(v)}
             for k, v in sorted(hits.items())}
    return {"composites": n, "no_face_found": undetected, "accuracy": table,
            "colour_confusion": {"names": list(COLOUR_NAMES), "counts": confusion.tolist()}}


def evaluate_search(source: FaceSource, schools: Sequence[Any], n: int, seed: int = 1,
                    geotag_km: float = 15.0, queries: Sequence[Any] | None = None
                    ) -> dict[str, Any]:
    """End-to-end ranks of the true school for ``n`` queries with >= 2 visible items.

    Top-3 shares are given three ways (:mod:`workbench.eval.school_metrics`): *fair* (expected
    under a random order within the truth's tie group - the honest figure), ties against
    and ties for; with the tie-free ceiling (a flawless reader, Bayes-optimal ranking:
    the registry's information limit) and the split of the miss into information limit,
    ranking and extraction. ``queries`` reuses a drawn set (see
    :mod:`workbench.eval.uniform_queries`).
    """
    from workbench.eval.school_metrics import decompose, summarise, tie_rank
    from workbench.eval.uniform_queries import draw_queries
    from workbench.schools.search import GeoPrior, log_likelihoods

    skipped = 0
    if queries is None:
        queries, skipped = draw_queries(source, schools, n, seed=seed, geotag_km=geotag_km)
    index = {s.id: i for i, s in enumerate(schools)}
    split = decompose(queries, schools, log_likelihoods)
    geo = [tie_rank(log_likelihoods(q.observation, schools,
                                    GeoPrior(near=tuple(q.geotag), scale_km=25.0)),
                    index[q.school_id]) for q in queries]
    return {"queries": len(queries), "skipped": skipped, "schools": len(schools),
            f"uniform + geotag within {geotag_km:g} km": summarise(geo),
            "uniform only": split["ranker_on_extracted_attributes"],
            "tie-free ceiling (flawless reading)": split["ceiling_perfect_attributes"],
            "ranker on flawless reading": split["ranker_on_perfect_attributes"],
            "unique_uniform_share": split["unique_uniform_share"],
            "queries_with_an_extraction_error": split["queries_with_an_extraction_error"],
            "uniform-only top3 miss split": split["loss_split"]}


def evaluate_real(paths: Sequence[Path], max_side: int = 1600) -> dict[str, Any]:
    """What the extractor says on real photos (no truth): items seen and score spread.

    Faces come from dlib's HOG detector with 68 landmarks (the face engine's default).
    """
    import dlib

    from workbench.errors import WorkbenchError
    from workbench.ingest.images import load_rgb
    from workbench.uniforms.synthetic import _predictor_68

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(_predictor_68())
    scores: list[float] = []
    present: dict[str, int] = defaultdict(int)
    visible: dict[str, int] = defaultdict(int)
    colours: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    images = unreadable = with_faces = 0
    for path in paths:
        try:
            rgb = load_rgb(path, max_side=max_side)
        except WorkbenchError:
            unreadable += 1
            continue
        images += 1
        rects = detector(rgb, 1)
        with_faces += bool(rects)
        for rect in rects:
            pts = np.array([[p.x, p.y] for p in predictor(rgb, rect).parts()], np.float32)
            box = np.array([rect.left(), rect.top(), rect.right(), rect.bottom()], np.float32)
            person = person_attributes(rgb, box, pts)
            scores.append(person.uniform_score)
            for item, a in person.items.items():
                visible[item] += a.present is not None
                present[item] += bool(a.present)
                if a.present and a.colours:
                    colours[item][a.colours[0]] += 1
    s = np.array(scores) if scores else np.zeros(0)
    return {"images": images, "unreadable": unreadable, "images_with_faces": with_faces,
            "faces": len(scores),
            "uniform_score": {"mean": round(float(s.mean()), 3) if len(s) else None,
                              "share_ge_0.5": round(float((s >= 0.5).mean()), 3) if len(s)
                              else None},
            "visible": dict(visible), "present": dict(present),
            "top_colours": {k: dict(sorted(v.items(), key=lambda kv: -kv[1])[:3])
                            for k, v in colours.items()}}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared-data", default="../shared/data")
    parser.add_argument("--attributes", type=int, default=300, help="composites for accuracy")
    parser.add_argument("--queries", type=int, default=200, help="end-to-end search queries")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--registry", help="registry CSV (default: the sample)")
    parser.add_argument("--queries-file",
                        help="reuse this query set (JSON) if it exists, else draw and save it")
    parser.add_argument("--real", action="store_true",
                        help="also run on the real labelled photos and the EXIF landscapes")
    args = parser.parse_args(argv)
    source = FaceSource(face_paths(Path(args.shared_data)))
    report: dict[str, Any] = {}
    if args.attributes:
        report["attributes"] = evaluate_attributes(source, args.attributes, args.seed)
    if args.queries:
        from workbench.eval.uniform_queries import draw_queries, load_queries, save_queries
        from workbench.schools.registry import load_registry

        schools = load_registry(args.registry)
        queries, meta = None, {}
        if args.queries_file and Path(args.queries_file).is_file():
            queries, meta = load_queries(args.queries_file)
            if meta.get("seed") != args.seed + 1 or meta.get("n") != args.queries:
                queries = None      # drawn with other settings: draw again
        if queries is None:
            queries, skipped = draw_queries(source, schools, args.queries, seed=args.seed + 1)
            meta = {"seed": args.seed + 1, "n": args.queries, "skipped": skipped}
            if args.queries_file:
                save_queries(queries, args.queries_file, meta)
        report["search"] = evaluate_search(source, schools, args.queries, queries=queries)
        report["search"]["skipped"] = meta.get("skipped", 0)
    if args.real:
        shared = Path(args.shared_data)
        suffixes = {".jpg", ".jpeg", ".png"}
        labelled = sorted(p for p in (shared / "faces" / "labelled").rglob("*")
                          if p.suffix.lower() in suffixes)
        exif = sorted(p for p in (shared / "exif").rglob("*") if p.suffix.lower() in suffixes)
        report["real_labelled"] = evaluate_real(labelled)
        report["real_lfw_first_300"] = evaluate_real(face_paths(shared, 300))
        report["exif_camera_files"] = evaluate_real(exif)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
