"""What a case map shows, as plain DataFrames: the one input of maps and exporters.

:func:`case_layers` reads a case with a single aggregating SQL query (one row per
geotagged item with its hit count, best score and sources), so a case of tens of
thousands of items loads in well under a second. Candidate schools and missing
persons' last-seen places come from other domains as plain records with ``lat``,
``lon``, ``name``, ``score`` and ``explanation``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from workbench.errors import ValidationError

POINT_COLUMNS = ("id", "lat", "lon", "captured_at", "kind", "hits", "score", "sources",
                 "review", "thumb")
PLACE_COLUMNS = ("name", "lat", "lon", "score", "explanation")



@dataclass
class MapLayers:
    """The layers of a case map.

    Attributes:
        evidence: one row per geotagged item (``POINT_COLUMNS``); ``hits`` is 0 and
            ``score`` NaN for items nothing flagged.
        schools: candidate schools (``PLACE_COLUMNS``).
        last_seen: missing persons' last-seen places (``PLACE_COLUMNS``).
        title: shown in exports.
    """

    evidence: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=POINT_COLUMNS))
    schools: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PLACE_COLUMNS))
    last_seen: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PLACE_COLUMNS))
    title: str = "case map"

    @property
    def hits(self) -> pd.DataFrame:
        """The geotagged items that at least one criterion, hash list or registry flagged."""
        return self.evidence[self.evidence["hits"] > 0]

    def counts(self) -> dict[str, int]:
        """How many points each layer holds."""
        return {"evidence": len(self.evidence), "hits": len(self.hits),
                "schools": len(self.schools), "last_seen": len(self.last_seen)}


def places_frame(records: Iterable[Mapping[str, Any]] | pd.DataFrame | None) -> pd.DataFrame:
    """Plain place records (schools, last-seen places) as a checked DataFrame.

    Records without coordinates are dropped (they cannot be drawn); coordinates out of
    range raise, because that is a bug upstream, not a missing value.
    """
    if records is None:
        return pd.DataFrame(columns=PLACE_COLUMNS)
    frame = records.copy() if isinstance(records, pd.DataFrame) else pd.DataFrame(list(records))
    for column in PLACE_COLUMNS:
        if column not in frame:
            frame[column] = None if column != "score" else float("nan")
    frame = frame.dropna(subset=["lat", "lon"]).reset_index(drop=True)
    frame["lat"] = frame["lat"].astype(float)
    frame["lon"] = frame["lon"].astype(float)
    bad = frame[(frame.lat.abs() > 90) | (frame.lon.abs() > 180)]
    if len(bad):
        raise ValidationError(f"place coordinates out of range: {bad[['name', 'lat', 'lon']]}")
    frame["name"] = frame["name"].fillna("").astype(str)
    frame["explanation"] = frame["explanation"].fillna("").astype(str)
    return frame


def case_layers(
    case: Any,
    schools: Iterable[Mapping[str, Any]] | pd.DataFrame | None = None,
    last_seen: Iterable[Mapping[str, Any]] | pd.DataFrame | None = None,
    thumbnails: int = 50,
    reveal: bool = False,
) -> MapLayers:
    """The map layers of an open case.

    Args:
        case: an open :class:`workbench.store.Case`.
        schools: candidate schools from the uniform search (plain records).
        last_seen: missing persons' last-seen places (plain records).
        thumbnails: how many items (highest score first) get a popup thumbnail; the rest
            show score, time and id only, which keeps large cases fast to open.
        reveal: unblurred thumbnails; only on a person's explicit request.
    """
    from workbench.store.evidence import map_points

    evidence = map_points(case)
    evidence["hits"] = evidence["hits"].astype(int)
    evidence["score"] = evidence["score"].astype(float)
    # SQLite cannot give group_concat(DISTINCT ...) a separator; space it for reading.
    evidence["sources"] = evidence["sources"].fillna("").str.replace(",", ", ")
    evidence["review"] = evidence["review"].fillna("")
    evidence["thumb"] = ""
    if thumbnails > 0 and len(evidence):
        from workbench.media import thumbnail_data_uri

        # Rows are ordered best score first, so the head is what a person looks at first.
        for index in evidence.index[:thumbnails]:
            uri = thumbnail_data_uri(case, evidence.at[index, "id"], reveal=reveal)
            evidence.at[index, "thumb"] = uri or ""
    return MapLayers(
        evidence=evidence[list(POINT_COLUMNS)],
        schools=places_frame(schools),
        last_seen=places_frame(last_seen),
        title=f"case {case.name}",
    )
