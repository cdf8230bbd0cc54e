"""Learn the school search's observation model from a held-out split of constructed photos.

The search needs ``P(what the extractor reports | what the pupil wore)`` per item: how a
worn or absent item is reported (present or absent, at what confidence), how colours are
named (navy read as black...), how many colour names a fabric yields, and how patterns
are read. Those are counted here on composites of random *invented* uniforms drawn from a
seed range of their own (the calibration split), never on the query split the figures
are reported on.

Run ``python -m workbench.eval.uniform_calibration --composites 600 --out FILE``; the table is
written where ``--out`` says (never into the installed package on its own): to replace the
shipped table, give ``--out workbench/schools/calibration.json`` in a checkout.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from workbench.schools.observation import (
    CERTAINTY,
    MAX_NAMES,
    PRESENCE_CONDITIONS,
    PRESENCE_SYMBOLS,
    certainty_of,
    presence_condition,
    presence_symbol,
)
from workbench.uniforms.palette import COLOUR_NAMES
from workbench.uniforms.pattern import PATTERNS
from workbench.uniforms.regions import ITEMS

# Composite seeds of the calibration split: far from the query split's (seed * 1_000_003 + k
# for small seeds), so no photo is shared.
CALIBRATION_SEED_BASE = 900_000_000
CALIBRATION_FILE = Path(__file__).resolve().parents[1] / "schools" / "calibration.json"
def collect(source: Any, n: int, seed_base: int = CALIBRATION_SEED_BASE) -> list[dict[str, Any]]:
    """One record per visible item of ``n`` composites: what was worn, what was read."""
    from workbench.eval.uniform_queries import observe
    from workbench.schools.invent import invent_uniform
    from workbench.uniforms.synthetic import make_composite

    records: list[dict[str, Any]] = []
    for k in range(n):
        rng = np.random.default_rng([seed_base, k])
        uniform = invent_uniform(rng, str(rng.choice(["ELEMENTARY", "MIDDLE", "HIGH"])))
        worn = {i: s for i, s in uniform.items() if not s.get("optional") or rng.random() < 0.5}
        show_lower = bool(rng.random() < 0.5)
        comp = make_composite(source, worn, seed=seed_base + k, show_lower=show_lower)
        person = observe(source, comp.image) if comp else None
        if person is None:
            continue
        for item in ITEMS:
            a = person.items[item]
            if a.present is None or (item == "lower" and not show_lower):
                continue
            spec = worn.get(item)
            records.append({"item": item, "worn": spec is not None,
                            "shirt": worn.get("shirt"), "jumper": worn.get("jumper"),
                            "truth_colours": list(spec["colours"]) if spec else [],
                            "truth_pattern": spec.get("pattern", "plain") if spec else None,
                            "present": a.present, "confidence": float(a.confidence),
                            "colours": list(a.colours), "pattern": a.pattern,
                            "pattern_confidence": float(a.pattern_confidence)})
    return records


def fit(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Count tables from calibration records (add-one smoothing is left to the search).

    Returns:
        ``presence[item][condition][symbol]`` (:func:`presence_condition`),
        ``colour_counts[true][observed]`` (each observed name paired with the worn colour
        it came from, or counted as ``extra`` when the item has no such colour),
        ``n_colours[item][certainty][n_true][n_observed]`` and
        ``pattern_counts[item][certainty][true][observed]``, where certainty is ``sure``
        or ``unsure`` from the presence reading: an unsure reading (mixed pixels) names
        more colours and finds patterns more often; ``shape_counts[item][certainty]
        ["n_true|pattern"]`` counts names read (1-3, rows) and pattern read (columns)
        together, because the two fail together (a stripe colour that is not named is
        also a stripe that is not seen).
    """
    c = len(COLOUR_NAMES)
    presence = {i: {w: dict.fromkeys(PRESENCE_SYMBOLS, 0)
                    for w in PRESENCE_CONDITIONS.get(i, ("worn", "not"))} for i in ITEMS}
    colour_counts = np.zeros((c, c), dtype=int)
    extra = np.zeros(c, dtype=int)
    n_colours = {i: {c: {str(t): [0, 0, 0, 0] for t in (1, 2)} for c in CERTAINTY}
                 for i in ITEMS}
    shapes: dict[str, dict[str, dict[str, np.ndarray]]] = {i: {c: {} for c in CERTAINTY}
                                                           for i in ITEMS}
    patterns = {i: {c: np.zeros((len(PATTERNS), len(PATTERNS)), dtype=int) for c in CERTAINTY}
                for i in ITEMS}
    for r in records:
        symbol = presence_symbol(r["present"], r["confidence"])
        condition = presence_condition(r["item"], r["truth_colours"] if r["worn"] else None,
                                       r.get("shirt"), r.get("jumper"),
                                       r.get("truth_pattern") or "plain")
        presence[r["item"]][condition][symbol] += 1
        if not (r["worn"] and r["present"]):
            continue
        truth = [COLOUR_NAMES.index(t) for t in r["truth_colours"]]
        seen = [COLOUR_NAMES.index(o) for o in r["colours"] if o in COLOUR_NAMES][:MAX_NAMES]
        certainty = certainty_of(symbol)
        n_colours[r["item"]][certainty][str(min(2, len(truth)))][len(seen)] += 1
        unused = list(truth)
        for j, o in enumerate(seen):
            if o in unused:
                t = o
            elif j == 0 or unused:
                # The first name always comes from the fabric; later ones from a worn colour
                # not yet named, else they are extra (shading, a neighbouring layer).
                t = (unused or truth)[0]
            else:
                extra[o] += 1
                continue
            colour_counts[t, o] += 1
            if t in unused:
                unused.remove(t)
        if r["pattern"] in PATTERNS and r["truth_pattern"] in PATTERNS:
            patterns[r["item"]][certainty][PATTERNS.index(r["truth_pattern"]),
                                           PATTERNS.index(r["pattern"])] += 1
            if seen:
                key = f"{min(2, len(truth))}|{r['truth_pattern']}"
                table = shapes[r["item"]][certainty].setdefault(
                    key, np.zeros((MAX_NAMES, len(PATTERNS)), dtype=int))
                table[len(seen) - 1, PATTERNS.index(r["pattern"])] += 1
    return {"names": list(COLOUR_NAMES), "patterns": list(PATTERNS),
            "presence_symbols": list(PRESENCE_SYMBOLS), "presence": presence,
            "colour_counts": colour_counts.tolist(), "extra_colour_counts": extra.tolist(),
            "n_colours": n_colours,
            "shape_counts": {i: {c: {k: m.tolist() for k, m in by.items()}
                                 for c, by in per.items()} for i, per in shapes.items()},
            "pattern_counts": {i: {c: m.tolist() for c, m in by.items()}
                               for i, by in patterns.items()},
            "records": len(records)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared-data", default="../shared/data")
    parser.add_argument("--composites", type=int, default=600)
    parser.add_argument("--records", help="also write the raw records (JSON) here")
    parser.add_argument("--from-records", help="fit from raw records instead of drawing")
    parser.add_argument("--out", required=True,
                        help="where to write the table (the shipped one is "
                        f"{CALIBRATION_FILE.relative_to(CALIBRATION_FILE.parents[2])})")
    args = parser.parse_args(argv)
    if args.from_records:
        records = json.loads(Path(args.from_records).read_text())
    else:
        from workbench.eval.uniforms import face_paths
        from workbench.uniforms.synthetic import FaceSource

        records = collect(FaceSource(face_paths(Path(args.shared_data))), args.composites)
        if args.records:
            Path(args.records).write_text(json.dumps(records))
    table = fit(records)
    table["composites"] = args.composites
    table["seed_base"] = CALIBRATION_SEED_BASE
    Path(args.out).write_text(json.dumps(table, indent=1))
    print(f"{len(records)} item records -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
