"""Probability that a face is under 18, from an age estimate and its uncertainty.

A hard cut on the point estimate (``age < 18``) treats "17 +/- 1" and "17 +/- 9" alike and
drops "19 +/- 6" entirely. Treating the estimate as a normal distribution with the model's
own spread gives a probability the rules can weigh instead.
"""

from __future__ import annotations

import numpy as np

ADULT_AGE = 18.0
# Age models are rarely better than a few years, whatever spread they report; a floor keeps
# an over-confident estimate from turning into certainty.
MIN_AGE_STD = 2.0


def minor_probability(
    age: np.ndarray | float, age_std: np.ndarray | float | None = None,
    cutoff: float = ADULT_AGE, min_std: float = MIN_AGE_STD,
) -> np.ndarray:
    """P(true age < ``cutoff``) for each face, assuming a normal error around ``age``.

    Args:
        age: estimated ages (NaN where unknown).
        age_std: standard deviation of each estimate; None or NaN means ``min_std``.
        cutoff: the age of majority tested.
        min_std: the smallest spread believed.

    Returns:
        Probabilities in [0, 1]; NaN where the age is unknown.

    Example:
        >>> float(minor_probability(18.0, 4.0)[0])
        0.5
    """
    from scipy.special import ndtr  # the normal CDF, vectorised; imported when first used

    age = np.atleast_1d(np.asarray(age, dtype=np.float64))
    if age_std is None:
        std = np.full_like(age, min_std)
    else:
        std = np.broadcast_to(np.asarray(age_std, dtype=np.float64), age.shape)
        std = np.where(np.isfinite(std), np.maximum(std, min_std), min_std)
    return ndtr((cutoff - age) / std)
