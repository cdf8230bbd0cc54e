"""The school search's observation vocabulary: how a reading of one item is binned.

Runtime code (:mod:`workbench.schools.likelihood`, :mod:`workbench.schools.search`) and the
calibration that counts the tables (:mod:`workbench.eval.uniform_calibration`) both use these
names, so they live here, in a leaf module that imports nothing of either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# How a reported presence is binned: (present, confidence) -> one of these symbols.
PRESENCE_SYMBOLS = ("absent-sure", "absent-unsure", "cannot-tell", "present-unsure",
                    "present-sure")


def presence_symbol(present: bool | None, confidence: float) -> str | None:
    """The bin of one presence report (None when the item is not visible)."""
    if present is None:
        return None
    if abs(confidence - 0.5) < 0.05:
        return "cannot-tell"
    sure = confidence >= 0.75
    if present:
        return "present-sure" if sure else "present-unsure"
    return "absent-sure" if sure else "absent-unsure"


def presence_condition(item: str, colours: Sequence[str] | None,
                       shirt: Mapping[str, Any] | None, jumper: Mapping[str, Any] | None,
                       pattern: str = "plain") -> str:
    """Row of the presence table for one item, given what is worn beneath it.

    The extractor sees a tie, jumper or blazer only through its colour against the layer
    beneath (shirt; for the blazer the jumper when there is one), so an item whose main
    colour is a colour of that layer goes unseen (``worn-over-same``: a blazer over a jumper of its
    colour reads "cannot tell"); with no item, a jumper under the blazer region makes
    "cannot tell" likely (``not-over-jumper``) and a striped shirt can pass for a
    striped tie or jumper (``not-over-pattern``).

    A patterned shirt or lower garment is reported present with less certainty (its
    pixels do not form one colour): ``worn-patterned``.

    Args:
        item: the item.
        colours: the item's worn colours, or None when it is not worn.
        shirt: the worn shirt (``colours``, ``pattern``) or None.
        jumper: the worn jumper or None.
        pattern: the item's worn pattern.
    """
    if item not in ("tie", "jumper", "blazer"):
        if colours is None:
            return "not"
        return "worn" if pattern == "plain" else "worn-patterned"
    under = jumper if item == "blazer" and jumper else shirt
    if colours is not None:
        # "same": the item's main colour is a colour of the layer beneath (of either
        # stripe of a striped shirt), so the two do not stand apart
        same = bool(colours and under and colours[0] in under["colours"])
        return "worn-over-same" if same else "worn"
    if item == "blazer" and jumper:
        return "not-over-jumper"
    if shirt and shirt.get("pattern", "plain") != "plain":
        return "not-over-pattern"
    return "not"


MAX_NAMES = 3                    # colour names the extractor reports at most
CERTAINTY = ("sure", "unsure")   # colour-count and pattern tables by presence certainty
PRESENCE_CONDITIONS = {
    "shirt": ("worn", "worn-patterned", "not"),
    "lower": ("worn", "worn-patterned", "not"),
    "tie": ("worn", "worn-over-same", "not", "not-over-pattern"),
    "jumper": ("worn", "worn-over-same", "not", "not-over-pattern"),
    "blazer": ("worn", "worn-over-same", "not", "not-over-jumper", "not-over-pattern"),
}


def certainty_of(symbol: str | None) -> str:
    """``sure`` or ``unsure``: which colour-count and pattern table a reading uses."""
    return "sure" if symbol in ("present-sure", "absent-sure") else "unsure"
