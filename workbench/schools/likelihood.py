"""The observation model of the school search: ``P(reading of one item | a school's item)``.

For each visible item the extractor reports presence (with a confidence), up to three
colour names by share, and a pattern. The likelihood of that reading under a school's
item description is built from tables counted on a held-out calibration split of
constructed photos (``calibration.json``, written by :mod:`workbench.eval.uniform_calibration`):

* presence: the reading binned (absent/present, sure/unsure, cannot tell) against whether
  the item was worn and what the school wears beneath it
  (:func:`workbench.eval.uniform_calibration.presence_condition`) - a tie of the shirt's colour
  goes unseen, a striped shirt passes for a striped tie, a blazer reported "cannot tell"
  is evidence for a blazer over a same-coloured jumper or a jumper alone (one pooled row:
  the same picture to the extractor) and against a blazer of another colour;
* colours: each name paired with a worn colour through a colour confusion (measured
  counts smoothed by a perceptual prior from CIE94 distances of the palette), names beyond
  the worn colours from an "extra name" distribution (shading, a neighbouring layer);
* shape: how many names were read and which pattern, jointly (they fail together: a
  stripe colour not named is a stripe not seen), by presence certainty; plain ties are
  read as striped about a quarter of the time.

Colour rows count at most :data:`MEASURED_WEIGHT` measured observations each, so the
perceptual prior keeps half the say: constructed photos are kinder than real cameras.
Readings a person made or corrected use :func:`certain_model` instead.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from workbench.schools.observation import (
    CERTAINTY,
    PRESENCE_SYMBOLS,
    presence_condition,
    presence_symbol,
)
from workbench.uniforms.palette import COLOUR_NAMES, delta_e94, name_centres
from workbench.uniforms.pattern import PATTERNS
from workbench.uniforms.regions import ITEMS

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
COLOUR_SIGMA = 9.0    # CIE94 distance at which a confusion is about 0.6x as likely as a hit
COLOUR_FLOOR = 0.01   # no confusion is impossible (odd light, dye, white balance)
PRIOR_WEIGHT = 20.0   # pseudo-observations of the perceptual prior per true colour
MEASURED_WEIGHT = 20.0  # at most this many measured observations count per row
CLOSE_COLOUR = 0.015  # P(observed | school colour) above which the explanation says "close"
# Used when no calibration file is present (a registry-only install): rounded measurements.
DEFAULT_PATTERN = np.array([
    [0.85, 0.07, 0.03, 0.05],   # plain
    [0.12, 0.75, 0.08, 0.05],   # striped
    [0.05, 0.10, 0.75, 0.10],   # checked
    [0.25, 0.15, 0.15, 0.45],   # other
])
MAX_NAMES = 3


@dataclass(frozen=True)
class ObservationModel:
    """Calibrated tables (see the module docstring); build with :func:`observation_model`."""

    colour: np.ndarray                 # P(observed name | worn colour), 16 x 16
    extra: np.ndarray                  # P(name) of names beyond the worn colours
    presence: dict[str, dict[str, np.ndarray]]  # item -> condition -> P(symbol), 5 values
    n_names: dict[str, dict[str, np.ndarray]]   # item -> certainty -> 2 x 4 (1/2 colours)
    pattern: dict[str, dict[str, np.ndarray]]   # item -> certainty -> 4 x 4
    shape: dict[str, dict[str, dict[tuple[int, str], np.ndarray]]]
    # item -> certainty -> (worn colours 1/2, worn pattern) -> P(names 1-3, pattern), 3 x 4
    source: str


def _perceptual_prior() -> np.ndarray:
    centres = name_centres()
    d = delta_e94(centres[:, None, :], centres[None, :, :])
    prior = np.exp(-0.5 * (d / COLOUR_SIGMA) ** 2) + COLOUR_FLOOR
    return prior / prior.sum(1, keepdims=True)


def _capped(counts: np.ndarray, cap: float) -> np.ndarray:
    rows = counts.sum(-1, keepdims=True)
    return counts * np.minimum(1.0, cap / np.maximum(rows, 1.0))


@lru_cache(maxsize=4)
def observation_model(path: str | None = None) -> ObservationModel:
    """The tables from ``calibration.json`` (or rounded defaults when it is absent)."""
    n = len(COLOUR_NAMES)
    prior = _perceptual_prior()
    file = Path(path) if path else CALIBRATION_FILE
    data: dict[str, Any] = json.loads(file.read_text()) if file.is_file() else {}
    if data and data.get("names") != list(COLOUR_NAMES):
        data = {}   # a palette change invalidates the table: fall back to the priors
    colour = prior * PRIOR_WEIGHT
    if data:
        colour = colour + _capped(np.array(data["colour_counts"], float), MEASURED_WEIGHT)
    colour /= colour.sum(1, keepdims=True)
    extra = np.array(data.get("extra_colour_counts", np.zeros(n)), float) + 1.0
    extra /= extra.sum()
    presence, n_names, pattern = {}, {}, {}
    for item in ITEMS:
        # detect 92 %, false alarm 8 %, mostly sure, when nothing was measured
        table = data.get("presence", {}).get(item) or {
            "worn": dict(zip(PRESENCE_SYMBOLS, (4, 0.5, 1, 3, 88), strict=True)),
            "not": dict(zip(PRESENCE_SYMBOLS, (88, 3, 1, 0.5, 4), strict=True))}
        table = dict(table)
        if item == "blazer" and {"worn-over-same", "not-over-jumper"} <= set(table):
            # A blazer over a jumper of its colour and a jumper alone put one fabric over
            # the centre and the sides: the same picture to this extractor. One pooled
            # row, so such schools tie exactly instead of by counting noise.
            pooled = {k: table["worn-over-same"][k] + table["not-over-jumper"][k]
                      for k in PRESENCE_SYMBOLS}
            table["worn-over-same"] = table["not-over-jumper"] = pooled
        # add-one smoothing: no reading is impossible under any condition
        presence[item] = {}
        for condition, row in table.items():
            counts = np.array([row[s] for s in PRESENCE_SYMBOLS], float) + 1.0
            presence[item][condition] = counts / counts.sum()
        n_names[item], pattern[item] = {}, {}
        names = data.get("n_colours", {}).get(item, {})
        measured = data.get("pattern_counts", {}).get(item, {})
        pooled_names = (sum(np.array([by["1"], by["2"]], float) for by in names.values())
                        if names else np.array([[0, 90, 10, 1], [0, 20, 70, 10]], float))
        pooled_pattern = DEFAULT_PATTERN * PRIOR_WEIGHT + sum(
            (np.array(m, float) for m in measured.values()), np.zeros_like(DEFAULT_PATTERN))
        pooled_pattern /= pooled_pattern.sum(1, keepdims=True)
        for certainty in CERTAINTY:
            by = names.get(certainty)
            # each certainty's counts, smoothed toward the item's pooled table
            counts = (np.array([by["1"], by["2"]], float) if by else np.zeros((2, 4))) + \
                PRIOR_WEIGHT * (pooled_names + 1.0) / (pooled_names + 1.0).sum(1, keepdims=True)
            counts[:, 0] = 0.0   # a present item always has at least one name
            n_names[item][certainty] = counts / counts.sum(1, keepdims=True)
            table = pooled_pattern * PRIOR_WEIGHT + (
                np.array(measured[certainty], float) if certainty in measured else 0.0)
            pattern[item][certainty] = table / table.sum(1, keepdims=True)
    shape = _shapes(n_names, pattern, data.get("shape_counts", {}))
    return ObservationModel(colour=colour, extra=extra, presence=presence, n_names=n_names,
                            pattern=pattern, shape=shape,
                            source=str(file) if data else "defaults")


def _shapes(n_names: dict[str, dict[str, np.ndarray]], pattern: dict[str, dict[str, np.ndarray]],
            counts: dict[str, Any]) -> dict[str, dict[str, dict[tuple[int, str], np.ndarray]]]:
    """Joint (names read, pattern read) tables: measured counts smoothed toward the
    product of the two marginal tables (which is what they are when nothing is measured)."""
    out: dict[str, dict[str, dict[tuple[int, str], np.ndarray]]] = {}
    for item in ITEMS:
        out[item] = {}
        for certainty in CERTAINTY:
            out[item][certainty] = {}
            measured = counts.get(item, {}).get(certainty, {})
            for n_true in (1, 2):
                for k, worn in enumerate(PATTERNS):
                    independent = np.outer(n_names[item][certainty][n_true - 1, 1:],
                                           pattern[item][certainty][k])
                    table = PRIOR_WEIGHT * independent / independent.sum()
                    if f"{n_true}|{worn}" in measured:
                        table = table + np.array(measured[f"{n_true}|{worn}"], float)
                    out[item][certainty][(n_true, worn)] = table / table.sum()
    return out


@lru_cache(maxsize=1)
def certain_model() -> ObservationModel:
    """The model for readings a person made or corrected (``"corrected": true``).

    A person looking at the photo is not the extractor: no shading artefacts, no blazer
    hidden in a jumper. Only perceptual colour confusions (navy or black in a dark photo)
    and a few per cent of mistakes remain.
    """
    present = dict(zip(PRESENCE_SYMBOLS, (0.03, 0.0, 0.0, 0.0, 0.97), strict=True))
    absent = dict(zip(PRESENCE_SYMBOLS, (0.97, 0.0, 0.0, 0.0, 0.03), strict=True))
    smooth = {k: np.array([present[s] + 1e-3 for s in PRESENCE_SYMBOLS]) for k in ("worn",)}
    smooth["not"] = np.array([absent[s] + 1e-3 for s in PRESENCE_SYMBOLS])
    for key in smooth:
        smooth[key] = smooth[key] / smooth[key].sum()
    names = np.array([[0.0, 0.9, 0.09, 0.01], [0.0, 0.1, 0.85, 0.05]])
    pattern = np.full((len(PATTERNS), len(PATTERNS)), 0.1 / (len(PATTERNS) - 1))
    np.fill_diagonal(pattern, 0.9)
    n_names = {i: dict.fromkeys(CERTAINTY, names) for i in ITEMS}
    patterns = {i: dict.fromkeys(CERTAINTY, pattern) for i in ITEMS}
    return ObservationModel(
        colour=_perceptual_prior(), extra=np.full(len(COLOUR_NAMES), 1 / len(COLOUR_NAMES)),
        presence={i: smooth for i in ITEMS}, n_names=n_names, pattern=patterns,
        shape=_shapes(n_names, patterns, {}), source="person")


def colour_confusion() -> np.ndarray:
    """``P(observed name | worn colour)`` as a 16 x 16 row-stochastic matrix."""
    return observation_model().colour


def _index(name: Any) -> int | None:
    return COLOUR_NAMES.index(name) if name in COLOUR_NAMES else None


def colours_loglik(model: ObservationModel, item: str, observed: list[str],
                   worn: list[str], certainty: str = "sure", count: bool = True
                   ) -> tuple[float, bool, float]:
    """``log P(observed names | worn colours)``, whether every name is a worn colour, and the
    log-probability of the first name alone (for the "close colour" verdict).

    ``count=False`` leaves out how many names were read (:func:`shape_loglik` has it).
    """
    seen = [i for i in (_index(c) for c in observed) if i is not None][:MAX_NAMES]
    truth = [i for i in (_index(c) for c in worn) if i is not None]
    if not seen or not truth:
        return 0.0, True, 0.0
    total = math.log(model.n_names[item][certainty][min(2, len(truth)) - 1, len(seen)]) \
        if count else 0.0
    unused = list(truth)
    exact, first = True, 0.0
    for j, o in enumerate(seen):
        if o in unused:
            p, t = model.colour[o, o], o
        elif j == 0 or unused:
            pool = unused or truth
            t = max(pool, key=lambda c: model.colour[c, o])
            p = model.colour[t, o]
            exact = False
        else:
            p, t = model.extra[o], None
            exact &= o in truth
        total += math.log(p)
        if j == 0:
            first = math.log(p)
        if t is not None and t in unused:
            unused.remove(t)
    return total, exact, first


def pattern_loglik(model: ObservationModel, item: str, observed: Any, worn: str,
                   certainty: str = "sure") -> float:
    """``log P(observed pattern | worn pattern)`` (0 when no pattern was read)."""
    if observed not in PATTERNS:
        return 0.0
    table = model.pattern[item][certainty]
    return math.log(table[PATTERNS.index(worn), PATTERNS.index(observed)])


def shape_loglik(model: ObservationModel, item: str, observed: list[str], pattern: Any,
                 worn: list[str], worn_pattern: str, certainty: str = "sure") -> float:
    """``log P(number of names read, pattern read | worn colours and pattern)``, jointly."""
    n_seen = min(MAX_NAMES, len([c for c in observed if c in COLOUR_NAMES]))
    n_true = min(2, len([c for c in worn if c in COLOUR_NAMES]))
    if n_true == 0:
        return 0.0
    if n_seen and pattern in PATTERNS:
        table = model.shape[item][certainty][(n_true, worn_pattern)]
        return math.log(table[n_seen - 1, PATTERNS.index(pattern)])
    if n_seen:
        return math.log(model.n_names[item][certainty][n_true - 1, n_seen])
    return pattern_loglik(model, item, pattern, worn_pattern, certainty)


def background_loglik(model: ObservationModel, observed: list[str], pattern: Any) -> float:
    """Log-likelihood of names and pattern read from something that is not this item."""
    seen = [c for c in observed if c in COLOUR_NAMES][:MAX_NAMES]
    total = len(seen) * math.log(1 / len(COLOUR_NAMES))
    return total + (math.log(1 / len(PATTERNS)) if pattern in PATTERNS else 0.0)


def presence_likelihoods(model: ObservationModel, item: str, obs: Mapping[str, Any],
                         spec: Mapping[str, Any] | None, shirt: Mapping[str, Any] | None,
                         jumper: Mapping[str, Any] | None) -> tuple[str, float, float]:
    """The reading's presence symbol and its likelihood if the item is worn / not worn.

    ``spec`` is the school's item, ``shirt`` and ``jumper`` its layers beneath: how an item
    is reported depends on them (:func:`workbench.eval.uniform_calibration.presence_condition`).
    An optional jumper is worn half the time, so both cases are mixed.
    """
    confidence = obs.get("confidence")
    # A reading without a confidence (hand-written JSON) counts as fairly sure; 0.0 stays 0.0.
    symbol = presence_symbol(obs.get("present"), 0.8 if confidence is None else float(confidence))
    k = PRESENCE_SYMBOLS.index(symbol)
    table = model.presence[item]
    colours = list(spec["colours"]) if spec else []
    worn_pattern = spec.get("pattern", "plain") if spec else "plain"
    jumpers = [jumper] if jumper else [None]
    if jumper and jumper.get("optional") and item == "blazer":
        jumpers.append(None)
    l_worn = l_not = 0.0
    for under in jumpers:
        condition = presence_condition(item, colours, shirt, under, worn_pattern)
        l_worn += table.get(condition, table["worn"])[k]
        l_not += table.get(presence_condition(item, None, shirt, under), table["not"])[k]
    return symbol, float(l_worn / len(jumpers)), float(l_not / len(jumpers))
