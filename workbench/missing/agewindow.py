"""Age-window arithmetic: could the face in a photo be this missing person, by age?

The person was ``a`` years old (a range ``[a_min, a_max]``) on the date last seen. A photo
taken on date ``p`` shows them at ``a + (p - last_seen)`` years. When the capture date is
unknown the photo may have been taken any time from ``unknown_photo_before_years`` before
they went missing up to today, so the window spreads over that whole span. The face's
estimated age ``e`` has a standard deviation ``s`` (models are unreliable on children), so
the face is compatible when ``[e - k*s - margin, e + k*s + margin]`` overlaps the window.

Example:
    >>> from datetime import date
    >>> w = expected_age_window(10, 10, date(2020, 1, 1), photo_date=date(2023, 1, 1))
    >>> round(w[0], 1), round(w[1], 1)
    (13.0, 13.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from workbench.missing.records import MissingPerson, years_between


@dataclass(frozen=True)
class AgeSettings:
    """How wide the age filter is.

    Attributes:
        sigmas: how many standard deviations of the age estimate to allow.
        margin_years: extra slack on each side, for models that under-report their spread.
        default_age_std: spread assumed when the face has no ``age_std``.
        unknown_photo_before_years: when the capture date is unknown, how long before the
            disappearance the photo may have been taken (older photos also circulate).
    """

    sigmas: float = 2.0
    margin_years: float = 2.0
    default_age_std: float = 6.0
    unknown_photo_before_years: float = 0.0


def expected_age_window(
    age_min: float, age_max: float, last_seen: date | None, photo_date: date | None = None,
    today: date | None = None, settings: AgeSettings | None = None,
) -> tuple[float, float]:
    """Ages the person could have in the photo: ``(low, high)`` in years.

    Args:
        age_min: youngest age when missing.
        age_max: oldest age when missing.
        last_seen: date last seen; None means unknown (then only the age range itself and
            the time up to today cannot be known, so the window opens upward by 100 years).
        photo_date: capture date of the photo, if known.
        today: the reference "now" (default: today).
        settings: :class:`AgeSettings`.
    """
    settings = settings or AgeSettings()
    today = today or date.today()
    if last_seen is None:
        return age_min, age_max + 100.0
    if photo_date is not None:
        delta = years_between(last_seen, photo_date)
        return age_min + delta, age_max + delta
    since = max(0.0, years_between(last_seen, today))
    return age_min - settings.unknown_photo_before_years, age_max + since


def face_age_interval(age: float, age_std: float | None, settings: AgeSettings | None = None
                      ) -> tuple[float, float]:
    """The ages a face plausibly has given its estimate and spread."""
    settings = settings or AgeSettings()
    spread = settings.default_age_std if age_std is None or age_std != age_std else age_std
    half = settings.sigmas * float(spread) + settings.margin_years
    return max(0.0, age - half), age + half


@dataclass(frozen=True)
class AgeCheck:
    """Result of the age filter for one face and one record, with the numbers behind it."""

    passed: bool
    face_interval: tuple[float, float] | None
    record_window: tuple[float, float] | None
    detail: str


def check_age(
    record: MissingPerson, face_age: float | None, face_age_std: float | None,
    photo_date: date | None = None, today: date | None = None,
    settings: AgeSettings | None = None,
) -> AgeCheck:
    """Does the face's estimated age fit the record's age window? Unknowns pass, and say so."""
    if face_age is None or face_age != face_age:
        return AgeCheck(True, None, None, "face has no age estimate; not filtered by age")
    if record.age_missing_min is None or record.age_missing_max is None:
        return AgeCheck(True, None, None, "record has no age when missing; not filtered by age")
    window = expected_age_window(record.age_missing_min, record.age_missing_max,
                                 record.date_last_seen, photo_date, today, settings)
    face = face_age_interval(float(face_age), face_age_std, settings)
    passed = face[0] <= window[1] and window[0] <= face[1]
    verdict = "overlaps" if passed else "does not overlap"
    detail = (f"face {face[0]:.1f}-{face[1]:.1f} y {verdict} expected "
              f"{window[0]:.1f}-{window[1]:.1f} y")
    return AgeCheck(passed, face, window, detail)
