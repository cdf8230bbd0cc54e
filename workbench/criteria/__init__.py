"""Criteria: rules as data (YAML), vectorised scoring, explicit-content triage.

Scores rank images for a trained person; they are leads, never verdicts.
"""

from workbench.criteria.apply import Inputs, evaluate, faces_frame
from workbench.criteria.minor import minor_probability
from workbench.criteria.rules import (
    Rule,
    RuleCondition,
    RulesError,
    RuleSet,
    default_rules_path,
    load_rules,
    parse_rules,
)
from workbench.criteria.scoring import ScoreResult, score_case, score_hits
from workbench.criteria.threshold import get_threshold, set_threshold

__all__ = [
    "RuleCondition", "Inputs", "Rule", "RuleSet", "RulesError", "ScoreResult", "default_rules_path",
    "evaluate", "faces_frame", "get_threshold", "load_rules", "minor_probability",
    "parse_rules", "score_case", "score_hits", "set_threshold",
]
