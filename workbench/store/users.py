"""Per-case users (``users``) and login sessions (``sessions``): the rows only.

Passwords arrive here already hashed and tokens as their SHA-256; the rules (roles, the
last admin, timing-safe checks) live in :mod:`workbench.auth`.
"""

from __future__ import annotations

from typing import Any

from workbench.store.case import Case


def any_user(case: Case) -> bool:
    """Whether the case has at least one user."""
    return case.db.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None


def user_rows(case: Case) -> list[Any]:
    """``(name, roles JSON, created_at, created_by)`` of every user, by name."""
    return case.db.execute(
        "SELECT name, roles, created_at, created_by FROM users ORDER BY name").fetchall()


def user_row(case: Case, name: str) -> Any:
    """``(name, roles JSON, created_at, created_by)`` of one user, or None."""
    return case.db.execute("SELECT name, roles, created_at, created_by FROM users WHERE name=?",
                           (name,)).fetchone()


def exists(case: Case, name: str) -> bool:
    return case.db.execute("SELECT 1 FROM users WHERE name=?", (name,)).fetchone() is not None


def insert_user(case: Case, name: str, roles_json: str, password_hash: str, at: str,
                by: str) -> None:
    """Add a user row; inside the caller's transaction (which audits it)."""
    with case.transaction() as conn:
        conn.execute("INSERT INTO users (name, roles, password_hash, created_at, created_by) "
                     "VALUES (?, ?, ?, ?, ?)", (name, roles_json, password_hash, at, by))


def delete_user(case: Case, name: str) -> None:
    """Remove a user and their sessions; inside the caller's transaction."""
    with case.transaction() as conn:
        conn.execute("DELETE FROM sessions WHERE user=?", (name,))
        conn.execute("DELETE FROM users WHERE name=?", (name,))


def change_password(case: Case, name: str, password_hash: str, at: str) -> None:
    """Store a new password hash and end the user's sessions; inside the caller's
    transaction."""
    with case.transaction() as conn:
        conn.execute("UPDATE users SET password_hash=?, changed_at=? WHERE name=?",
                     (password_hash, at, name))
        conn.execute("DELETE FROM sessions WHERE user=?", (name,))


def password_hash(case: Case, name: str) -> str | None:
    row = case.db.execute("SELECT password_hash FROM users WHERE name=?", (name,)).fetchone()
    return row[0] if row else None


def rehash(case: Case, name: str, new_hash: str, old_hash: str) -> None:
    """Replace the hash only if it is still ``old_hash`` (another process may have changed
    the password meanwhile)."""
    with case.transaction() as conn:
        conn.execute("UPDATE users SET password_hash=? WHERE name=? AND password_hash=?",
                     (new_hash, name, old_hash))


def session(case: Case, token_hash: str) -> Any:
    """``(user, expires_at)`` of the session with this token hash, or None."""
    return case.db.execute("SELECT user, expires_at FROM sessions WHERE token_hash=?",
                           (token_hash,)).fetchone()


def add_session(case: Case, token_hash: str, user: str, purpose: str, created_at: str,
                expires_at: str) -> None:
    """Store a session, dropping expired ones first."""
    with case.transaction() as conn:
        conn.execute("DELETE FROM sessions WHERE expires_at < ?", (created_at,))
        conn.execute("INSERT INTO sessions (token_hash, user, purpose, created_at, expires_at) "
                     "VALUES (?, ?, ?, ?, ?)",
                     (token_hash, user, purpose, created_at, expires_at))


def end_session(case: Case, token_hash: str) -> None:
    with case.transaction() as conn:
        conn.execute("DELETE FROM sessions WHERE token_hash=?", (token_hash,))
