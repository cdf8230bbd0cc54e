"""Criteria as data: a small, safe condition language read from YAML.

A rules file is something an analyst can read and edit::

    version: 3
    rules:
      - name: minor_distress
        description: A face that is probably under 18 showing fear, disgust or sadness.
        level: face                 # one result per face (``image``: one per image)
        base: 0.2                   # score when every required condition holds ...
        conditions:                 # ... plus each condition's weight (x its value if scaled)
          - {attr: p_minor, op: ">=", value: 0.3, weight: 0.3, scale: true,
             label: probably under 18}
          - {any_attr: [emotion_fear, emotion_disgust, emotion_sad], op: ">=", value: 0.4,
             weight: 0.2, scale: true, label: distressed}

Condition kinds (each may carry ``weight``, ``scale``, ``required`` and ``label``):

* ``attr``: one face attribute (``p_minor``, ``age``, ``gender``, ``emotion_fear``...).
* ``any_attr``: the largest of several face attributes (its name is reported).
* ``signal``: an image-level signal such as ``explicit`` (the explicit-content score).
* ``hit``: the best score of existing hits of a kind (``hash``, ``registry``, ``school``) on the face
  (when the hit names one) or the image; a missing hit counts as 0.
* ``any_face`` / ``count_faces``: faces of the same image matching every sub-condition
  (``any_face`` fires if at least one does; ``count_faces`` compares the count).

Operators: ``>=``, ``>``, ``<=``, ``<``, ``==``, ``!=``, ``in``. A rule fires when every
required condition (all of them unless ``required: false``) holds; its score is
``base + sum(weight x (value if scale else 1))`` over the conditions that hold, capped at 1.
Nothing is evaluated with ``eval``: the file is data, validated here with messages that
say which rule and which condition is wrong. Attribute, signal and hit-kind names must be
ones the workbench produces (:data:`ATTRIBUTES`, :data:`SIGNALS`, :data:`HIT_KINDS`).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from workbench.errors import WorkbenchError

OPERATORS: tuple[str, ...] = (">=", ">", "<=", "<", "==", "!=", "in")
LEVELS: tuple[str, ...] = ("face", "image")
KINDS: tuple[str, ...] = ("attr", "any_attr", "signal", "hit", "any_face", "count_faces")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# What rules may name. A name outside these would never be found, so the rule would
# silently fire nowhere and a new scoring would empty the review queue: refuse it instead.
# Face attributes: the face engine's ``Faces.data`` columns (workbench/faces/engine.py)
# and the box confidence; signals: image-level scores (``workbench explicit``); hit kinds:
# the non-criterion hits stored by hash lists, the registry lookup and the school search.
_EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
ATTRIBUTES: frozenset[str] = frozenset({
    "confidence", "detector_score", "detected_by", "quality", "sharpness", "yaw", "age", "age_std",
    "age_low", "age_high", "age_network", "p_minor", "gender", "gender_confidence",
    *(f"emotion_{name}" for name in _EMOTIONS)})
SIGNALS: frozenset[str] = frozenset({"explicit"})
HIT_KINDS: frozenset[str] = frozenset({"hash", "registry", "school"})
_VOCABULARY = {"attr": ("face attribute", ATTRIBUTES), "any_attr": ("face attribute", ATTRIBUTES),
               "signal": ("signal", SIGNALS), "hit": ("hit kind", HIT_KINDS)}
_COMMON_KEYS = {"op", "value", "weight", "scale", "required", "label"}


class RulesError(WorkbenchError):
    """A rules file is not valid; the message names the rule, the condition and the fix."""


@dataclass(frozen=True)
class RuleCondition:
    """One condition of a rule, as written by the analyst.

    Attributes:
        kind: one of :data:`KINDS`.
        target: the attribute, signal or hit kind tested (a tuple for ``any_attr``);
            empty for face aggregations.
        op: comparison operator.
        value: the value compared against (a number, a string, or a list for ``in``).
        weight: what the condition adds to the score when it holds.
        scale: multiply ``weight`` by the observed value (for values in [0, 1]).
        required: the rule only fires when this condition holds.
        label: plain-language name shown in explanations.
        sub: sub-conditions of ``any_face`` / ``count_faces`` (all must hold per face).
    """

    kind: str
    target: str | tuple[str, ...]
    op: str
    value: Any
    weight: float = 0.0
    scale: bool = False
    required: bool = True
    label: str = ""
    sub: tuple[RuleCondition, ...] = ()

    @property
    def text(self) -> str:
        """A short readable form, e.g. ``p_minor >= 0.3`` or ``any face (p_minor < 0.2)``."""
        if self.kind in ("any_face", "count_faces"):
            inner = " and ".join(c.text for c in self.sub)
            if self.kind == "any_face":
                return f"any face in image ({inner})"
            return f"faces in image with ({inner}) {self.op} {self.value}"
        target = self.target if isinstance(self.target, str) else "max(" + ", ".join(self.target) + ")"
        prefix = {"signal": "signal ", "hit": "hit "}.get(self.kind, "")
        return f"{prefix}{target} {self.op} {self.value}"

    @property
    def name(self) -> str:
        """What an explanation calls this condition: its label, else its text."""
        return self.label or self.text


@dataclass(frozen=True)
class Rule:
    """A named criterion: conditions, weights and a plain-language description."""

    name: str
    description: str
    level: str
    conditions: tuple[RuleCondition, ...]
    base: float = 0.0
    enabled: bool = True

    @property
    def max_score(self) -> float:
        """The highest score the rule can give (every condition at full value)."""
        return min(1.0, self.base + sum(c.weight for c in self.conditions))


@dataclass(frozen=True)
class RuleSet:
    """A versioned set of rules.

    Attributes:
        rules: the rules, in file order.
        version: the analyst's version field.
        sha256: SHA-256 of the file's bytes, so two edits with the same version differ.
        source: where it was read from.
        text: the file content, kept so it can be copied into the case.
    """

    rules: tuple[Rule, ...]
    version: str
    sha256: str
    source: str = ""
    text: str = field(default="", repr=False)

    @property
    def version_id(self) -> str:
        """``<version>+<first 12 hex of sha256>``: what every hit records."""
        return f"{self.version}+{self.sha256[:12]}"

    def __iter__(self):
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def attributes(self) -> set[str]:
        """Every face attribute the enabled rules read."""
        names: set[str] = set()
        for rule in self.rules:
            if rule.enabled:
                for cond in rule.conditions:
                    for c in (cond, *cond.sub):
                        if c.kind in ("attr", "any_attr"):
                            names.update((c.target,) if isinstance(c.target, str) else c.target)
        return names

    def get(self, name: str) -> Rule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise RulesError(f"no rule named {name!r}; rules are {[r.name for r in self.rules]}")


def default_rules_path() -> Path:
    """The shipped default rules file."""
    return Path(str(files("workbench.criteria") / "default_rules.yaml"))


def load_rules(path: str | Path | None = None) -> RuleSet:
    """Read and validate a rules file (the shipped defaults when ``path`` is None).

    Raises:
        RulesError: the file is missing, not YAML, or a rule or condition is invalid.
    """
    source = Path(path) if path is not None else default_rules_path()
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as error:
        raise RulesError(f"cannot read rules file {source}: {error.strerror}") from error
    return parse_rules(text, source=str(source))


def parse_rules(text: str, source: str = "<text>") -> RuleSet:
    """Validate rules given as YAML text."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise RulesError(f"{source} is not valid YAML: {error}") from error
    if not isinstance(doc, Mapping):
        raise RulesError(f"{source}: expected a mapping with 'version' and 'rules' at the top")
    if "version" not in doc:
        raise RulesError(f"{source}: add a 'version' field (e.g. version: 1) so hits can cite it")
    raw_rules = doc.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise RulesError(f"{source}: 'rules' must be a non-empty list of rules")
    rules = tuple(_rule(r, i, source) for i, r in enumerate(raw_rules))
    names = [r.name for r in rules]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RulesError(f"{source}: rule names must be unique; repeated: {duplicates}")
    return RuleSet(
        rules=rules, version=str(doc["version"]),
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), source=source, text=text,
    )


