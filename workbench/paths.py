"""File names as text and as bytes.

File names are bytes on Linux. Evidence is recorded under a name SQLite and terminals
accept (:func:`display_path`) and, where that text is not exact, the original bytes
(:func:`raw_path`), so the file can still be opened (:func:`os_path`). A leaf module:
ingest workers use it without loading the store (and pandas) in every process.
"""

from __future__ import annotations

import os


def display_path(path: str) -> str:
    """A path as text SQLite and terminals accept, shown escaped where it is not UTF-8.

    File names are bytes on Linux; Python decodes the bytes that are not UTF-8 as lone
    surrogates, which no UTF-8 text column can hold. Such names are shown with each
    undecodable byte as ``\\xNN`` (``bad_\\xff.jpg``); :func:`raw_path` keeps the exact bytes.
    """
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return path


def raw_path(path: str) -> bytes | None:
    """The exact bytes of a path whose name is not UTF-8; None when the text is exact."""
    return None if display_path(path) == path else os.fsencode(path)


def os_path(display: str, raw: bytes | None) -> str:
    """The path to open: the recorded bytes when there are any, else the text."""
    return os.fsdecode(raw) if raw is not None else display
