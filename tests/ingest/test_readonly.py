"""Original evidence is never modified, moved or written next to."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

from .helpers import ingest_quiet


def _snapshot(root: Path) -> dict[str, tuple[int, int, int, str]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns, p.stat().st_mode,
                                   hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_evidence_untouched(photo_dir: Path, shared_data: Path, tmp_path: Path, new_case) -> None:
    with zipfile.ZipFile(photo_dir / "archive.zip", "w") as handle:
        handle.write(shared_data / "video" / "face_recognition_short_hamilton_clip.mp4",
                     "clips/clip.mp4")
    shutil.copy2(shared_data / "badinput" / "pillow__truncated_jpeg.jpg", photo_dir)
    shutil.copy2(shared_data / "exif" / "ianare_exif-samples" / "heic" / "IMG_5195.HEIC",
                 photo_dir)
    before = _snapshot(photo_dir)
    listing = sorted(p.name for p in photo_dir.parent.iterdir())
    report = ingest_quiet(new_case, [photo_dir])
    assert report.frames > 0 and report.new_evidence == 8  # 6 photos, the HEIC, the video
    assert _snapshot(photo_dir) == before
    assert sorted(p.name for p in photo_dir.parent.iterdir()) == listing
    # the zip's video went through a scratch copy inside the case, removed afterwards
    assert not any((new_case.path / "derived" / "tmp").glob("*"))
