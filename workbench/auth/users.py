"""The users of a case: names, roles and password hashes in ``case.db``.

Every change is made by an admin (checked through the audit log entry it writes, see
:func:`workbench.auth.identity.required_role`) and audited; a case always keeps at least
one admin, so it cannot lock itself out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench.auth.passwords import check_password, hash_password, needs_rehash
from workbench.errors import WorkbenchError
from workbench.store import users as user_rows
from workbench.types import utc_now

if TYPE_CHECKING:
    from workbench.store import Case

ROLES: tuple[str, ...] = ("analyst", "supervisor", "admin")
"""analyst: decide review items and reveal images; supervisor: open the dashboard;
admin: add, remove and change users."""

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


class UserError(WorkbenchError):
    """A user name, role or change is not valid for this case."""


@dataclass(frozen=True)
class User:
    """A user of a case (never carries the password hash out of this module)."""

    name: str
    roles: tuple[str, ...]
    created_at: str = ""
    created_by: str = ""


def _now() -> str:
    return utc_now().isoformat(timespec="microseconds")


def check_roles(roles: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Roles in :data:`ROLES` order, refusing unknown ones and an empty set."""
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise UserError(f"unknown roles {unknown}; roles are {', '.join(ROLES)}")
    if not roles:
        raise UserError(f"give a user at least one role ({', '.join(ROLES)})")
    return tuple(r for r in ROLES if r in roles)


def has_users(case: Case) -> bool:
    """Whether the case has users (else it is open to whoever can write its folder)."""
    return user_rows.any_user(case)


def list_users(case: Case) -> list[User]:
    """Every user of the case, by name."""
    rows = user_rows.user_rows(case)
    return [User(r[0], tuple(json.loads(r[1])), r[2], r[3]) for r in rows]


def get_user(case: Case, name: str) -> User | None:
    row = user_rows.user_row(case, name)
    return User(row[0], tuple(json.loads(row[1])), row[2], row[3]) if row else None


def add_user(case: Case, name: str, password: str, roles: list[str] | tuple[str, ...]) -> User:
    """Add a user; the first user of a case must be an admin."""
    if not _NAME.fullmatch(name):
        raise UserError(f"user name {name!r}: use letters, digits and . _ @ - (up to 64)")
    ordered = check_roles(roles)
    first = not user_rows.any_user(case)
    if first and "admin" not in ordered:
        raise UserError("the first user of a case must have the admin role, so someone can "
                        "manage users once the case is no longer open")
    digest = hash_password(password)
    with case.transaction():
        if user_rows.exists(case, name):
            raise UserError(f"user {name!r} exists; use `workbench users passwd` or remove it")
        case.audit("users.add", target=name, detail={"roles": list(ordered)})
        user_rows.insert_user(case, name, json.dumps(list(ordered)), digest, _now(),
                              case.actor().name)
    if first:
        case.forget_actor()  # the case is no longer open: who acts must be found again
    return User(name, ordered)


def remove_user(case: Case, name: str) -> None:
    """Remove a user and their sessions; the last admin cannot be removed."""
    with case.transaction():
        user = get_user(case, name)
        if user is None:
            raise UserError(f"no user {name!r}; users are {[u.name for u in list_users(case)]}")
        admins = [u for u in list_users(case) if "admin" in u.roles]
        if "admin" in user.roles and len(admins) == 1:
            raise UserError(f"{name!r} is the last admin; add another admin first")
        case.audit("users.remove", target=name, detail={"roles": list(user.roles)})
        user_rows.delete_user(case, name)


def set_password(case: Case, name: str, password: str) -> None:
    """Change a user's password (an admin, or the user themself) and end their sessions."""
    digest = hash_password(password)
    with case.transaction():
        if get_user(case, name) is None:
            raise UserError(f"no user {name!r}")
        case.audit("users.passwd", target=name)
        user_rows.change_password(case, name, digest, _now())


def authenticate(case: Case, name: str, password: str) -> User:
    """The user when ``password`` is theirs; the same error for a wrong name or password."""
    found = user_rows.password_hash(case, name)
    # Verify against a dummy hash for unknown names too, so timing does not tell them apart.
    stored = found if found is not None else _DUMMY.value()
    if not check_password(stored, password) or found is None:
        raise UserError(f"wrong user name or password for case {case.name!r}")
    if needs_rehash(stored):
        user_rows.rehash(case, name, hash_password(password), stored)
    user = get_user(case, name)
    assert user is not None
    return user


class _Dummy:
    """A hash of a random password, made once when first needed (not on import)."""

    def __init__(self) -> None:
        self._hash: str | None = None

    def value(self) -> str:
        if self._hash is None:
            import secrets

            self._hash = hash_password(secrets.token_urlsafe(16))
        return self._hash


_DUMMY = _Dummy()
