"""Zip archives: members read in place, hostile members refused, nothing extracted."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

from workbench.ingest.sources import ZipLimits, expand_sources

from .helpers import ingest_quiet


def _hostile_zip(path: Path, photo: bytes) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("inner/good.jpg", photo)
        archive.writestr("../../escape.jpg", photo)
        archive.writestr("/etc/absolute.jpg", photo)
        link = zipfile.ZipInfo("inner/link.jpg")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
        archive.writestr("bomb.bin", b"\x00" * (20 << 20))  # 20 MiB of zeros: ratio ~1000:1
        archive.writestr("nested.zip", b"PK\x03\x04" + b"\x00" * 100)


def test_hostile_zip(photo_dir: Path, tmp_path: Path, new_case) -> None:
    archive = tmp_path / "evidence" / "seized.zip"
    archive.parent.mkdir()
    _hostile_zip(archive, (photo_dir / "deepface_img1.jpg").read_bytes())
    before = sorted(p.name for p in archive.parent.rglob("*"))
    report = ingest_quiet(new_case, [archive.parent])

    reasons = dict(zip(new_case.quarantined()["path"], new_case.quarantined()["reason"],
                       strict=True))
    member = f"{archive}!/"
    assert reasons[member + "../../escape.jpg"] == "path_traversal"
    assert reasons[member + "/etc/absolute.jpg"] == "path_traversal"
    assert reasons[member + "inner/link.jpg"] == "symlink"
    assert reasons[member + "bomb.bin"] == "zip_bomb"
    assert reasons[member + "nested.zip"] == "nested_archive"
    paths = [p for row in new_case.evidence()["paths"] for p in row]
    assert paths == [member + "inner/good.jpg"]
    assert report.new_evidence == 1
    # nothing was extracted beside the evidence, nor anywhere above it
    assert sorted(p.name for p in archive.parent.rglob("*")) == before
    assert not (tmp_path / "escape.jpg").exists()


def test_total_size_limit(tmp_path: Path) -> None:
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as handle:
        for i in range(5):
            handle.writestr(f"f{i}.bin", bytes(1000))
    items, rejections = expand_sources([archive], ZipLimits(max_total_bytes=2500))
    assert len(items) == 2 and {r.reason for r in rejections} == {"zip_bomb"}


def test_corrupt_archive_is_quarantined(tmp_path: Path, new_case) -> None:
    bad = tmp_path / "src" / "broken.zip"
    bad.parent.mkdir()
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    ingest_quiet(new_case, [bad.parent])
    assert list(new_case.quarantined()["reason"]) == ["corrupt_archive"]


def test_fifo_is_not_read(tmp_path: Path, new_case) -> None:
    import os

    folder = tmp_path / "src"
    folder.mkdir()
    os.mkfifo(folder / "pipe.jpg")  # reading it would block forever
    ingest_quiet(new_case, [folder])
    assert list(new_case.quarantined()["reason"]) == ["not_a_regular_file"]


def _many_small_bombs(path: Path, count: int = 50) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as handle:
        for i in range(count):
            handle.writestr(f"part{i:02d}.bin", b"\x00" * 1_000_000)  # ~1000:1 each


def test_small_members_are_ratio_checked(tmp_path: Path, new_case) -> None:
    """50 members of 1 MB at ~1000:1: none may inflate (they used to, being <= 1 MiB)."""
    archive = tmp_path / "src" / "small_bombs.zip"
    archive.parent.mkdir()
    _many_small_bombs(archive)
    ratios = [m.file_size / m.compress_size for m in zipfile.ZipFile(archive).infolist()]
    assert min(ratios) > 500
    report = ingest_quiet(new_case, [archive.parent])
    assert report.quarantined == {"zip_bomb": 50} and report.new_evidence == 0
    assert all("compression ratio" in d for d in new_case.quarantined()["detail"])


def test_archive_total_ratio_is_limited(tmp_path: Path) -> None:
    """Members each under the per-member ratio still make a bomb together."""
    archive = tmp_path / "total.zip"
    _many_small_bombs(archive)
    limits = ZipLimits(max_ratio=5000, max_total_ratio=50, total_ratio_floor=16 << 20)
    items, rejections = expand_sources([archive], limits)
    assert items == [] and len(rejections) == 50
    assert all("in total" in r.detail for r in rejections)
    # the same members in a small archive pass the archive check (one member stays)
    small = tmp_path / "one.zip"
    _many_small_bombs(small, count=1)
    items, _ = expand_sources([small], limits)
    assert len(items) == 1


def test_photos_in_a_zip_are_not_bombs(photo_dir: Path, tmp_path: Path) -> None:
    archive = tmp_path / "photos.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        for photo in sorted(photo_dir.iterdir()):
            handle.write(photo, photo.name)
            handle.writestr(photo.name + ".txt", "a short note")  # tiny text: ratio ~1
    items, rejections = expand_sources([archive])
    assert rejections == [] and len(items) == 2 * len(list(photo_dir.iterdir()))
