"""The faces of a case as one table a person (or pandas) can read: ``workbench faces list``.

One row per stored face: its id, the evidence's SHA-256, the box, the age as an interval
with ``p_minor`` and whether it passes the operating threshold, gender, the most likely
emotion and the cluster. The values are the model's leads with their uncertainty.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from workbench.faces.settings import EMOTIONS

COLUMNS = ("face_id", "evidence_sha256", "x1", "y1", "x2", "y2", "age", "age_low", "age_high",
           "p_minor", "flagged_minor", "gender", "gender_confidence", "emotion",
           "emotion_confidence", "cluster_id")


def faces_table(case: Any, threshold: float | None = None) -> pd.DataFrame:
    """Every face of a case, one row each, in :data:`COLUMNS` order.

    Args:
        case: the open case.
        threshold: the ``p_minor`` operating point for ``flagged_minor`` (default: the one
            measured for the shipped age model).
    """
    from workbench.faces.age_model import operating_point
    from workbench.reports.views import faces_view

    threshold = operating_point().threshold if threshold is None else threshold
    view = faces_view(case)
    out = pd.DataFrame({"face_id": view.get("face_id", pd.Series(dtype=object)),
                        "evidence_sha256": view.get("evidence_id", pd.Series(dtype=object))})
    for column in ("x1", "y1", "x2", "y2"):
        out[column] = view[column].round(1) if column in view else np.nan
    for column in ("age", "age_low", "age_high", "p_minor", "gender", "gender_confidence",
                   "cluster_id"):
        out[column] = view[column] if column in view else None
    for column in ("age", "age_low", "age_high"):
        out[column] = pd.to_numeric(out[column], errors="coerce").round(1)
    out["p_minor"] = pd.to_numeric(out["p_minor"], errors="coerce").round(3)
    out["flagged_minor"] = out["p_minor"] >= threshold
    emotion_columns = [f"emotion_{e}" for e in EMOTIONS if f"emotion_{e}" in view]
    if emotion_columns and len(view):
        probs = view[emotion_columns].apply(pd.to_numeric, errors="coerce").to_numpy(float)
        known = ~np.isnan(probs).all(axis=1)
        best = np.nanargmax(np.where(np.isnan(probs), -1.0, probs), axis=1)
        out["emotion"] = np.where(known, [emotion_columns[i][len("emotion_"):] for i in best], None)
        out["emotion_confidence"] = np.where(known, probs[np.arange(len(best)), best], np.nan)
        out["emotion_confidence"] = out["emotion_confidence"].astype(float).round(3)
    else:
        out["emotion"], out["emotion_confidence"] = None, np.nan
    return out[list(COLUMNS)].reset_index(drop=True)
