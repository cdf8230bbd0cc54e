"""Missing-person records: what a registry holds about one person, and their photos.

A record keeps the source's own words for sex and race/ethnicity (``sex_raw``,
``race_ethnicity``) beside the normalised ``sex`` the filters use, because an analyst
must be able to see exactly what the source recorded.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from workbench.errors import WorkbenchError

SEXES: tuple[str, ...] = ("female", "male", "unknown")
MAX_AGE = 120.0
# A record dated tomorrow may be today where it was written (time zones); later is an error.
_FUTURE_SLACK = timedelta(days=1)

_SEX_WORDS = {
    "f": "female", "female": "female", "woman": "female", "girl": "female", "w": "female",
    "m": "male", "male": "male", "man": "male", "boy": "male",
}


class MissingPersonsError(WorkbenchError):
    """The missing-person registry is missing, unreadable, or asked for something it cannot do."""


def normalise_sex(value: Any) -> str:
    """``female``, ``male`` or ``unknown`` from what a source or a model wrote."""
    if value is None:
        return "unknown"
    word = str(value).strip().lower()
    return _SEX_WORDS.get(word, "unknown")


def parse_date(value: Any) -> date | None:
    """A date from ``YYYY-MM-DD`` (time part ignored), a ``date``/``datetime``, or None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not text or text.lower() in ("nan", "none", "null"):
        return None
    try:
        return date.fromisoformat(text[:10])  # ISO, with any time part cut off
    except ValueError:
        pass
    for fmt in ("%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise MissingPersonsError(f"cannot read {value!r} as a date; use YYYY-MM-DD")


def _number(value: Any, name: str, record_id: str) -> float:
    """A finite number, or a MissingPersonsError naming the record and the field."""
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise MissingPersonsError(f"record {record_id}: {name} {value!r} is not a number") from error
    if not math.isfinite(number):
        raise MissingPersonsError(f"record {record_id}: {name} {value!r} is not a finite number; "
                            "leave it empty when unknown")
    return number


def _age(value: Any, name: str, record_id: str) -> float | None:
    """An age in years, 0 to :data:`MAX_AGE`; None when unknown."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    age = _number(value, name, record_id)
    if not 0 <= age <= MAX_AGE:
        raise MissingPersonsError(f"record {record_id}: {name} {age:g} is not an age (0 to "
                            f"{MAX_AGE:g} years)")
    return age


def years_between(start: date, end: date) -> float:
    """Elapsed years between two dates (365.25-day years)."""
    return (end - start).days / 365.25


@dataclass(frozen=True)
class MissingPerson:
    """One missing person as a registry records them.

    Attributes:
        id: registry-wide id, ``<source>:<source id>`` (e.g. ``namus:MP12345``).
        source: where the record came from (``namus``, ``csv:<file>``, ``demo``...).
        name: full name as recorded.
        sex: normalised ``female``/``male``/``unknown`` (what the filters use).
        sex_raw: sex exactly as the source recorded it.
        race_ethnicity: as recorded by the source, never normalised.
        date_of_birth: when known.
        age_missing_min: youngest age when missing (years); equals max when exact.
        age_missing_max: oldest age when missing (years).
        date_last_seen: date of last contact.
        place: last-seen place as text.
        lat: last-seen latitude (signed decimal degrees) or None.
        lon: last-seen longitude or None.
        case_url: link to the source's case page.
        extra: anything else the source gave (kept, shown, never filtered on).
    """

    id: str
    source: str
    name: str = ""
    sex: str = "unknown"
    sex_raw: str = ""
    race_ethnicity: str = ""
    date_of_birth: date | None = None
    age_missing_min: float | None = None
    age_missing_max: float | None = None
    date_last_seen: date | None = None
    place: str = ""
    lat: float | None = None
    lon: float | None = None
    case_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.id:
            raise MissingPersonsError("a missing-person record needs an id")
        if self.sex not in SEXES:
            raise MissingPersonsError(f"sex must be one of {SEXES}, got {self.sex!r}")
        for name in ("date_of_birth", "date_last_seen"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, date):
                try:
                    object.__setattr__(self, name, parse_date(value))
                except MissingPersonsError as error:
                    raise MissingPersonsError(f"record {self.id}: {name}: {error}") from error
        self._check_dates()
        for name in ("age_missing_min", "age_missing_max"):
            object.__setattr__(self, name, _age(getattr(self, name), name, self.id))
        lo, hi = self.age_missing_min, self.age_missing_max
        if lo is None and hi is None and self.date_of_birth and self.date_last_seen:
            # An exact age when missing follows from the two dates.
            age = years_between(self.date_of_birth, self.date_last_seen)
            object.__setattr__(self, "age_missing_min", age)
            object.__setattr__(self, "age_missing_max", age)
        elif lo is None and hi is not None:
            object.__setattr__(self, "age_missing_min", hi)
        elif hi is None and lo is not None:
            object.__setattr__(self, "age_missing_max", lo)
        lo, hi = self.age_missing_min, self.age_missing_max
        if lo is not None and hi is not None and lo > hi:
            raise MissingPersonsError(f"record {self.id}: age when missing {lo} > {hi}")
        for name in ("lat", "lon"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _number(value, name, self.id))
        if self.lat is not None and not -90 <= self.lat <= 90:
            raise MissingPersonsError(f"record {self.id}: latitude {self.lat} out of range")
        if self.lon is not None and not -180 <= self.lon <= 180:
            raise MissingPersonsError(f"record {self.id}: longitude {self.lon} out of range")

    def _check_dates(self) -> None:
        """Birth before last seen, and neither in the future."""
        latest = date.today() + _FUTURE_SLACK
        for name in ("date_of_birth", "date_last_seen"):
            value = getattr(self, name)
            if value is not None and value > latest:
                raise MissingPersonsError(f"record {self.id}: {name} {value.isoformat()} is in the "
                                    "future; check the date and its format (YYYY-MM-DD)")
        born, seen = self.date_of_birth, self.date_last_seen
        if born is not None and seen is not None and born > seen:
            raise MissingPersonsError(f"record {self.id}: date_of_birth {born.isoformat()} is after "
                                f"date_last_seen {seen.isoformat()}; one of them is wrong")

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-friendly dict (dates as ISO strings)."""
        out = asdict(self)
        for key in ("date_of_birth", "date_last_seen"):
            out[key] = out[key].isoformat() if out[key] else None
        return out

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> MissingPerson:
        """Inverse of :meth:`as_dict` (unknown keys go to ``extra``)."""
        names = set(cls.__dataclass_fields__)
        known = {k: v for k, v in row.items() if k in names}
        extra = dict(known.pop("extra", None) or {})
        extra.update({k: v for k, v in row.items() if k not in names})
        return cls(**known, extra=extra)


@dataclass(frozen=True)
class RegistryPhoto:
    """A photo of a missing person, embedded with the case faces' model.

    Attributes:
        record_id: the :class:`MissingPerson` it shows.
        embedding_key: model + detector + alignment; only same-key embeddings compare.
        location: file path or URL of the photo.
        sha256: of the photo bytes, when the file was read.
        photo_date: when the photo was taken, if the source says.
    """

    record_id: str
    embedding_key: str
    location: str = ""
    sha256: str = ""
    photo_date: date | None = None
