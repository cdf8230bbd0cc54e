"""The dashboard's Voila server with the workbench's access rules (runs in its own process).

    python -m workbench.auth.dashboard_server CONFIG.json

``workbench dashboard`` (``workbench.apps.serve``) writes ``CONFIG.json`` (mode 0600, in a
private temporary folder) and starts this module; the server reads the file and deletes
it, so the access token is never in a command line or an environment.

Access rules, for every route including static files and websockets:

* the request carries a login cookie of this server (signed, random per server start), or
* the case has no users and the request carries the token (``?token=`` or an
  ``Authorization: token ...`` header): the server sets the cookie and redirects to the
  same address without the token, so the token never reaches a kernel;
* in a case with users the token only opens ``/login``, where a user with the
  ``supervisor`` role signs in with their password (audited as ``dashboard.login``);
* anything else is answered 403.

Voila's pre-heat websocket ``/voila/query/<kernel-id>`` (which hands a waiting kernel the
next visitor's request) is refused; the server's own kernels reach it under a random path
they alone are told in their environment. Kernels of finished visits are culled after
``cull_idle_s`` without a connection; SIGTERM and SIGINT stop the server and its kernels
and remove its connection folder.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import json
import os
import re
import secrets
import shutil
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

COOKIE_HOURS = 8.0
# Where kernels reach the pre-heat websocket: a random prefix per server (see module docs).
QUERY_PREFIX_ENV = "VOILA_WS_BASE_URL"
_LOGIN_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Case dashboard: sign in
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


def read_config(path: Path) -> dict[str, Any]:
    """Read the launcher's settings and delete the file (it holds the token)."""
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    finally:
        path.unlink(missing_ok=True)
    return config


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


def build_app_class() -> type:
    """The Voila application class with the rules above (imports Voila: call in the server)."""
    from jupyter_server.auth.identity import IdentityProvider, User
    from tornado import web
    from voila.app import Voila
    from voila.request_info_handler import RequestInfoSocketHandler

    sessions = Sessions()

    class WorkbenchIdentity(IdentityProvider):
        """Cookie sessions of this server; the token is checked by the guard and login."""

        workbench_token = ""
        case_path = ""

        @property
        def auth_enabled(self) -> bool:
            return True

        @property
        def login_available(self) -> bool:
            return True

        def get_user(self, handler: web.RequestHandler) -> User | None:
            name = getattr(handler, "_workbench_user", None) or sessions.user(_cookie(handler))
            return User(username=name, name=name, display_name=name) if name else None

        def get_handlers(self) -> list[tuple[str, object]]:
            return [(r"/login", LoginHandler), (r"/logout", LogoutHandler)]

    def _cookie(handler: web.RequestHandler) -> str | None:
        value = handler.get_secure_cookie(_cookie_name(handler), max_age_days=1)
        return value.decode("ascii") if value else None

    def _cookie_name(handler: web.RequestHandler) -> str:
        return f"workbench-dashboard-{handler.settings['workbench_port']}"

    def _set_session(handler: web.RequestHandler, user: str) -> None:
        handler.set_secure_cookie(_cookie_name(handler), sessions.new(user), expires_days=None,
                                  httponly=True, samesite="Strict", path="/")

    def _token_ok(handler: web.RequestHandler, given: str | None) -> bool:
        expected = handler.settings["workbench_token"]
        return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())

    def _given_token(handler: web.RequestHandler) -> str | None:
        header = handler.request.headers.get("Authorization", "")
        if header.lower().startswith("token "):
            return header[6:].strip()
        return handler.get_query_argument("token", None)

    def _managed(handler: web.RequestHandler) -> bool:
        from workbench.auth.users import has_users
        from workbench.store import Case

        with Case.open(handler.settings["workbench_case"]) as case:
            return has_users(case)

    def _without_token(handler: web.RequestHandler) -> str:
        args = [(k, v) for k, vs in handler.request.query_arguments.items() if k != "token"
                for v in vs]
        query = urlencode([(k, v.decode()) for k, v in args])
        return handler.request.path + (f"?{query}" if query else "")

    def refuse(handler: web.RequestHandler, why: str) -> bool:
        # A plain answer: Jupyter's error pages would look up a user this request lacks.
        handler.set_status(403)
        handler.set_header("Content-Type", "text/plain; charset=utf-8")
        handler.finish(f"403 Forbidden: {why}\n")
        return False

    def guard(handler: web.RequestHandler) -> bool:
        """Let the request through (True), or answer it here (False): redirect or 403."""
        if sessions.user(_cookie(handler)):
            return True
        token = _given_token(handler)
        if not _token_ok(handler, token):
            return refuse(handler, "open the link printed by `workbench dashboard`")
        websocket = handler.request.headers.get("Upgrade", "").lower() == "websocket"
        if _managed(handler):
            if handler.request.method == "GET" and not websocket:
                handler.redirect("/login?" + urlencode({"token": token,
                                                        "next": _without_token(handler)}))
                return False
            return refuse(handler, "sign in as a supervisor first")
        _set_session(handler, "token")
        handler._workbench_user = "token"  # type: ignore[attr-defined]  # this request too
        if handler.request.method == "GET" and not websocket and \
                handler.get_query_argument("token", None):
            # The page is served from the address without the token, so the token is
            # never passed on to a kernel (Voila hands the request URL to kernels).
            handler.redirect(_without_token(handler))
            return False
        return True

    def guarded(cls: type) -> type:
        class Guarded(cls):  # type: ignore[misc, valid-type]
            async def prepare(self, *args: Any, **kwargs: Any) -> Any:
                if not guard(self):
                    return None
                result = super().prepare(*args, **kwargs)
                if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                    result = await result
                return result

        Guarded.__name__ = f"Guarded{cls.__name__}"
        return Guarded

    class LoginHandler(web.RequestHandler):
        """A supervisor's user name and password; the token must come with the form."""

        def _page(self, token: str, next_url: str, error: str = "") -> None:
            self.set_header("Cache-Control", "no-store")
            self.write(_LOGIN_PAGE.format(case=html.escape(self.settings["workbench_case_name"]),
                                          token=html.escape(token), next=html.escape(next_url),
                                          error=html.escape(error)))

        def get(self) -> None:
            token = self.get_query_argument("token", "")
            if not _token_ok(self, token):
                raise web.HTTPError(403, reason="open the link printed by workbench dashboard")
            self._page(token, _safe_next(self.get_query_argument("next", "/")))

        async def post(self) -> None:
            token = self.get_body_argument("token", "")
            if not _token_ok(self, token):
                raise web.HTTPError(403, reason="open the link printed by workbench dashboard")
            name = self.get_body_argument("user", "")
            password = self.get_body_argument("password", "")
            next_url = _safe_next(self.get_body_argument("next", "/"))
            case_dir = self.settings["workbench_case"]
            error = await asyncio.get_running_loop().run_in_executor(
                None, _check_supervisor, case_dir, name, password)
            if error:
                await asyncio.sleep(1.0)  # slows guessing; argon2 already costs ~0.2 s
                self.set_status(403)
                self._page(token, next_url, error)
                return
            _set_session(self, name)
            self.redirect(next_url)

    class LogoutHandler(web.RequestHandler):
        def get(self) -> None:
            sessions.end(_cookie(self))
            self.clear_cookie(_cookie_name(self), path="/")
            self.write("Signed out.")

    class QueryHandler(RequestInfoSocketHandler):
        """Voila's pre-heat websocket, reachable only under this server's random prefix."""

    class Refused(web.RequestHandler):
        def prepare(self) -> None:
            raise web.HTTPError(403, reason="closed")

    class WorkbenchVoila(Voila):
        """Voila with every route guarded and the pre-heat websocket moved out of reach."""

        workbench: dict[str, Any] = {}

        def init_settings(self) -> dict:
            from workbench.store import Case

            settings = super().init_settings()
            with Case.open(self.workbench["case"]) as case:
                name = case.name
            settings.update(workbench_token=self.workbench["token"],
                            workbench_case=self.workbench["case"],
                            workbench_case_name=name, workbench_port=self.port)
            return settings

        def init_handlers(self) -> list:
            handlers = []
            for spec in super().init_handlers():
                pattern, cls = spec[0], spec[1]
                rest = tuple(spec[2:])
                if cls in (LoginHandler, LogoutHandler):
                    handlers.append(spec)
                elif cls is RequestInfoSocketHandler:
                    handlers.append((pattern, Refused))
                    secret = self.workbench["query_prefix"]
                    handlers.append((f"/{secret}" + pattern, QueryHandler, *rest))
                else:
                    handlers.append((pattern, guarded(cls), *rest))
            return handlers

    WorkbenchVoila.workbench_identity = WorkbenchIdentity  # type: ignore[attr-defined]
    return WorkbenchVoila


