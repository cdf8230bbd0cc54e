"""Invented uniform descriptions for the demo registry (never real data).

Real uniform descriptions of the sample schools are not public data, so the sample
registry carries *invented* ones, marked ``uniform_source = invented-for-demo``. They are
drawn deterministically (seeded per school id) from distributions shaped like real school
uniforms: a few house colours per school, white or light-blue shirts most common, ties in
two house colours usually striped, jumpers and blazers in the main house colour, grey or
navy lower garments with the odd tartan skirt. The same distributions feed the synthetic
test photos, which is what makes "the true school" well defined.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

PRIMARY = {"navy": 0.2, "maroon": 0.1, "bottle green": 0.1, "royal blue": 0.1, "black": 0.08,
           "burgundy": 0.08, "purple": 0.07, "red": 0.07, "green": 0.07, "grey": 0.06,
           "brown": 0.04, "light blue": 0.03}
ACCENT = {"gold": 0.22, "yellow": 0.14, "white": 0.14, "light blue": 0.1, "red": 0.1,
          "green": 0.06, "royal blue": 0.06, "grey": 0.06, "navy": 0.06, "maroon": 0.03,
          "purple": 0.03}
SHIRT = {"white": 0.45, "light blue": 0.2, "grey": 0.07, "yellow": 0.07, "red": 0.04,
         "navy": 0.04, "green": 0.04, "royal blue": 0.03, "gold": 0.03, "beige": 0.03}
LOWER = {"grey": 0.35, "navy": 0.2, "black": 0.2, "beige": 0.12, "brown": 0.05,
         "bottle green": 0.04, "maroon": 0.04}


def _pick(rng: np.random.Generator, table: dict[str, float], avoid: tuple[str, ...] = ()
          ) -> str:
    names = [n for n in table if n not in avoid]
    p = np.array([table[n] for n in names])
    return str(rng.choice(names, p=p / p.sum()))


def school_rng(school_id: str, salt: str = "uniform-v1") -> np.random.Generator:
    """A generator seeded from the school id, stable across platforms and runs."""
    digest = hashlib.sha256(f"{salt}:{school_id}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def invent_uniform(rng: np.random.Generator, phase: str = "") -> dict[str, dict[str, Any]]:
    """One invented uniform: ``{item: {"colours": [...], "pattern": ..., "optional": bool}}``.

    Every uniform has a shirt and at least one of tie, jumper or blazer.
    """
    primary = _pick(rng, PRIMARY)
    accent = _pick(rng, ACCENT, avoid=(primary,))
    shirt = _pick(rng, SHIRT, avoid=(primary,) if primary in ("navy", "grey") else ())
    u: dict[str, dict[str, Any]] = {}
    if rng.random() < 0.12:
        u["shirt"] = {"colours": ["white", accent if accent != "white" else primary],
                      "pattern": "striped", "optional": False}
    else:
        u["shirt"] = {"colours": [shirt], "pattern": "plain", "optional": False}
    older = phase.upper() in ("HIGH", "SECONDARY", "MIDDLE")
    if rng.random() < (0.6 if older else 0.45):
        pattern = "striped" if rng.random() < 0.7 else "plain"
        colours = [primary, accent] if pattern == "striped" else [primary]
        u["tie"] = {"colours": colours, "pattern": pattern, "optional": False}
    if rng.random() < 0.6:
        colour = primary if rng.random() < 0.7 else _pick(rng, {"grey": 0.5, accent: 0.5})
        u["jumper"] = {"colours": [colour], "pattern": "plain", "optional": rng.random() < 0.3}
    if rng.random() < (0.55 if older else 0.35):
        colour = primary if rng.random() < 0.75 else _pick(rng, {"black": 0.5, "navy": 0.3,
                                                                   "grey": 0.2})
        pattern = "striped" if rng.random() < 0.08 else "plain"
        colours = [colour, accent] if pattern == "striped" else [colour]
        u["blazer"] = {"colours": colours, "pattern": pattern, "optional": False}
    if not ({"tie", "jumper", "blazer"} & set(u)):
        u["jumper"] = {"colours": [primary], "pattern": "plain", "optional": False}
    if rng.random() < 0.15:
        u["lower"] = {"colours": [primary, accent], "pattern": "checked", "optional": False}
    else:
        u["lower"] = {"colours": [_pick(rng, LOWER)], "pattern": "plain", "optional": False}
    return u
