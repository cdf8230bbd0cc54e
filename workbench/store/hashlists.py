"""Known-hash lists (``hash_lists``, ``known_hashes``) in a case."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from workbench.store.case import Case


def add_list(case: Case, row: tuple[Any, ...], entries: Sequence[tuple[Any, ...]]) -> int:
    """Store a list ``(id, name, format, source_path, sha256, entries, imported_at)`` and its
    ``(list_id, algo, value, category, detail)`` entries, each once; returns how many entries
    were new. Inside the caller's transaction when it audits the import."""
    with case.transaction() as conn:
        conn.execute(
            "INSERT OR IGNORE INTO hash_lists (id, name, format, source_path, sha256, entries, "
            "imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)", row)
        return conn.executemany(
            "INSERT OR IGNORE INTO known_hashes (list_id, algo, value, category, detail) "
            "VALUES (?, ?, ?, ?, ?)", entries).rowcount


def known_hashes(case: Case, list_ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """``list_id, name, algo, value, category`` of every known hash (of these lists)."""
    sql = ("SELECT k.list_id, l.name, k.algo, k.value, k.category FROM known_hashes k "
           "JOIN hash_lists l ON l.id = k.list_id")
    params: tuple[str, ...] = ()
    if list_ids is not None:
        ids = tuple(list_ids)
        sql += f" WHERE k.list_id IN ({', '.join('?' * len(ids))})"
        params = ids
    return [dict(r) for r in case.db.execute(sql, params).fetchall()]
