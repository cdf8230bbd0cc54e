"""Evidence enters the store as ``Evidence``: the ingest's records are translated once
(``ingest.records``), and ``store.evidence.add`` writes the same row the record described."""

from __future__ import annotations

from datetime import datetime

from workbench.ingest.records import evidence_from_record
from workbench.store import Case
from workbench.store import evidence as store_evidence
from workbench.types import Evidence

A, V, F = "a" * 64, "b" * 64, "c" * 64

IMAGE = {"id": A, "kind": "image", "md5": "m" * 32, "sha1": "s" * 40, "pdq": "f" * 64,
         "pdq_quality": 90, "bytes": 1234, "format": "JPEG", "width": 40, "height": 30,
         "captured_at": "2021-05-06T07:08:09+02:00", "lat": 51.5, "lon": -0.12, "alt": 12.0,
         "make": "Canon", "model": "EOS", "serial": None, "software": None, "orientation": 6,
         "status": "metadata_problem", "problems": ["time offset not parseable: 'x'"],
         "metadata": {"sources": {"location": "EXIF"}, "stored_size": [30, 40]}}
FRAME = {"id": F, "kind": "video_frame", "pdq": "0" * 64, "pdq_quality": 50, "md5": "n" * 32,
         "sha1": "t" * 40, "bytes": 99, "format": "PNG", "width": 8, "height": 6,
         "parent_id": V, "frame_time_s": 1.5, "derived_path": "derived/frames/c.png",
         "captured_at": "2021:13:01 10:00:00.12", "lat": None, "lon": None, "alt": None,
         "status": "ok", "problems": [], "metadata": {"frame_index": 45}}


def _row(case: Case, sha: str) -> dict:
    row = dict(case.db.execute("SELECT * FROM evidence WHERE id = ?", (sha,)).fetchone())
    return {k: v for k, v in row.items() if k not in ("added_at", "run_id")}


def test_an_evidence_from_a_record_is_stored_as_the_record_itself(tmp_path) -> None:
    direct, typed = Case.init(tmp_path / "direct"), Case.init(tmp_path / "typed")
    for record in (IMAGE, {"id": V, "kind": "video", "format": "MP4", "problems": [],
                           "metadata": {}}, FRAME):
        direct.add_evidence(record, f"/x/{record['id'][:4]}")
        evidence = evidence_from_record(record, typed.name, (f"/x/{record['id'][:4]}",))
        assert isinstance(evidence, Evidence)
        assert store_evidence.add(typed, evidence, f"/x/{record['id'][:4]}") is True
        assert _row(typed, record["id"]) == _row(direct, record["id"])
    assert store_evidence.add(typed, evidence_from_record(IMAGE, "x"), "/y/again") is False


def test_the_record_becomes_a_checked_evidence() -> None:
    image = evidence_from_record(IMAGE, "op", ("/x/a.jpg",))
    assert image.captured_at == datetime.fromisoformat(IMAGE["captured_at"])
    assert image.location == (51.5, -0.12) and image.hashes["pdq_quality"] == 90
    assert image.metadata["orientation"] == 6 and image.metadata["problems"] == IMAGE["problems"]
    # a time no datetime holds is kept as the source wrote it, only for the store's column
    frame = evidence_from_record(FRAME, "op")
    assert frame.captured_at is None and frame.location is None
    assert store_evidence.evidence_row(frame)["captured_at"] == FRAME["captured_at"]
    assert "captured_at_text" not in store_evidence.evidence_row(frame)["metadata"]


def test_what_is_stored_reads_back_as_the_same_evidence(new_case: Case) -> None:
    evidence = evidence_from_record(IMAGE, new_case.name, ("/x/a.jpg",))
    store_evidence.add(new_case, evidence, "/x/a.jpg")
    assert new_case.get_evidence(A) == evidence