def _rule(raw: Any, index: int, source: str) -> Rule:
    where = f"{source}: rule #{index + 1}"
    if not isinstance(raw, Mapping):
        raise RulesError(f"{where} must be a mapping with name, description and conditions")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RulesError(f"{where} needs a 'name'")
    where = f"{source}: rule {name!r}"
    unknown = set(raw) - {"name", "description", "level", "conditions", "base", "enabled"}
    if unknown:
        raise RulesError(f"{where} has unknown fields {sorted(unknown)}")
    description = raw.get("description")
    if not isinstance(description, str) or not description.strip():
        raise RulesError(f"{where} needs a plain-language 'description' for the reviewer")
    level = raw.get("level", "face")
    if level not in LEVELS:
        raise RulesError(f"{where}: level must be one of {LEVELS}, got {level!r}")
    conditions = raw.get("conditions")
    if not isinstance(conditions, list) or not conditions:
        raise RulesError(f"{where} needs a non-empty list of 'conditions'")
    conds = tuple(_cond(c, f"{where}, condition #{i + 1}", level) for i, c in enumerate(conditions))
    base = _unit(raw.get("base", 0.0), f"{where}: base")
    if not any(c.required for c in conds):
        raise RulesError(f"{where}: at least one condition must be required, or it fires everywhere")
    return Rule(name=name, description=description.strip(), level=level, conditions=conds,
                base=base, enabled=bool(raw.get("enabled", True)))


