"""Who is who: users of a case with roles, password login, and the acting identity.

A case's users live in its own ``case.db`` (table ``users``), each with roles
(:data:`ROLES`) and an argon2id password hash. A case with no users is *open*: whoever
can write its folder acts as their operating-system account with every role (the way
cases worked before users existed). Once a user exists, decisions, reveals and user
management need a login: see :mod:`workbench.auth.identity` for how the acting user is
found (a session from ``workbench login``, or ``WORKBENCH_USER`` with
``WORKBENCH_PASSWORD_FILE`` for automation).
"""

from __future__ import annotations

from workbench.auth.identity import Actor, AuthError, PermissionDenied, actor_for, login, logout
from workbench.auth.users import ROLES, add_user, list_users, remove_user, set_password

__all__ = ["ROLES", "Actor", "AuthError", "PermissionDenied", "actor_for", "add_user",
           "list_users", "login", "logout", "remove_user", "set_password"]
