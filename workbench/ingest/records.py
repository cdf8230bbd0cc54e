"""What an ingest worker found, as :class:`~workbench.types.Evidence` for the store.

The worker describes each file (and each frame sampled from a video) as a flat record with
the evidence table's fields; :func:`evidence_from_record` is the one place that record is
translated, so the store only ever receives an ``Evidence``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from workbench.store.case import METADATA_COLUMNS
from workbench.store.evidence import CAPTURED_AT_TEXT
from workbench.types import Evidence


def evidence_from_record(record: Mapping[str, Any], case: str,
                         source_paths: Sequence[str] = ()) -> Evidence:
    """An :class:`Evidence` from a worker record (``id``, ``kind``, hashes, place, time,
    the table's columns, ``problems`` and ``metadata``; a leading-underscore key is the
    worker's own and ignored).

    Args:
        record: one record of a worker result.
        case: the case's name.
        source_paths: where the content was found.
    """
    metadata: dict[str, Any] = dict(record.get("metadata") or {})
    metadata.update({k: record[k] for k in METADATA_COLUMNS if record.get(k) is not None})
    metadata["problems"] = list(record.get("problems") or [])
    text = record.get("captured_at")
    captured = _moment(text)
    if text and (captured is None or captured.isoformat() != text):
        metadata[CAPTURED_AT_TEXT] = text
    lat, lon = record.get("lat"), record.get("lon")
    return Evidence(
        id=record["id"], kind=record["kind"], case=case, source_paths=tuple(source_paths),
        captured_at=captured,
        location=None if lat is None or lon is None else (float(lat), float(lon)),
        hashes={"sha256": record["id"],
                **{k: record.get(k) for k in ("md5", "sha1", "pdq", "pdq_quality")}},
        metadata=metadata,
    )


def _moment(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
