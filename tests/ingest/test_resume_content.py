"""Resume by content: changed files become new versions, fixed files leave quarantine."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench.store import Case

from .helpers import ingest_quiet

NOBODY = 65534


def _versions(case: Case, path: Path) -> list[str]:
    rows = case.db.execute("SELECT evidence_id FROM evidence_paths WHERE path=? ORDER BY seen_at",
                           (str(path),)).fetchall()
    return [r[0] for r in rows]


def test_changed_file_is_a_new_version_beside_the_old(photo_dir: Path, new_case: Case) -> None:
    target = photo_dir / "deepface_img2.jpg"
    first = ingest_quiet(new_case, [photo_dir])
    old_id = _versions(new_case, target)
    assert len(old_id) == 1 and first.changed == 0

    # same path, other content (another photo): must not be skipped, must not overwrite
    shutil.copyfile(photo_dir / "deepface_img3.jpg", target)
    os.utime(target, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    second = ingest_quiet(new_case, [photo_dir])
    versions = _versions(new_case, target)
    assert second.changed == 1 and second.skipped == second.seen - 1
    assert versions[0] == old_id[0] and len(versions) == 2  # the old SHA-256 stays
    assert old_id[0] in set(new_case.evidence()["sha256"])
    actions = new_case.audit_log()
    changed = actions[actions["action"] == "ingest.changed"]
    assert len(changed) == 1 and old_id[0] in changed.iloc[0]["detail"]

    # only the time changed: hashed again, same content, no new version
    os.utime(target, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    third = ingest_quiet(new_case, [photo_dir])
    assert third.changed == 0 and third.skipped == third.seen - 1
    assert len(_versions(new_case, target)) == 2
    # unchanged: nothing redone
    assert ingest_quiet(new_case, [photo_dir]).skipped == third.seen


def test_corrupt_file_fixed_later_leaves_quarantine(photo_dir: Path, new_case: Case) -> None:
    target = photo_dir / "deepface_img4.jpg"
    good = target.read_bytes()
    target.write_bytes(good[:200])  # truncated
    first = ingest_quiet(new_case, [photo_dir])
    assert sum(first.quarantined.values()) == 1
    assert ingest_quiet(new_case, [photo_dir]).skipped == first.seen  # unchanged: not retried
    target.write_bytes(good)  # the examiner re-exported the file
    fixed = ingest_quiet(new_case, [photo_dir])
    assert fixed.retried == 1 and sum(fixed.quarantined.values()) == 0
    assert new_case.quarantined().empty


@pytest.fixture()
def open_dir() -> Iterator[Path]:
    """A folder another user can reach (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="wb-perm-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _ingest_cli(case_dir: Path, source: Path, as_nobody: bool) -> subprocess.CompletedProcess:
    prefix = (["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
              if as_nobody else [])
    env = {**os.environ, "HOME": str(case_dir.parent)}
    return subprocess.run([*prefix, sys.executable, "-m", "workbench.cli", "ingest",
                           str(case_dir), str(source), "--workers", "1", "--no-progress"],
                          capture_output=True, text=True, timeout=300, env=env)


def test_permission_fixed_later_is_retried(photo_dir: Path, open_dir: Path) -> None:
    root = os.geteuid() == 0  # root reads any file: run the ingests as nobody then
    if root and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv (util-linux) to drop privileges")
    source = open_dir / "photos"
    shutil.copytree(photo_dir, source)
    case_dir = open_dir / "case"
    case_dir.mkdir()
    if root:
        for path in [open_dir / "case", source, *source.iterdir()]:
            os.chown(path, NOBODY, NOBODY)
    locked = source / "deepface_img5.jpg"
    locked.chmod(0o000)
    first = _ingest_cli(case_dir, source, as_nobody=root)
    assert first.returncode == 0, first.stderr[-2000:]
    with sqlite3.connect(case_dir / "case.db") as conn:
        reasons = dict(conn.execute("SELECT path, reason FROM quarantine"))
    assert reasons == {str(locked): "unreadable_file"}

    locked.chmod(0o644)  # the examiner fixes the permission: size and mtime stay the same
    second = _ingest_cli(case_dir, source, as_nobody=root)
    assert second.returncode == 0, second.stderr[-2000:]
    with Case.open(case_dir) as case:
        assert case.quarantined().empty
        assert any(str(locked) in e.source_paths for e in case.iter_evidence(("image",)))
