"""Score a case: evaluate the rules over stored faces, signals and hits, store the hits.

No model runs here, so re-scoring after a rule edit is cheap. The rules file is copied into
the case (``criteria/rules-<version>-<sha>.yaml``) and named in the :class:`Run`, so every
hit can be traced to the exact rules that produced it.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.criteria.apply import Inputs, evaluate, faces_frame
from workbench.criteria.rules import RuleSet, load_rules
from workbench.criteria.threshold import get_threshold, set_threshold
from workbench.store import Case
from workbench.store.evidence import image_ids
from workbench.store.faces import load_rule_faces
from workbench.store.hits import input_hits
from workbench.store.signals import read_signals
from workbench.types import Faces, Hit, Run

RULES_DIR = "criteria"


@dataclass(frozen=True)
class ScoreResult:
    """What a scoring run did.

    Attributes:
        run_id: the ``score`` run.
        rules_version: ``<version>+<sha12>`` of the rules used.
        rules_copy: the copy of the rules file inside the case.
        faces: faces evaluated.
        images: images evaluated.
        hits: hits stored.
        by_rule: hits per rule.
        queued: hits at or above the review threshold.
        threshold: the review threshold.
        seconds: wall time of the whole scoring (read, evaluate, store).
        timings: wall seconds of each step: ``read``, ``evaluate``, ``store``.
        without_explicit_scan: images with no explicit-content score (rules on the
            ``explicit`` signal cannot fire there until ``workbench explicit`` runs).
    """

    run_id: str
    rules_version: str
    rules_copy: str
    faces: int
    images: int
    hits: int
    by_rule: dict[str, int] = field(default_factory=dict)
    queued: int = 0
    threshold: float = 0.3
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    without_explicit_scan: int = 0


def copy_rules_into_case(case: Case, rules: RuleSet) -> Path:
    """Keep the exact rules text with the case (written once per distinct content)."""
    folder = case.path / RULES_DIR
    folder.mkdir(exist_ok=True)
    safe_version = "".join(c if c.isalnum() or c in "-_." else "_" for c in rules.version)
    target = folder / f"rules-{safe_version}-{rules.sha256[:12]}.yaml"
    if not target.exists():
        target.write_text(rules.text, encoding="utf-8")
    return target


# Always read: the queue shows the age and its uncertainty, and p_minor derives from them.
AGE_COLUMNS = ("age", "age_std", "p_minor")


def build_inputs(case: Case, rules: RuleSet | None = None) -> Inputs:
    """Gather the rule inputs of a case from its store (only the attributes rules read)."""
    columns = None if rules is None else rules.attributes() | set(AGE_COLUMNS)
    faces = load_rule_faces(case, columns)
    return Inputs(faces=faces_frame(faces), signals=read_signals(case),
                  hits=input_hits(case), images=image_ids(case))


def score_hits(rules: RuleSet, faces: Faces, signals: pd.DataFrame | None = None,
               hits: pd.DataFrame | None = None, run_id: str = "") -> list[Hit]:
    """Evaluate rules on in-memory inputs (no case needed): the pure core of scoring.

    Args:
        rules: the rule set.
        faces: faces with the engine's attribute columns.
        signals: ``evidence_id, name, value`` rows (e.g. ``explicit``), or None.
        hits: ``evidence_id, face_id, kind, score`` rows of existing hits, or None.
        run_id: stamped on each hit.
    """
    signals = pd.DataFrame(columns=["evidence_id", "name", "value"]) if signals is None else signals
    hits = pd.DataFrame(columns=["evidence_id", "face_id", "kind", "score"]) if hits is None \
        else hits
    inputs = Inputs(faces=faces_frame(faces), signals=signals, hits=hits)
    return evaluate(rules, inputs, run_id=run_id)


def score_case(
    case: Case, rules: RuleSet | str | Path | None = None, threshold: float | None = None,
) -> ScoreResult:
    """Score every face and image of ``case`` and replace its earlier criterion hits.

    Args:
        case: an open case.
        rules: a loaded rule set, a path to a rules YAML file, or None for the defaults.
        threshold: if given, becomes the case's review threshold (audited).

    Returns:
        A :class:`ScoreResult`. Review decisions are untouched: they are kept under the
        hit's id (rule, image and face), and hold while the evidence behind them is
        unchanged.
    """
    ruleset = rules if isinstance(rules, RuleSet) else load_rules(rules)
    copy = copy_rules_into_case(case, ruleset)
    if threshold is not None:
        set_threshold(case, threshold)
    run = Run.start(
        "score", models={"rules": ruleset.version_id},
        params={"rules_source": ruleset.source, "rules_copy": str(copy.relative_to(case.path)),
                "rules_sha256": ruleset.sha256, "rules_version": ruleset.version},
    )
    with case.recording(run) as rec:
        t0 = time.perf_counter()
        inputs = build_inputs(case, ruleset)
        t1 = time.perf_counter()
        hits = evaluate(ruleset, inputs, run_id=run.id)
        t2 = time.perf_counter()
        case.add_hits(hits, replace={"kind": "criterion"})
        t3 = time.perf_counter()
        current = get_threshold(case)
        result = ScoreResult(
            run_id=run.id, rules_version=ruleset.version_id, rules_copy=str(copy),
            faces=len(inputs.faces), images=inputs.n_images, hits=len(hits),
            by_rule=dict(Counter(h.source for h in hits)),
            queued=sum(h.score >= current for h in hits), threshold=current,
            seconds=round(t3 - t0, 3),
            timings={"read": round(t1 - t0, 3), "evaluate": round(t2 - t1, 3),
                     "store": round(t3 - t2, 3)},
            without_explicit_scan=int(np.isnan(inputs.signal("explicit")).sum()),
        )
        rec.summary.update(hits=result.hits, queued=result.queued, by_rule=result.by_rule)
    return result
