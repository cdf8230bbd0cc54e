"""Turn what the user points at (folders, zip archives, files) into items to ingest.

Zip members are never extracted beside the evidence: they are read into memory from
the archive. Their recorded path is ``/abs/archive.zip!/inner/path``. Hostile members
(path traversal, symlinks, encrypted, bomb-like sizes or ratios, nested archives) are
reported as rejections with a reason, never read.
"""

from __future__ import annotations

import os
import stat
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

from workbench.errors import EvidenceError

MEMBER_SEP = "!/"


@dataclass(frozen=True)
class ZipLimits:
    """What an archive may expand to before it is treated as a zip bomb.

    Every member's ratio is checked, whatever its size: fifty 1 MB members at 1000:1 are
    as much a bomb as one 50 MB member.

    Attributes:
        max_total_bytes: total uncompressed size of all accepted members of one archive.
        max_member_bytes: uncompressed size of one member.
        max_ratio: uncompressed / compressed size of one member (bombs reach 1000+).
        max_total_ratio: uncompressed / compressed size of the whole archive, judged once
            it declares more than ``total_ratio_floor`` bytes (a small archive's ratio says
            nothing); photos and videos are already compressed, so real evidence sits
            near 1:1.
        total_ratio_floor: declared total size from which the archive ratio applies.
        max_members: members per archive.
    """

    max_total_bytes: int = 8 << 30
    max_member_bytes: int = 2 << 30
    max_ratio: float = 200.0
    max_total_ratio: float = 50.0
    total_ratio_floor: int = 16 << 20
    max_members: int = 200_000


@dataclass(frozen=True)
class Item:
    """One file to ingest: a path on disk or a zip member, with the size and mtime seen."""

    path: str
    size: int | None
    mtime_ns: int | None


@dataclass(frozen=True)
class Rejection:
    """Something found in a source that will not be read, and why."""

    path: str
    reason: str
    detail: str
    size: int | None = None
    mtime_ns: int | None = None


def is_zip(path: Path) -> bool:
    if path.suffix.lower() == ".zip":
        return True
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def expand_sources(sources: Sequence[str | os.PathLike[str]], limits: ZipLimits | None = None
                   ) -> tuple[list[Item], list[Rejection]]:
    """Every file under ``sources`` (folders recursively, zips by member), sorted by path.

    Symbolic links are not followed (they could point anywhere on the machine); they are
    reported as rejections so the investigator sees them.
    """
    limits = limits or ZipLimits()
    items: list[Item] = []
    rejections: list[Rejection] = []
    for source in sources:
        root = Path(source).expanduser().absolute()
        if root.is_symlink():
            rejections.append(Rejection(str(root), "symlink", f"points to {os.readlink(root)}"))
        elif root.is_dir():
            for path in _walk(root, rejections):
                _add_file(path, items, rejections, limits)
        elif root.is_file():
            _add_file(root, items, rejections, limits)
        else:
            raise EvidenceError("missing_source", f"{root} is not a file or folder")
    unique = {item.path: item for item in items}
    for sidecar in sidecars(unique):
        del unique[sidecar]  # read with the file it describes (workbench.ingest.worker)
    return sorted(unique.values(), key=lambda i: i.path), rejections


def sidecars(paths: Iterable[str]) -> list[str]:
    """XMP files that are sidecars of another file found: ``IMG_1.xmp`` or
    ``IMG_1.jpg.xmp`` beside ``IMG_1.jpg``. An XMP file with no partner is not one."""
    names = set(paths)
    stems = {os.path.splitext(p)[0] for p in names if not p.lower().endswith(".xmp")}
    found = []
    for path in names:
        if MEMBER_SEP in path or not path.lower().endswith(".xmp"):
            continue
        base = path[:-4]
        if base in names or base in stems:
            found.append(path)
    return found


def _walk(root: Path, rejections: list[Rejection]) -> Iterator[Path]:
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for name in [*dirs]:
            full = Path(folder) / name
            if full.is_symlink():
                rejections.append(Rejection(str(full), "symlink", f"points to {os.readlink(full)}"))
        for name in sorted(files):
            full = Path(folder) / name
            if full.is_symlink():
                rejections.append(Rejection(str(full), "symlink", f"points to {os.readlink(full)}"))
            else:
                yield full


