"""Who may open the dashboard: signed-in browser sessions, supervisor sign-in, safe redirects.

Used by the server process (:mod:`workbench.auth.dashboard_server`) and its web handlers
(:mod:`workbench.auth.dashboard_web`); kept apart so that neither imports the other.
"""

from __future__ import annotations

import re
import secrets
import time

COOKIE_HOURS = 8.0


class Sessions:
    """Signed-in browsers: random session ids (in the cookie) -> user and expiry."""

    def __init__(self) -> None:
        self._by_id: dict[str, tuple[str, float]] = {}

    def new(self, user: str) -> str:
        sid = secrets.token_urlsafe(32)
        self._by_id[sid] = (user, time.time() + COOKIE_HOURS * 3600)
        return sid

    def user(self, sid: str | None) -> str | None:
        found = self._by_id.get(sid or "")
        if found is None or found[1] < time.time():
            self._by_id.pop(sid or "", None)
            return None
        return found[0]

    def end(self, sid: str | None) -> None:
        self._by_id.pop(sid or "", None)


def safe_next(value: str) -> str:
    """Only a path on this server (never ``//host`` or a full URL) may follow a login."""
    return value if re.fullmatch(r"/(?!/)[^\s\\]*", value or "") else "/"


def check_supervisor(case_dir: str, name: str, password: str) -> str:
    """'' when ``name`` is a supervisor with this password; else what to tell them."""
    from workbench.auth.identity import Actor, os_account
    from workbench.auth.users import UserError, authenticate
    from workbench.store import Case

    with Case.open(case_dir) as case:
        try:
            user = authenticate(case, name, password)
        except UserError:
            case.audit("dashboard.login.failed", target=name[:64],
                       detail={"account": os_account()})
            return "Wrong user name or password."
        if "supervisor" not in user.roles:
            case.audit("dashboard.login.refused", target=user.name,
                       detail={"roles": list(user.roles)})
            return f"{user.name} is not a supervisor of this case."
        case._actor = Actor(user.name, user.roles, "dashboard login")
        case.audit("dashboard.login", target=user.name)
    return ""
