"""Fixtures for the ingest tests: small real image sets copied into temporary folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FACE_FILES = ("deepface/img1.jpg", "deepface/img2.jpg", "deepface/img3.jpg",
              "deepface/img4.jpg", "deepface/img5.jpg", "deepface/couple.jpg")


@pytest.fixture()
def photo_dir(shared_data: Path, tmp_path: Path) -> Path:
    """A folder with a handful of real face photos (copies; the shared data stays untouched)."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in FACE_FILES:
        shutil.copy2(shared_data / "faces" / "labelled" / name, folder / name.replace("/", "_"))
    return folder
