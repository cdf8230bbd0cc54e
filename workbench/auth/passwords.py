"""Password hashing with argon2id (argon2-cffi): salted, slow, and upgraded on login."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from workbench.errors import WorkbenchError

MIN_LENGTH = 10


class PasswordError(WorkbenchError):
    """A password is too weak, unreadable, or a password file is not private."""


def _hasher() -> PasswordHasher:
    # argon2-cffi's defaults are RFC 9106's low-memory profile (t=3, 64 MiB, p=4), salted
    # per hash; stored hashes carry their parameters, so raising these later still
    # verifies old hashes and :func:`needs_rehash` upgrades them at the next login.
    return PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (``$argon2id$...``), after a length check."""
    if len(password) < MIN_LENGTH:
        raise PasswordError(f"a password needs at least {MIN_LENGTH} characters")
    return _hasher().hash(password)


def check_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches ``stored``; False for a wrong or damaged hash."""
    try:
        return _hasher().verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made with weaker parameters than the current ones."""
    try:
        return _hasher().check_needs_rehash(stored)
    except InvalidHashError:
        return True


def read_password_file(path: str | os.PathLike[str]) -> str:
    """The first line of a password file that only its owner can read.

    Raises:
        PasswordError: missing, empty, or readable by group or others (``chmod 600``).
    """
    file = Path(path).expanduser()
    try:
        mode = file.stat().st_mode
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise PasswordError(f"cannot read password file {file}: {error.strerror}") from error
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PasswordError(f"password file {file} is readable by others; run `chmod 600 "
                            f"{file}` (or keep the password elsewhere)")
    lines = text.splitlines()
    if not lines or not lines[0]:
        raise PasswordError(f"password file {file} is empty; put the password on its first line")
    return lines[0]
