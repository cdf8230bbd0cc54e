"""Who is acting on a case, and whether they may do what they ask.

The acting user of a case that has users is found, in order, from:

1. a **session** made by ``workbench login CASE`` (or :func:`login` in a notebook): a
   random token in a file of mode 0600 under ``~/.workbench/sessions`` (or
   ``$WORKBENCH_SESSIONS``); the case stores only the token's SHA-256 and its expiry;
2. **automation**: ``WORKBENCH_USER`` together with ``WORKBENCH_PASSWORD_FILE``, a file of
   mode 0600 whose first line is that user's password (checked like a login).

``WORKBENCH_USER`` alone proves nothing and is ignored. Without either, the operating-system
account acts *without roles*: it can ingest and score, and the audit log records it as
``os:<account>``, but it cannot decide, reveal or manage users. A case with no users is
open: the operating-system account acts with every role.

Roles are enforced where an action is written to the audit log (:func:`required_role`),
inside the transaction that makes the change, so a refused action changes nothing.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import pwd
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench import settings
from workbench.auth.passwords import read_password_file
from workbench.auth.users import ROLES, UserError, authenticate, get_user, has_users
from workbench.errors import WorkbenchError
from workbench.store import users as user_rows
from workbench.types import utc_now

if TYPE_CHECKING:
    from workbench.store import Case

SESSION_HOURS = 8.0

# What each audited action needs. Everything else (ingest, score, runs...) needs no role.
_ACTION_ROLES = {
    "review.decide": "analyst", "review.reveal": "analyst", "thumbnail.reveal": "analyst",
    "review.threshold": "analyst", "uniforms.correct": "analyst",
    "faces.cluster.merge": "analyst", "faces.cluster.split": "analyst",
    "users.add": "admin", "users.remove": "admin", "users.passwd": "admin",
}


class AuthError(WorkbenchError):
    """No valid login for a case that has users, or a session that is not private."""


class PermissionDenied(AuthError):
    """The acting user lacks the role an action needs."""


@dataclass(frozen=True)
class Actor:
    """Who acts on a case: the name the audit log records, roles, and how it was proven.

    Attributes:
        name: a user of the case, or ``os:<account>`` when not logged in.
        roles: what they may do (every role when the case has no users).
        how: ``session``, ``password file``, ``open case`` or ``not logged in``.
    """

    name: str
    roles: tuple[str, ...]
    how: str

    def has(self, role: str) -> bool:
        return role in self.roles


def os_account() -> str:
    """The operating-system account running this process (not an environment variable)."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:  # a uid without a passwd entry (some containers)
        return f"uid{os.getuid()}"


def required_role(action: str, target: str, actor: Actor,
                  detail: Mapping[str, Any] | None = None) -> str | None:
    """The role ``action`` needs (``users.passwd`` on oneself needs none).

    Any action that reveals unblurred images (``detail["reveal"]`` true: a map or report
    export with ``--reveal``) needs the analyst role.
    """
    if action == "users.passwd" and target == actor.name and actor.how != "not logged in":
        return None
    if detail is not None and detail.get("reveal") is True:
        return _ACTION_ROLES.get(action, "analyst")
    return _ACTION_ROLES.get(action)


def check_action(case: Case, action: str, target: str, who: str | None,
                 detail: Mapping[str, Any] | None = None) -> str:
    """The name to record for ``action``; raises when the actor may not do it.

    ``who`` may only name the acting user (or be the process default, the OS account that
    ``workbench.store.current_user()`` gives), so a caller cannot record a decision under
    someone else's name in a case that has users.
    """
    actor = case.actor()
    if who and who not in (actor.name, os_account()) and actor.how != "open case":
        raise AuthError(f"cannot record {action!r} as {who!r}: you are {actor.name!r} "
                        f"({actor.how})")
    role = required_role(action, target, actor, detail)
    if role and not actor.has(role):
        hint = ("log in with `workbench login CASE` (or workbench.auth.login in a notebook)"
                if actor.how == "not logged in" else "ask an admin for the role")
        raise PermissionDenied(f"{action} needs the {role} role; {actor.name} has "
                               f"{list(actor.roles) or 'none'}: {hint}")
    if actor.how == "open case" and who:
        return who
    return actor.name


