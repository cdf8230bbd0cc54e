"""How good is the age estimate, measured on images whose true ages are known?

Age and emotion estimates are weakest exactly where this tool looks: children. This module
measures what can be measured (mean absolute error, bias, whether the stated uncertainty
covers the truth, how often "probably under 18" is right) on a labelled CSV with an ``age``
column, and says plainly what cannot be measured: with no labelled children, the error on
children is unknown, whatever the model's authors claim.

The shared test data (``../shared/data/faces/labelled/identities.csv``) has identities but
no ages, so on it the report says that no age measurement is possible.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workbench.criteria.minor import ADULT_AGE

# (age, age_std, p_minor) of the largest face in an image, or None when no face is found.
AgeEstimator = Callable[[Path], tuple[float, float, float] | None]
BANDS: tuple[tuple[str, float, float], ...] = (
    ("0-12", 0, 13), ("13-17", 13, 18), ("18-25", 18, 26), ("26-45", 26, 46), ("46+", 46, 200),
)


@dataclass
class AgeReport:
    """The measurement, or the plain statement of why there is none."""

    labels: str
    labelled_images: int
    with_age: int
    under_18: int
    measured: int = 0
    no_face: int = 0
    mae: float | None = None
    bias: float | None = None
    coverage_95: float | None = None
    minor_precision: float | None = None
    minor_recall: float | None = None
    by_band: dict[str, dict[str, float | int]] = field(default_factory=dict)
    statements: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def read_age_labels(path: str | Path, root: str | Path | None = None
                    ) -> tuple[list[tuple[Path, float]], int, bool]:
    """``(image path, true age)`` rows of a CSV with ``file`` and (maybe) ``age`` columns.

    Returns:
        The rows with a numeric age, the number of rows in the file, and whether the
        file has an ``age`` column at all.
    """
    path = Path(path)
    root = Path(root) if root else path.parent
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        has_age = "age" in (reader.fieldnames or [])
    out = []
    for row in rows:
        try:
            out.append((root / row["file"], float(row["age"])))
        except (KeyError, TypeError, ValueError):
            continue
    return out, len(rows), has_age


def evaluate_age(labels: str | Path, estimate: AgeEstimator | None,
                 root: str | Path | None = None) -> AgeReport:
    """Measure an age estimator against known ages, or report that none are known.

    Args:
        labels: CSV with ``file`` (relative to ``root``) and ``age`` columns.
        estimate: the estimator; may be None when the file has no ages (nothing to run).
        root: folder the ``file`` paths are relative to (default: the CSV's folder).
    """
    rows, total, has_age = read_age_labels(labels, root)
    report = AgeReport(labels=str(labels), labelled_images=total, with_age=len(rows),
                       under_18=sum(a < ADULT_AGE for _, a in rows))
    if not has_age or not rows:
        report.statements.append(
            f"{labels} has {total} labelled images but no known ages"
            f"{'' if has_age else ' (no age column)'}: the age model cannot be measured on "
            "it. Its error is unknown here, for adults and children alike.")
    if report.under_18 == 0:
        report.statements.append(
            "No child with a known age is in this data: the age model's accuracy on minors, "
            "where the criteria depend on it most, is unmeasured. Treat every p_minor as a "
            "rough lead for a person to check, never as a finding.")
    if not rows:
        return report
    if estimate is None:
        raise ValueError("ages are known in this file: pass an estimator to measure")
    truth, mean, std, p_minor = [], [], [], []
    for image, age in rows:
        result = estimate(image)
        if result is None:
            report.no_face += 1
            continue
        truth.append(age)
        mean.append(result[0])
        std.append(result[1])
        p_minor.append(result[2])
    _summarise(report, np.array(truth), np.array(mean), np.array(std), np.array(p_minor))
    return report


def _summarise(report: AgeReport, truth: np.ndarray, mean: np.ndarray, std: np.ndarray,
               p_minor: np.ndarray) -> None:
    report.measured = len(truth)
    if not len(truth):
        report.statements.append("No face was found in any labelled image: nothing measured.")
        return
    error = mean - truth
    report.mae = round(float(np.abs(error).mean()), 2)
    report.bias = round(float(error.mean()), 2)
    report.coverage_95 = round(float((np.abs(error) <= 1.96 * np.maximum(std, 1e-6)).mean()), 3)
    is_minor, said_minor = truth < ADULT_AGE, p_minor >= 0.5
    if said_minor.any():
        report.minor_precision = round(float((is_minor & said_minor).sum() / said_minor.sum()), 3)
    if is_minor.any():
        report.minor_recall = round(float((is_minor & said_minor).sum() / is_minor.sum()), 3)
    for name, low, high in BANDS:
        band = (truth >= low) & (truth < high)
        if band.any():
            report.by_band[name] = {"n": int(band.sum()),
                                    "mae": round(float(np.abs(error[band]).mean()), 2),
                                    "bias": round(float(error[band].mean()), 2)}
    report.statements.append(
        f"Measured on {report.measured} faces: mean absolute error {report.mae} years, bias "
        f"{report.bias:+} years; the stated 95% interval covered the true age "
        f"{report.coverage_95:.0%} of the time.")
    if report.measured < 30:
        report.statements.append(f"Only {report.measured} faces: these numbers are anecdotes.")


def engine_estimator() -> AgeEstimator:
    """An estimator backed by the face engine (largest face of each image)."""
    from PIL import Image, ImageOps

    from workbench.faces import FaceEngine

    engine = FaceEngine()

    def estimate(image: Path) -> tuple[float, float, float] | None:
        with Image.open(image) as opened:
            rgb = np.asarray(ImageOps.exif_transpose(opened).convert("RGB"))
        faces = engine.analyze_array(rgb)
        if not len(faces) or "age" not in faces.data:
            return None
        i = int(np.argmax(faces.area))
        return (float(faces.data["age"][i]), float(faces.data["age_std"][i]),
                float(faces.data["p_minor"][i]))

    return estimate
