"""Item presence with a confidence from a small logistic model on the reader's cues.

The model is a handful of coefficients in JSON (``presence.json`` beside this module; no
pickle), fitted on the ``fit`` split of the real photos labelled by eye
(``tests/data/uniforms_real``), never on the ``check`` split the benchmark reports.
Only items whose cues carry evidence have a model: a model fitted on business suits
would otherwise learn that set's base rates (few jumpers) instead of what the photo
shows. Refit with::

    python -m workbench.uniforms.presence_fit --out workbench/uniforms/presence.json

Example:
    >>> model = load_models()["tie"]
    >>> p = model.probability({"tie": 1.0, "front_tie": 0.6})
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import WorkbenchError

MODEL_FILE = Path(__file__).with_name("presence.json")
# The cues each item's model reads (names of the reader's ``uniform["cues"]``); the first
# is the item's own, without which the model is not asked (the region was not in view):
# tie: ``tie`` the fixed centre strip's contrast, ``front_tie`` the searched tie strip's
# share of rows (workbench.uniforms.front);
# blazer: ``outer`` the chest's sides a fabric other than the collar's V, ``outer_darker``
# how much darker the sides are than the lightest fabric of the V (a jacket over a shirt).
FEATURES: dict[str, tuple[str, ...]] = {"tie": ("tie", "front_tie"),
                                        "blazer": ("outer", "outer_darker")}
RIDGE = 1.0


class PresenceModelError(WorkbenchError):
    """The presence model file is missing or malformed."""


@dataclass(frozen=True)
class PresenceModel:
    """Logistic regression on standardised cues: ``p = sigmoid(w . (x - mean) / scale + b)``."""

    item: str
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float

    def probability(self, cues: Mapping[str, float]) -> float:
        """Probability that the item is present, from the reader's cues (missing: 0)."""
        x = np.array([float(cues.get(k, 0.0)) for k in self.features])
        z = (x - np.array(self.mean)) / np.array(self.scale)
        return float(1 / (1 + np.exp(-(float(z @ np.array(self.weights)) + self.bias))))

    def as_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "mean": list(self.mean),
                "scale": list(self.scale), "weights": list(self.weights), "bias": self.bias}


def fit_logistic(x: np.ndarray, y: np.ndarray, ridge: float = RIDGE, iters: int = 50
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Ridge-penalised logistic regression by Newton steps; ``(mean, scale, w, b)``."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    mean, scale = x.mean(0), x.std(0) + 1e-6
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    theta = np.zeros(z.shape[1])
    penalty = np.eye(z.shape[1]) * ridge
    penalty[-1, -1] = 0.0               # the bias is not shrunk
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(z @ theta)))
        grad = z.T @ (p - y) + penalty @ theta
        hess = (z.T * (p * (1 - p))) @ z + penalty + 1e-9 * np.eye(len(theta))
        step = np.linalg.solve(hess, grad)
        theta -= step
        if np.abs(step).max() < 1e-8:
            break
    return mean, scale, theta[:-1], float(theta[-1])


def load_models(path: str | Path | None = None) -> dict[str, PresenceModel]:
    """The fitted models by item (``presence.json`` unless ``path``)."""
    file = Path(path) if path else MODEL_FILE
    try:
        data = json.loads(file.read_text())
        return {item: PresenceModel(item, tuple(m["features"]), tuple(m["mean"]),
                                    tuple(m["scale"]), tuple(m["weights"]), float(m["bias"]))
                for item, m in data["models"].items()}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PresenceModelError(
            f"cannot read the uniform presence model {file}: {exc}; refit it with "
            "'python -m workbench.uniforms.presence_fit --out FILE'") from exc


def training_rows(people: Sequence[tuple[dict[str, Any], dict[str, float]]], item: str
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` for one item from ``(label, cues)`` pairs (labels with the item known)."""
    xs, ys = [], []
    for label, cues in people:
        truth = (label.get("items") or {}).get(item)
        # photos read by the face layout (whole torso in view) carry no layer cues
        if not label.get("torso_visible") or truth is None or "collar_cloth" not in cues \
                or FEATURES[item][0] not in cues:
            continue
        xs.append([float(cues.get(k, 0.0)) for k in FEATURES[item]])
        ys.append(float(bool(truth["present"])))
    return np.array(xs).reshape(-1, len(FEATURES[item])), np.array(ys)


def fit_models(people: Sequence[tuple[dict[str, Any], dict[str, float]]]
               ) -> dict[str, PresenceModel]:
    """Fit every item's model on ``(label, cues)`` pairs."""
    out = {}
    for item, names in FEATURES.items():
        x, y = training_rows(people, item)
        if len(y) < 10 or y.min() == y.max():
            raise PresenceModelError(f"too few labelled {item} rows ({len(y)}) to fit on")
        mean, scale, w, b = fit_logistic(x, y)
        out[item] = PresenceModel(item, names, tuple(mean.round(5).tolist()),
                                  tuple(scale.round(5).tolist()),
                                  tuple(w.round(5).tolist()), round(b, 5))
    return out