def _safe_next(value: str) -> str:
    """Only a path on this server (never ``//host`` or a full URL) may follow a login."""
    return value if re.fullmatch(r"/(?!/)[^\s\\]*", value or "") else "/"


def _check_supervisor(case_dir: str, name: str, password: str) -> str:
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


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m workbench.auth.dashboard_server CONFIG.json", file=sys.stderr)
        return 2
    config = read_config(Path(args[0]))
    query_prefix = "wbq-" + secrets.token_urlsafe(24)
    # Kernels inherit this process's environment: they alone learn where the pre-heat
    # websocket is. The dashboard token is never put here.
    os.environ[QUERY_PREFIX_ENV] = f"/{query_prefix}/"
    app_class = build_app_class()
    app_class.workbench = {"token": config["token"], "case": config["case"],
                           "query_prefix": query_prefix}
    app = app_class()
    app.identity_provider_class = app_class.workbench_identity
    app.initialize(voila_argv(config))
    try:
        app.start()  # returns after SIGTERM/SIGINT, once kernels are shut down
    finally:
        # The launcher's folder too (ready flag, connection files): the launcher may be
        # gone already (killed: this process then got SIGTERM through PR_SET_PDEATHSIG).
        shutil.rmtree(config["folder"], ignore_errors=True)
    return 0


def voila_argv(config: dict[str, Any]) -> list[str]:
    """Voila's settings, given in-process (never on a command line): no token among them."""
    argv = [
        config["notebook"], "--no-browser", f"--port={config['port']}",
        f"--Voila.ip={config['host']}", f"--template={config['template']}", "--theme=light",
        "--VoilaConfiguration.show_tracebacks=False", "--Voila.port_retries=0",
        f"--Voila.connection_dir_root={config['folder']}",
        # Kernels of finished visits: culled once idle and without a connection.
        f"--MappingKernelManager.cull_idle_timeout={int(config['cull_idle_s'])}",
        f"--MappingKernelManager.cull_interval={max(1, int(config['cull_idle_s']) // 4)}",
        "--MappingKernelManager.cull_connected=False",
    ]
    if config.get("preheat"):
        # One kernel waits, imports done, in the dashboard's wait_for_visit(); the next
        # is started a second after a visit takes it.
        argv += ["--preheat_kernel=True", "--pool_size=1"]
    if config.get("debug"):
        argv.append("--debug")
    return argv


if __name__ == "__main__":
    sys.exit(main())
