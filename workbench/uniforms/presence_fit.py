"""Fit the uniform presence model on the fit split of the real photos labelled by eye.

Usage::

    python -m workbench.uniforms.presence_fit --out workbench/uniforms/presence.json

Reads ``tests/data/uniforms_real`` (split ``fit`` only, never ``check``), runs the body
reader on each photo (model outputs cached, see :mod:`workbench.uniforms.realset`), and
writes the coefficients of :mod:`workbench.uniforms.presence` where ``--out`` says.
Kept apart from the model itself so the reader never imports the measurement code.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from workbench.uniforms.presence import fit_models


def _fit_split_cues() -> list[tuple[dict[str, Any], dict[str, float]]]:
    """The fit split's labels with the body reader's cues (model outputs cached)."""
    from workbench.uniforms import realset

    shared = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "faces"
    prepared = realset.prepare(realset.load_labels(split="fit"), shared)
    out = []
    for p in prepared:
        person = realset.body_reader(p)
        cues = dict((person.uniform or {}).get("cues", {})) if person is not None else {}
        out.append((p.label, cues))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fit the uniform presence model on the "
                                     "fit split of tests/data/uniforms_real")
    parser.add_argument("--out", required=True, help="JSON file to write")
    args = parser.parse_args(argv)
    models = fit_models(_fit_split_cues())
    doc = {"format": 1, "fitted_on": "tests/data/uniforms_real split=fit",
           "models": {k: m.as_dict() for k, m in models.items()}}
    Path(args.out).write_text(json.dumps(doc, indent=1) + "\n")
    print(json.dumps(doc, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