def resolve(case: Case) -> Actor:
    """Find who acts on ``case`` (see the module docs for the order)."""
    if not has_users(case):
        return Actor(os_account(), ROLES, "open case")
    user = _from_session(case)
    if user is not None:
        return user
    name, password_file = settings.read(settings.USER), settings.read(settings.PASSWORD_FILE)
    if name and password_file:
        try:
            found = authenticate(case, name, read_password_file(password_file))
        except UserError as error:
            raise AuthError(f"WORKBENCH_USER/WORKBENCH_PASSWORD_FILE: {error}") from error
        return Actor(found.name, found.roles, "password file")
    return Actor(f"os:{os_account()}", (), "not logged in")


def actor_for(case: Case) -> Actor:
    """The acting user of an open case (cached on the case)."""
    return case.actor()


# -- sessions ------------------------------------------------------------------------


def sessions_dir() -> Path:
    return Path(settings.read(settings.SESSIONS) or Path.home() / ".workbench" /
                "sessions").expanduser()


def session_file(case: Case) -> Path:
    """Where this account keeps its session for ``case`` (one per case folder)."""
    key = hashlib.sha256(str(case.path.resolve()).encode("utf-8")).hexdigest()[:32]
    return sessions_dir() / f"{key}.json"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _from_session(case: Case) -> Actor | None:
    file = session_file(case)
    try:
        mode = file.stat().st_mode
    except FileNotFoundError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO) or file.stat().st_uid != os.getuid():
        raise AuthError(f"session file {file} is readable by others: delete it and log in again")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        token = str(data["token"])
    except (OSError, ValueError, KeyError):
        return None
    row = user_rows.session(case, _token_hash(token))
    if row is None or datetime.fromisoformat(row[1]) < utc_now():
        return None
    user = get_user(case, row[0])
    return Actor(user.name, user.roles, "session") if user else None


def create_session(case: Case, name: str, purpose: str = "cli",
                   hours: float = SESSION_HOURS) -> str:
    """Store a new session of ``name`` (hash and expiry only); returns its token."""
    token = secrets.token_urlsafe(32)
    now = utc_now()
    user_rows.add_session(case, _token_hash(token), name, purpose, now.isoformat(),
                          (now + timedelta(hours=hours)).isoformat())
    return token


def login(case: Case, name: str, password: str | None = None,
          hours: float = SESSION_HOURS) -> Actor:
    """Log ``name`` in to ``case`` for ``hours``: prompts for the password when not given.

    Writes the session file (mode 0600) that later commands and notebooks on this
    account use, and makes ``case`` act as that user at once.

    Example:
        >>> from workbench.auth import login                      # doctest: +SKIP
        >>> login(case, "alice")          # asks: Password for alice:   # doctest: +SKIP
    """
    if password is None:
        password = getpass.getpass(f"Password for {name} on case {case.name}: ")
    try:
        user = authenticate(case, name, password)
    except UserError as error:
        raise AuthError(str(error)) from error
    token = create_session(case, user.name, "cli", hours)
    folder = sessions_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    file = session_file(case)
    # Created private from the start: no moment where another account could read it.
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"case": str(case.path), "user": user.name, "token": token}, handle)
    os.chmod(file, 0o600)
    case.forget_actor()
    case.audit("auth.login", target=user.name, detail={"hours": hours})
    return case.actor()


def logout(case: Case) -> bool:
    """End this account's session for ``case``; False when there was none."""
    file = session_file(case)
    try:
        token = json.loads(file.read_text(encoding="utf-8")).get("token", "")
    except (OSError, ValueError):
        return False
    user_rows.end_session(case, _token_hash(str(token)))
    file.unlink(missing_ok=True)
    case.forget_actor()
    return True
