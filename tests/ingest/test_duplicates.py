"""Duplicates by SHA-256 are stored once with all their paths; re-runs skip done paths."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from .helpers import ingest_quiet


def test_duplicates_stored_once_with_all_paths(photo_dir: Path, tmp_path: Path, new_case) -> None:
    copy_dir = tmp_path / "copies" / "deeper"
    copy_dir.mkdir(parents=True)
    shutil.copy2(photo_dir / "deepface_img1.jpg", copy_dir / "renamed.jpg")
    archive = tmp_path / "copies" / "a.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(photo_dir / "deepface_img1.jpg", "x/img1.jpg")
    report = ingest_quiet(new_case, [photo_dir, tmp_path / "copies"])
    assert report.new_evidence == 6 and report.duplicates == 2

    frame = new_case.evidence()
    assert frame["sha256"].is_unique and len(frame) == 6
    paths = [row for row in frame["paths"] if len(row) > 1]
    assert len(paths) == 1 and sorted(paths[0]) == sorted([
        str(photo_dir / "deepface_img1.jpg"), str(copy_dir / "renamed.jpg"),
        f"{archive}!/x/img1.jpg"])

    again = ingest_quiet(new_case, [photo_dir, tmp_path / "copies"])
    assert again.skipped == 8 and again.new_evidence == 0 and again.duplicates == 0
    assert len(new_case.evidence()) == 6
    assert list(new_case.runs()["status"]) == ["done", "done"]
