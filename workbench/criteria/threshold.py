"""The case's review threshold: criterion hits at or above it enter the review queue."""

from __future__ import annotations

from workbench.store import Case
from workbench.store import reviews as review_rows

DEFAULT_THRESHOLD = 0.3


def get_threshold(case: Case) -> float:
    """The case's review threshold (default 0.3)."""
    value = review_rows.read_setting(case, "threshold")
    return float(value) if value is not None else DEFAULT_THRESHOLD


def set_threshold(case: Case, threshold: float, who: str | None = None) -> None:
    """Change the review threshold; the change is audited."""
    from workbench.criteria.rules import RulesError

    if not 0.0 <= threshold <= 1.0:
        raise RulesError(f"the review threshold must be between 0 and 1, got {threshold}")
    old = get_threshold(case)
    with case.transaction():
        review_rows.write_setting(case, "threshold", str(float(threshold)))
        case.audit("review.threshold", detail={"from": old, "to": float(threshold)}, who=who)
