"""The audit log as a hash chain: each entry carries the hash of the one before it.

SQLite triggers stop accidental edits of the ``audit`` table, but anyone who can write
``case.db`` can drop them. The chain makes such an edit *evident*: every entry's
``hash`` is the SHA-256 of its canonical form (:func:`canonical`), which includes the
previous entry's hash, so rewriting, deleting or inserting an entry breaks every link
after it unless the forger recomputes the rest of the chain. Recomputing is possible
(there is no secret key), which is why the chain's head hash is printed by
``workbench audit verify``, written into reports and into ``workbench audit export``:
a head recorded outside the case (a report on file) pins everything before it.

A log written before the chain existed is sealed once, when the case is opened by a
workbench that knows the chain, and a ``audit.chain.start`` entry says how many entries
were sealed then (they are proven from that moment on, not from when they were written).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64
ENTRY_FIELDS = ("seq", "at", "who", "action", "target", "detail")
_TRIGGERS = ("audit_no_update", "audit_no_delete")


def canonical(entry: dict[str, Any], prev_hash: str) -> bytes:
    """The bytes an entry's hash is taken over: its fields and the previous hash.

    JSON with sorted keys and no whitespace, so the same entry always gives the same
    bytes; ``detail`` is hashed as the exact text stored.

    Example:
        >>> canonical({"seq": 1, "at": "t", "who": "a", "action": "x", "target": "",
        ...            "detail": "{}"}, GENESIS)[:20]
        b'{"action":"x","at":"'
    """
    body = {name: entry[name] for name in ENTRY_FIELDS}
    body["seq"] = int(body["seq"])
    body["prev"] = prev_hash
    return json.dumps(body, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def entry_hash(entry: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 (hex) of an entry's canonical form."""
    return hashlib.sha256(canonical(entry, prev_hash)).hexdigest()


def head(conn: sqlite3.Connection) -> tuple[int, str]:
    """The last entry's sequence number and hash (``(0, GENESIS)`` for an empty log)."""
    row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    if row is None:
        return 0, GENESIS
    return int(row[0]), row[1] or ""


def append(conn: sqlite3.Connection, at: str, who: str, action: str, target: str,
           detail: str) -> str:
    """Insert one chained entry; the caller holds a write transaction. Returns its hash."""
    last_seq, prev = head(conn)
    entry = {"seq": last_seq + 1, "at": at, "who": who, "action": action,
             "target": target, "detail": detail}
    digest = entry_hash(entry, prev)
    conn.execute(
        "INSERT INTO audit (seq, at, who, action, target, detail, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (entry["seq"], at, who, action, target, detail, prev, digest),
    )
    return digest


def seal_legacy(conn: sqlite3.Connection) -> int:
    """Chain a log written before the chain existed; returns how many entries were sealed.

    Only a log with no chained entry at all is sealed: once any entry carries a hash, an
    entry without one is a forgery for :func:`verify` to report, never something to fix.
    The caller holds a write transaction.
    """
    if conn.execute("SELECT 1 FROM audit WHERE hash IS NOT NULL LIMIT 1").fetchone():
        return 0
    rows = conn.execute(f"SELECT {', '.join(ENTRY_FIELDS)} FROM audit ORDER BY seq").fetchall()
    if not rows:
        return 0
    prev = GENESIS
    # The append-only triggers allow exactly this: filling hashes that are still empty.
    for row in rows:
        entry = dict(zip(ENTRY_FIELDS, row, strict=True))
        digest = entry_hash(entry, prev)
        conn.execute("UPDATE audit SET prev_hash=?, hash=? WHERE seq=?",
                     (prev, digest, entry["seq"]))
        prev = digest
    return len(rows)


