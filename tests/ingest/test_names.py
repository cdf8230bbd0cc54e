"""File names that are not UTF-8 (bytes on Linux): recorded losslessly, shown escaped."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from workbench.store import Case

from .helpers import ingest_quiet

BAD_IMAGE = b"bad_utf8_\xff\xfe.jpg"
BAD_VIDEO = b"clip_\xe9t\xe9.mp4"  # Latin-1 accents: common on old Windows shares
BAD_TEXT = b"notes_\x80.txt"


def _folder_with_bad_names(photo_dir: Path, shared_data: Path) -> Path:
    raw = os.fsencode(photo_dir)
    shutil.copyfile(photo_dir / "deepface_img1.jpg", os.fsdecode(raw + b"/" + BAD_IMAGE))
    shutil.copyfile(shared_data / "video" / "face_recognition_short_hamilton_clip.mp4",
                    os.fsdecode(raw + b"/" + BAD_VIDEO))
    Path(os.fsdecode(raw + b"/" + BAD_TEXT)).write_bytes(b"not an image")
    return photo_dir


def test_non_utf8_names_ingest_completely_and_resume(photo_dir: Path, shared_data: Path,
                                                     new_case: Case) -> None:
    folder = _folder_with_bad_names(photo_dir, shared_data)
    files = sorted(os.listdir(os.fsencode(folder)))
    report = ingest_quiet(new_case, [folder])
    assert report.seen == len(files)
    rows = [tuple(r) for r in new_case.db.execute(
        "SELECT path, raw_path FROM evidence_paths WHERE path NOT LIKE '%#t=%' "
        "UNION ALL SELECT path, raw_path FROM quarantine").fetchall()]
    assert len(rows) == len(files)  # every file recorded, none lost to an encoding error
    stored = {os.fsencode(os.fsdecode(raw)) if raw else p.encode() for p, raw in rows}
    assert stored == {os.fsencode(folder) + b"/" + name for name in files}  # lossless bytes
    shown = {p for p, _ in rows}
    assert f"{folder}/bad_utf8_\\xff\\xfe.jpg" in shown  # escaped display form
    assert f"{folder}/clip_\\xe9t\\xe9.mp4" in shown
    video = new_case.evidence("video")
    assert len(video) == 1 and video.iloc[0]["metadata"]["frames_sampled"] > 0
    assert new_case.quarantined().set_index("path").loc[
        f"{folder}/notes_\\x80.txt", "reason"] == "unsupported_format"
    # analysis finds the pixels through the exact bytes
    image_id = next(e.id for e in new_case.iter_evidence(("image",))
                    if any("bad_utf8" in p for p in e.source_paths))
    assert os.path.isfile(new_case.pixels_path(new_case.get_evidence(image_id)))

    again = ingest_quiet(new_case, [folder])
    assert again.skipped == again.seen == len(files)  # a rerun neither stops nor redoes


def test_cli_shows_escaped_names(photo_dir: Path, shared_data: Path, tmp_path: Path) -> None:
    folder = _folder_with_bad_names(photo_dir, shared_data)
    case_dir = tmp_path / "case"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    first = subprocess.run([sys.executable, "-m", "workbench.cli", "ingest", str(case_dir),
                            str(folder), "--workers", "2", "--no-progress"],
                           capture_output=True, text=True, env=env, timeout=300)
    assert first.returncode == 0, first.stderr[-2000:]
    listed = subprocess.run([sys.executable, "-m", "workbench.cli", "evidence", str(case_dir),
                             "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert listed.returncode == 0, listed.stderr[-2000:]
    paths = [p for line in listed.stdout.splitlines() for p in json.loads(line)["paths"]]
    assert any(p.endswith("bad_utf8_\\xff\\xfe.jpg") for p in paths)
    quarantine = subprocess.run([sys.executable, "-m", "workbench.cli", "quarantine",
                                 str(case_dir)], capture_output=True, text=True, env=env,
                                timeout=120)
    assert quarantine.returncode == 0 and "notes_\\x80.txt" in quarantine.stdout