def _cond(raw: Any, where: str, level: str, nested: bool = False) -> RuleCondition:
    if not isinstance(raw, Mapping):
        raise RulesError(f"{where} must be a mapping like {{attr: p_minor, op: '>=', value: 0.5}}")
    kinds = [k for k in KINDS if k in raw]
    if len(kinds) != 1:
        raise RulesError(f"{where} must name exactly one of {KINDS}, got {sorted(raw)}")
    kind = kinds[0]
    unknown = set(raw) - _COMMON_KEYS - {kind}
    if unknown:
        raise RulesError(f"{where} has unknown fields {sorted(unknown)}")
    if nested and kind not in ("attr", "any_attr"):
        raise RulesError(f"{where}: inside any_face/count_faces only attr and any_attr are allowed")
    if level == "image" and kind in ("attr", "any_attr") and not nested:
        raise RulesError(f"{where}: an image-level rule tests faces through any_face or count_faces")
    weight = _unit(raw.get("weight", 0.0), f"{where}: weight")
    common = dict(weight=weight, scale=bool(raw.get("scale", False)),
                  required=bool(raw.get("required", True)), label=str(raw.get("label", "")))
    if kind in ("any_face", "count_faces"):
        subs = raw[kind]
        if not isinstance(subs, list) or not subs:
            raise RulesError(f"{where}: {kind} takes a non-empty list of face conditions")
        sub = tuple(_cond(s, f"{where}, sub-condition #{i + 1}", level, nested=True)
                    for i, s in enumerate(subs))
        if kind == "any_face":
            return RuleCondition(kind=kind, target="", op=">=", value=1, sub=sub, **common)
        op, value = _op_value(raw, where, numeric=True)
        return RuleCondition(kind=kind, target="", op=op, value=value, sub=sub, **common)
    target = raw[kind]
    if kind == "any_attr":
        if not isinstance(target, list) or not target or not all(isinstance(t, str) for t in target):
            raise RulesError(f"{where}: any_attr takes a list of attribute names")
        target = tuple(target)
    elif not isinstance(target, str) or not target:
        raise RulesError(f"{where}: {kind} takes a name, e.g. {kind}: p_minor")
    for name in (target,) if isinstance(target, str) else target:
        if not _NAME.fullmatch(name):
            raise RulesError(f"{where}: {name!r} is not an attribute name (letters, digits, _)")
        what, known = _VOCABULARY[kind]
        if name not in known:
            raise RulesError(f"{where}: unknown {what} {name!r}; known {what}s are "
                             f"{', '.join(sorted(known))}. Nothing in the case was changed")
    if kind == "hit" and "op" not in raw:
        # ``{hit: hash}`` alone means "there is such a hit".
        return RuleCondition(kind=kind, target=target, op=">", value=0.0, **common)
    op, value = _op_value(raw, where, numeric=kind != "attr")
    return RuleCondition(kind=kind, target=target, op=op, value=value, **common)


def _op_value(raw: Mapping[str, Any], where: str, numeric: bool) -> tuple[str, Any]:
    op = raw.get("op")
    if op not in OPERATORS:
        raise RulesError(f"{where}: op must be one of {OPERATORS}, got {op!r}")
    if "value" not in raw:
        raise RulesError(f"{where}: add the 'value' to compare with")
    value = raw["value"]
    if op == "in":
        if not isinstance(value, list) or not value:
            raise RulesError(f"{where}: op 'in' needs a list value, e.g. [woman, female]")
        return op, tuple(value)
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise RulesError(f"{where}: value must be a number or a word, got {value!r}")
    if isinstance(value, str) and (numeric or op not in ("==", "!=")):
        raise RulesError(f"{where}: op {op!r} needs a number, got {value!r}")
    if isinstance(value, float) and math.isnan(value):
        raise RulesError(f"{where}: value must not be NaN")
    return op, value


def _unit(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise RulesError(f"{where} must be a number between 0 and 1, got {value!r}")
    return float(value)