@dataclass
class Verification:
    """What :func:`verify` found: ``ok``, the head, and the first break if any."""

    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    broken_seq: int | None = None
    reason: str = ""
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line for people: the head when intact, else the entry that breaks it."""
        if self.ok:
            return (f"audit chain intact: {self.entries} entries, head #{self.head_seq} "
                    f"{self.head_hash}")
        return (f"audit chain BROKEN at entry #{self.broken_seq}: {self.reason} "
                f"({self.entries} entries; the log cannot be trusted from this entry on)")


def iter_entries(conn: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    """Every entry with its stored hashes, in sequence order."""
    cursor = conn.execute(
        f"SELECT {', '.join(ENTRY_FIELDS)}, prev_hash, hash FROM audit ORDER BY seq")
    for row in cursor:
        yield dict(zip((*ENTRY_FIELDS, "prev_hash", "hash"), row, strict=True))


def verify(conn: sqlite3.Connection, expect_head: str | None = None) -> Verification:
    """Recompute the chain and name the first entry that breaks it.

    Checks, entry by entry: a hash is present, the entry points at the hash of the one
    before, its hash matches its content, sequence numbers rise and times never go
    backwards (entries are dated under the case's write lock). ``expect_head`` (a head
    recorded earlier, e.g. in a report) also catches entries cut off the end.
    """
    prev, prev_seq, prev_at, count = GENESIS, 0, "", 0
    # Entries sealed at the upgrade were dated the old way (outside the write lock, so
    # concurrent writers could interleave): their order in time is not checked.
    start = conn.execute("SELECT MIN(seq) FROM audit WHERE action='audit.chain.start'"
                         ).fetchone()[0]
    legacy_until = int(start) if start is not None else 0
    for entry in iter_entries(conn):
        count += 1
        seq = int(entry["seq"])
        problem = _check(entry, prev, prev_seq, prev_at if seq > legacy_until else "")
        if problem:
            return Verification(False, count, prev_seq, prev, seq, problem, _warnings(conn))
        prev, prev_seq, prev_at = entry["hash"], seq, entry["at"]
    if expect_head and expect_head != prev and not _contains(conn, expect_head):
        return Verification(False, count, prev_seq, prev, prev_seq + 1,
                            f"the recorded head {expect_head[:16]}... is not in the chain: "
                            "entries were removed from its end or the chain was rewritten",
                            _warnings(conn))
    return Verification(True, count, prev_seq, prev, None, "", _warnings(conn))


def _check(entry: dict[str, Any], prev: str, prev_seq: int, prev_at: str) -> str:
    seq = int(entry["seq"])
    if not entry["hash"]:
        return "it has no hash (added outside the workbench)"
    if seq <= prev_seq:
        return f"its sequence number does not follow #{prev_seq}"
    if entry["prev_hash"] != prev:
        return (f"it does not point at entry #{prev_seq}'s hash (an entry before it was "
                "removed, inserted or changed)")
    if entry_hash(entry, prev) != entry["hash"]:
        return "its content does not match its hash (who, what, when or detail was rewritten)"
    if prev_at and entry["at"] < prev_at:
        return f"it is dated {entry['at']}, before entry #{prev_seq} ({prev_at}): back-dated"
    return ""


def _contains(conn: sqlite3.Connection, digest: str) -> bool:
    return conn.execute("SELECT 1 FROM audit WHERE hash=?", (digest,)).fetchone() is not None


def _warnings(conn: sqlite3.Connection) -> list[str]:
    names = {row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit'")}
    return [f"trigger {name} is missing: the table accepts edits (the chain still shows them)"
            for name in _TRIGGERS if name not in names]


def export_document(conn: sqlite3.Connection, case_name: str, exported_at: str
                    ) -> dict[str, Any]:
    """The whole log with its hashes and the verification result, as a JSON document."""
    result = verify(conn)
    return {
        "format": "workbench-audit/1",
        "case": case_name,
        "exported_at": exported_at,
        "hash": "sha256 over canonical JSON of seq, at, who, action, target, detail, prev",
        "verified": result.ok,
        "verification": result.describe(),
        "head": {"seq": result.head_seq, "hash": result.head_hash},
        "entries": list(iter_entries(conn)),
    }
