"""How good are the age estimate and "probably under 18", on faces whose ages are known?

The criteria that matter most stand on one number, ``p_minor``. This module measures it the
way an investigator needs it measured: per age band (a child of 8 and a youth of 16 fail
differently), as the share of each band flagged at the operating threshold, as a ROC of
minors against adults with the sensitivity reached when 1 % and 5 % of adults over 25 are
flagged, and for the age itself as mean absolute error, bias and how often the stated
interval holds the true age. Faces the detector did not find are counted per band, never
dropped silently.

Everything here is pure NumPy on arrays, so tests can check it on inputs with known
answers; :mod:`workbench.eval.age_measure` runs the face engine to get the arrays.

Example:
    >>> import numpy as np
    >>> truth = np.array([8.0, 15.0, 30.0, 40.0])
    >>> report = age_report(truth, found=np.ones(4, bool), age=truth, low=truth - 2,
    ...                     high=truth + 2, p_minor=np.array([0.9, 0.6, 0.1, 0.0]),
    ...                     threshold=0.5)
    >>> report.bands["13-15"].flagged
    1.0
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import ValidationError

ADULT_AGE = 18.0
# Bands an investigator reasons in: young children, early and late teens, young adults
# (the hardest to tell from 16-17), adults.
BANDS: tuple[tuple[str, float, float], ...] = (
    ("0-12", 0, 13), ("13-15", 13, 16), ("16-17", 16, 18),
    ("18-20", 18, 21), ("21-25", 21, 26), ("26+", 26, 200),
)
# Adults over this age are the population whose flag rate the operating point bounds.
CLEAR_ADULT_AGE = 26.0
FIT, CHECK = "fit", "check"


@dataclass
class BandFigures:
    """One age band: how many, how many found, how often flagged, age error, coverage."""

    n: int
    found: int
    flagged: float | None = None
    mae: float | None = None
    bias: float | None = None
    coverage: float | None = None

    @property
    def not_found(self) -> int:
        return self.n - self.found


@dataclass
class AgeReport:
    """What ``workbench eval age`` prints: per-band figures, the ROC and the age error."""

    labels: str
    threshold: float
    images: int
    found: int
    bands: dict[str, BandFigures] = field(default_factory=dict)
    auc: float | None = None
    # Sensitivity to minors (and to 13-17 alone) where 1 % / 5 % of adults over 25 are flagged.
    at_adult_rate: dict[str, dict[str, float]] = field(default_factory=dict)
    mae: float | None = None
    bias: float | None = None
    coverage: float | None = None
    interval: str = "95%"
    groups: list[dict[str, Any]] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (NaN, e.g. a rate with no face to rest on, is None)."""
        out = asdict(self)
        for name, band in self.bands.items():
            out["bands"][name]["not_found"] = band.not_found
        return _no_nan(out)

    def table(self) -> str:
        """A plain text table for a terminal, one line per band."""
        head = (f"{'band':<7}{'n':>6}{'no face':>9}{'flagged':>9}{'MAE':>7}{'bias':>7}"
                f"{'covered':>9}")
        lines = [head]
        for name, b in self.bands.items():
            lines.append(f"{name:<7}{b.n:>6}{b.not_found:>9}{_pct(b.flagged):>9}"
                         f"{_num(b.mae):>7}{_num(b.bias, signed=True):>7}{_pct(b.coverage):>9}")
        return "\n".join(lines)