def _add_file(path: Path, items: list[Item], rejections: list[Rejection],
              limits: ZipLimits) -> None:
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        # FIFOs and devices would block or never end: record them, never read them.
        rejections.append(Rejection(str(path), "not_a_regular_file",
                                    f"file mode {stat.filemode(info.st_mode)}"))
        return
    if is_zip(path):
        _add_zip(path, info, items, rejections, limits)
    else:
        items.append(Item(str(path), info.st_size, info.st_mtime_ns))


def _add_zip(path: Path, info: os.stat_result, items: list[Item], rejections: list[Rejection],
             limits: ZipLimits) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        rejections.append(Rejection(str(path), "corrupt_archive", str(error), info.st_size,
                                    info.st_mtime_ns))
        return
    total = 0
    whole = archive_problem(members, limits)
    for index, member in enumerate(members):
        record = f"{path}{MEMBER_SEP}{member.filename}"
        if member.is_dir():
            continue
        reason, detail = member_problem(member, limits)
        if reason is None and whole is not None:
            reason, detail = "zip_bomb", whole
        if reason is None and index >= limits.max_members:
            reason, detail = "zip_bomb", f"archive has more than {limits.max_members} members"
        if reason is None and total + member.file_size > limits.max_total_bytes:
            reason, detail = "zip_bomb", (f"archive expands past {limits.max_total_bytes} bytes "
                                          f"in total")
        if reason is not None:
            rejections.append(Rejection(record, reason, detail, member.file_size,
                                        info.st_mtime_ns))
            continue
        total += member.file_size
        items.append(Item(record, member.file_size, info.st_mtime_ns))


def member_problem(member: zipfile.ZipInfo, limits: ZipLimits) -> tuple[str | None, str]:
    """Why a zip member must not be read, or ``(None, "")`` if it is safe."""
    name = member.filename
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or (len(name) > 1 and name[1] == ":"):
        return "path_traversal", f"member name {name!r} escapes the archive"
    mode = member.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "symlink", f"member {name!r} is a symbolic link"
    if member.flag_bits & 0x1:
        return "encrypted", f"member {name!r} is encrypted; supply the decrypted archive"
    if member.file_size > limits.max_member_bytes:
        return "zip_bomb", f"member expands to {member.file_size} bytes"
    if member.file_size > limits.max_ratio * max(member.compress_size, 1):
        ratio = member.file_size / max(member.compress_size, 1)
        return "zip_bomb", f"compression ratio {ratio:.0f}:1 exceeds {limits.max_ratio:.0f}:1"
    if pure.suffix.lower() == ".zip":
        return "nested_archive", "archives inside archives are not opened; extract it first"
    return None, ""


def archive_problem(members: list[zipfile.ZipInfo], limits: ZipLimits) -> str | None:
    """Why a whole archive is a bomb (declared total ratio too high), or None."""
    files = [m for m in members if not m.is_dir()]
    inflated = sum(m.file_size for m in files)
    compressed = max(sum(m.compress_size for m in files), 1)
    if inflated > limits.total_ratio_floor and inflated > limits.max_total_ratio * compressed:
        return (f"the archive expands {inflated / compressed:.0f}:1 in total ({inflated} "
                f"bytes), above {limits.max_total_ratio:.0f}:1")
    return None


@lru_cache(maxsize=4)
def _open_zip(archive: str, mtime_ns: int) -> zipfile.ZipFile:
    # Cached per worker process: reopening parses the central directory every time.
    del mtime_ns  # part of the cache key only: a replaced archive is reopened
    return zipfile.ZipFile(archive)


def read_member(archive: str, member: str, limit: int | None = None) -> bytes:
    """Read one member into memory, refusing to inflate past its declared size.

    Raises:
        EvidenceError: ``zip_bomb`` if the data outgrows the header, ``corrupt_archive``
            if the archive cannot be read.
    """
    try:
        handle = _open_zip(archive, os.stat(archive).st_mtime_ns)
        info = handle.getinfo(member)
        cap = min(info.file_size, limit) if limit else info.file_size
        chunks: list[bytes] = []
        size = 0
        with handle.open(info) as stream:
            while block := stream.read(1 << 20):
                size += len(block)
                if size > cap:
                    raise EvidenceError("zip_bomb", f"{member} inflates past its declared size")
                chunks.append(block)
        return b"".join(chunks)
    except (zipfile.BadZipFile, OSError, KeyError, EOFError, ValueError, zlib.error) as error:
        raise EvidenceError("corrupt_archive", f"{type(error).__name__}: {error}") from None
    except RuntimeError as error:  # zipfile raises it for encrypted members
        raise EvidenceError("encrypted", str(error)) from None


