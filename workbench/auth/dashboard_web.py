"""The web side of the dashboard server: Voila with every route guarded, and the sign-in.

Imported only by the server process (``workbench.auth.dashboard_server``), which is why
Voila and tornado are imported at the top here. The rules are in that module's docs.
"""

from __future__ import annotations

import asyncio
import hmac
import html
from typing import Any
from urllib.parse import urlencode

from jupyter_server.auth.identity import IdentityProvider, User
from tornado import web
from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler

from workbench.auth.dashboard_access import Sessions, check_supervisor, safe_next

LOGIN_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Case dashboard: sign in
</title><style>body{{font-family:sans-serif;max-width:26em;margin:4em auto;color:#222}}
label{{display:block;margin:.8em 0 .2em}}input{{width:100%;padding:.4em}}
button{{margin-top:1em;padding:.5em 1.5em}}.err{{color:#a00}}</style></head><body>
<h1>Case dashboard</h1><p>Sign in as a supervisor of case <b>{case}</b>.</p>
<p class="err">{error}</p>
<form id="wb-login" method="post" action="/login">
<input type="hidden" name="token" value="{token}"><input type="hidden" name="next" value="{next}">
<label for="user">User</label><input id="user" name="user" autocomplete="username">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit">Sign in</button></form></body></html>"""
_NO_TOKEN = "open the link printed by `workbench dashboard`"


# -- who is signed in ----------------------------------------------------------------


def _sessions(handler: web.RequestHandler) -> Sessions:
    return handler.settings["workbench_sessions"]


def _cookie_name(handler: web.RequestHandler) -> str:
    return f"workbench-dashboard-{handler.settings['workbench_port']}"


def _cookie(handler: web.RequestHandler) -> str | None:
    value = handler.get_secure_cookie(_cookie_name(handler), max_age_days=1)
    return value.decode("ascii") if value else None


def _signed_in(handler: web.RequestHandler) -> str | None:
    return getattr(handler, "_workbench_user", None) or _sessions(handler).user(_cookie(handler))


def _start_session(handler: web.RequestHandler, user: str) -> None:
    handler.set_secure_cookie(_cookie_name(handler), _sessions(handler).new(user),
                              expires_days=None, httponly=True, samesite="Strict", path="/")
    handler._workbench_user = user  # type: ignore[attr-defined]  # this request too


def _token_ok(handler: web.RequestHandler, given: str | None) -> bool:
    expected = handler.settings["workbench_token"]
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())


def _given_token(handler: web.RequestHandler) -> str | None:
    header = handler.request.headers.get("Authorization", "")
    if header.lower().startswith("token "):
        return header[6:].strip()
    return handler.get_query_argument("token", None)


def _managed(handler: web.RequestHandler) -> bool:
    """Whether the case has users (asked at each token use: users may be added meanwhile)."""
    from workbench.auth.users import has_users
    from workbench.store import Case

    with Case.open(handler.settings["workbench_case"]) as case:
        return has_users(case)


def _without_token(handler: web.RequestHandler) -> str:
    args = [(k, v.decode()) for k, vs in handler.request.query_arguments.items()
            if k != "token" for v in vs]
    return handler.request.path + (f"?{urlencode(args)}" if args else "")


def _refuse(handler: web.RequestHandler, why: str) -> bool:
    # A plain answer: Jupyter's error pages would look up a user this request lacks.
    handler.set_status(403)
    handler.set_header("Content-Type", "text/plain; charset=utf-8")
    handler.finish(f"403 Forbidden: {why}\n")
    return False


def guard(handler: web.RequestHandler) -> bool:
    """Let the request through (True), or answer it here (False): a redirect or 403."""
    if _signed_in(handler):
        return True
    token = _given_token(handler)
    if not _token_ok(handler, token):
        return _refuse(handler, _NO_TOKEN)
    page = handler.request.method == "GET" and \
        handler.request.headers.get("Upgrade", "").lower() != "websocket"
    if _managed(handler):
        if not page:
            return _refuse(handler, "sign in as a supervisor first")
        handler.redirect("/login?" + urlencode({"token": token, "next": _without_token(handler)}))
        return False
    _start_session(handler, "token")
    if page and handler.get_query_argument("token", None):
        # Serve the page from the address without the token, so the token is never
        # passed on to a kernel (Voila hands the request's URL to kernels).
        handler.redirect(_without_token(handler))
        return False
    return True


def guarded(cls: type) -> type:
    """``cls`` with :func:`guard` run before its own ``prepare``."""

    class Guarded(cls):  # type: ignore[misc, valid-type]
        async def prepare(self, *args: Any, **kwargs: Any) -> Any:
            if not guard(self):
                return None
            result = super().prepare(*args, **kwargs)
            if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                result = await result
            return result

    Guarded.__name__ = Guarded.__qualname__ = f"Guarded{cls.__name__}"
    return Guarded


# -- handlers ------------------------------------------------------------------------


class WorkbenchIdentity(IdentityProvider):
    """Jupyter's view of who is signed in: this server's cookie sessions."""

    @property
    def auth_enabled(self) -> bool:
        return True

    @property
    def login_available(self) -> bool:
        return True

    def get_user(self, handler: web.RequestHandler) -> User | None:
        name = _signed_in(handler)
        return User(username=name, name=name, display_name=name) if name else None

    def get_handlers(self) -> list[tuple[str, object]]:
        return [(r"/login", LoginHandler), (r"/logout", LogoutHandler)]


class LoginHandler(web.RequestHandler):
    """A supervisor's user name and password; the token must come with the form."""

    def _page(self, token: str, next_url: str, error: str = "") -> None:
        self.set_header("Cache-Control", "no-store")
        self.write(LOGIN_PAGE.format(case=html.escape(self.settings["workbench_case_name"]),
                                     token=html.escape(token), next=html.escape(next_url),
                                     error=html.escape(error)))

    def get(self) -> None:
        token = self.get_query_argument("token", "")
        if not _token_ok(self, token):
            raise web.HTTPError(403, reason=_NO_TOKEN)
        self._page(token, safe_next(self.get_query_argument("next", "/")))

    async def post(self) -> None:
        token = self.get_body_argument("token", "")
        if not _token_ok(self, token):
            raise web.HTTPError(403, reason=_NO_TOKEN)
        name = self.get_body_argument("user", "")
        next_url = safe_next(self.get_body_argument("next", "/"))
        # argon2 takes ~0.2 s: keep it off the loop that serves other visitors.
        error = await asyncio.get_running_loop().run_in_executor(
            None, check_supervisor, self.settings["workbench_case"], name,
            self.get_body_argument("password", ""))
        if error:
            await asyncio.sleep(1.0)  # slows guessing
            self.set_status(403)
            self._page(token, next_url, error)
            return
        _start_session(self, name)
        self.redirect(next_url)


class LogoutHandler(web.RequestHandler):
    def get(self) -> None:
        _sessions(self).end(_cookie(self))
        self.clear_cookie(_cookie_name(self), path="/")
        self.write("Signed out.")


class QueryHandler(RequestInfoSocketHandler):
    """Voila's pre-heat websocket, reachable only under this server's random prefix."""


class Refused(web.RequestHandler):
    def prepare(self) -> None:
        raise web.HTTPError(403, reason="closed")


class WorkbenchVoila(Voila):
    """Voila with every route guarded and the pre-heat websocket moved out of reach.

    ``workbench`` holds ``token``, ``case`` and ``query_prefix`` (set before start).
    """

    workbench: dict[str, Any] = {}

    def init_settings(self) -> dict:
        from workbench.store import Case

        settings = super().init_settings()
        with Case.open(self.workbench["case"]) as case:
            name = case.name
        settings.update(workbench_token=self.workbench["token"],
                        workbench_case=self.workbench["case"], workbench_case_name=name,
                        workbench_port=self.port, workbench_sessions=Sessions())
        return settings

    def init_handlers(self) -> list:
        handlers = []
        for spec in super().init_handlers():
            pattern, cls, rest = spec[0], spec[1], tuple(spec[2:])
            if cls in (LoginHandler, LogoutHandler):
                handlers.append(spec)
            elif cls is RequestInfoSocketHandler:
                handlers.append((pattern, Refused))
                prefix = self.workbench["query_prefix"]
                handlers.append((f"/{prefix}" + pattern, QueryHandler, *rest))
            else:
                handlers.append((pattern, guarded(cls), *rest))
        return handlers