def _no_nan(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nan(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    return value


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _num(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.1f}" if signed else f"{value:.1f}"


def band_of(age: np.ndarray) -> np.ndarray:
    """The band name of each age (object array)."""
    age = np.asarray(age, dtype=np.float64)
    out = np.full(age.shape, "", dtype=object)
    for name, low, high in BANDS:
        out[(age >= low) & (age < high)] = name
    return out


def roc_auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    from scipy.stats import rankdata

    positive, negative = np.asarray(positive, float), np.asarray(negative, float)
    if not len(positive) or not len(negative):
        return float("nan")
    ranks = rankdata(np.concatenate([positive, negative]))
    return float((ranks[:len(positive)].sum() - len(positive) * (len(positive) + 1) / 2)
                 / (len(positive) * len(negative)))


def threshold_at_rate(negative_scores: np.ndarray, rate: float) -> float:
    """The lowest threshold ``t`` with ``mean(negative >= t) <= rate``.

    Flagging is ``score >= t``, so ties at ``t`` all count: the threshold sits just above
    the scores that would take the rate past ``rate``.
    """
    scores = np.sort(np.asarray(negative_scores, dtype=np.float64))[::-1]
    if not len(scores):
        return 0.0
    allowed = int(np.floor(rate * len(scores) + 1e-9))
    if allowed >= len(scores):
        return float(scores[-1])
    return float(np.nextafter(scores[allowed], np.inf))


def age_report(truth: np.ndarray, found: np.ndarray, age: np.ndarray, low: np.ndarray,
               high: np.ndarray, p_minor: np.ndarray, threshold: float,
               labels: str = "", interval: str = "95%") -> AgeReport:
    """Measure estimates against true ages.

    Args:
        truth: the true age of every labelled image.
        found: whether a face was found (the other arrays are ignored where it was not).
        age, low, high: the estimate and its stated interval.
        p_minor: the probability of being under 18 the engine stored.
        threshold: the operating point (flagged when ``p_minor >= threshold``).
        labels: where the labels came from (shown in the report).
        interval: the interval's stated coverage, for the text.

    Returns:
        The report; bands with no image are left out.
    """
    truth = np.asarray(truth, dtype=np.float64)
    found = np.asarray(found, dtype=bool)
    arrays = [np.asarray(a, dtype=np.float64) for a in (age, low, high, p_minor)]
    if any(a.shape != truth.shape for a in arrays) or found.shape != truth.shape:
        raise ValidationError("age_report needs arrays of one length, one entry per image")
    age, low, high, p_minor = arrays
    report = AgeReport(labels=labels, threshold=float(threshold), images=len(truth),
                       found=int(found.sum()), interval=interval)
    flagged = p_minor >= threshold
    covered = (truth >= low) & (truth <= high)
    error = age - truth
    bands = band_of(truth)
    for name, _, _ in BANDS:
        member = bands == name
        if not member.any():
            continue
        seen = member & found
        figures = BandFigures(n=int(member.sum()), found=int(seen.sum()))
        if seen.any():
            figures.flagged = float(flagged[seen].mean())
            figures.mae = float(np.abs(error[seen]).mean())
            figures.bias = float(error[seen].mean())
            figures.coverage = float(covered[seen].mean())
        report.bands[name] = figures
    if found.any():
        report.mae = float(np.abs(error[found]).mean())
        report.bias = float(error[found].mean())
        report.coverage = float(covered[found].mean())
    _roc(report, truth[found], p_minor[found])
    report.statements = _statements(report)
    return report


def group_rates(truth: np.ndarray, found: np.ndarray, low: np.ndarray, high: np.ndarray,
                p_minor: np.ndarray, threshold: float, groups: np.ndarray
                ) -> list[dict[str, Any]]:
    """The flag and the interval per demographic group (or any other column of the labels).

    Age models differ across groups; a figure averaged over a set dominated by one group
    hides that. Each row gives the group's size, the share flagged among its found faces
    of 0-12, 13-17 and over 25 (with how many faces each share rests on) and the share of
    its true ages inside the stated interval.
    """
    truth, found = np.asarray(truth, float), np.asarray(found, bool)
    flagged = np.asarray(p_minor, float) >= threshold
    covered = (truth >= np.asarray(low, float)) & (truth <= np.asarray(high, float))
    groups = np.asarray(groups, dtype=object)
    rows = []
    for group in sorted({str(g) for g in groups}):
        member = (groups.astype(str) == group) & found
        row: dict[str, Any] = {"group": group, "n": int((groups.astype(str) == group).sum()),
                               "found": int(member.sum())}
        for name, lo, hi in (("0-12", 0, 13), ("13-17", 13, ADULT_AGE),
                             ("26+", CLEAR_ADULT_AGE, 200)):
            band = member & (truth >= lo) & (truth < hi)
            row[f"flagged {name}"] = float(flagged[band].mean()) if band.any() else None
            row[f"n {name}"] = int(band.sum())
        row["coverage"] = float(covered[member].mean()) if member.any() else None
        rows.append(row)
    return rows


def _roc(report: AgeReport, truth: np.ndarray, p_minor: np.ndarray) -> None:
    minors, adults = p_minor[truth < ADULT_AGE], p_minor[truth >= CLEAR_ADULT_AGE]
    teens = p_minor[(truth >= 13) & (truth < ADULT_AGE)]
    if not len(minors) or not len(adults):
        return
    report.auc = roc_auc(minors, p_minor[truth >= ADULT_AGE])
    for rate in (0.01, 0.05):
        t = threshold_at_rate(adults, rate)
        report.at_adult_rate[f"{rate:.0%}"] = {
            "threshold": t, "minors": float((minors >= t).mean()),
            "13-17": float((teens >= t).mean()) if len(teens) else float("nan"),
            "adults_26+": float((adults >= t).mean()),
        }


def _statements(report: AgeReport) -> list[str]:
    out = []
    if report.found < report.images:
        out.append(f"No face was found in {report.images - report.found} of {report.images} "
                   "images: those are not flagged and not in the age figures.")
    if report.mae is not None:
        out.append(f"Age: mean absolute error {report.mae:.1f} years, bias {report.bias:+.1f}; "
                   f"the stated {report.interval} interval held the true age "
                   f"{report.coverage:.0%} of the time.")
    if report.found < 30:
        out.append(f"Only {report.found} faces measured: these figures are anecdotes.")
    out.append("Labels of public portraits are close to apparent age, not documented age: "
               "a case's faces (other cameras, light, ages, demographics) may do worse.")
    return out


def read_age_labels(path: str | Path, root: str | Path | None = None
                    ) -> tuple[list[Path], np.ndarray]:
    """Image paths and true ages from a CSV with ``file`` and ``age`` columns.

    Raises:
        ValidationError: the file has no ``age`` column or a row's age is not a number;
            the message names the line.
    """
    path = Path(path)
    root = Path(root) if root else path.parent
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not {"file", "age"} <= set(reader.fieldnames or []):
            raise ValidationError(
                f"{path} needs 'file' and 'age' columns (has {reader.fieldnames}): without known "
                "ages the age model cannot be measured on it")
        files, ages = [], []
        for line, row in enumerate(reader, start=2):
            try:
                age = float(row["age"])
            except (TypeError, ValueError):
                raise ValidationError(f"{path}:{line}: age {row['age']!r} is not a number") from None
            if not 0 <= age <= 120:
                raise ValidationError(f"{path}:{line}: age {age:g} is outside 0-120")
            files.append(root / row["file"])
            ages.append(age)
    return files, np.asarray(ages, dtype=np.float64)


def label_columns(path: str | Path, names: tuple[str, ...], required: bool = False
                  ) -> dict[str, np.ndarray]:
    """Other columns of a labels CSV (e.g. race, gender), in the row order of its ages.

    Args:
        path: the labels CSV.
        names: the columns wanted.
        required: raise when one is missing (else only the columns the file has come back).
    """
    import pandas as pd

    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [name for name in names if name not in table.columns]
    if required and missing:
        raise ValidationError(f"{path} has no column {missing[0]!r} (it has {list(table.columns)})")
    return {name: table[name].to_numpy(dtype=object) for name in names if name not in missing}


def split_of(image: Path) -> str:
    """``fit`` or ``check``, from the image's content hash (stable across copies and renames).

    The age head is fitted on ``fit`` images only and every figure is reported on ``check``.
    """
    digest = hashlib.sha256(Path(image).read_bytes()).digest()
    return FIT if digest[0] % 2 == 0 else CHECK
