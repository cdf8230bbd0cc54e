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
and remove its folder. The web side (handlers, the guarded Voila) is in
``workbench.auth.dashboard_web``, which imports Voila and is loaded only here; the sign-in
rules both use are in ``workbench.auth.dashboard_access``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
from pathlib import Path
from typing import Any

# Where kernels reach the pre-heat websocket: a random prefix per server (see module docs).
QUERY_PREFIX_ENV = "VOILA_WS_BASE_URL"


def read_config(path: Path) -> dict[str, Any]:
    """Read the launcher's settings and delete the file (it holds the token)."""
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    finally:
        path.unlink(missing_ok=True)
    return config


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
    from workbench.auth.dashboard_web import WorkbenchIdentity, WorkbenchVoila

    WorkbenchVoila.workbench = {"token": config["token"], "case": config["case"],
                                "query_prefix": query_prefix}
    app = WorkbenchVoila()
    app.identity_provider_class = WorkbenchIdentity
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
    if _ipc_fits(config["folder"]):
        # Kernels talk over Unix sockets in the private folder, not TCP ports: on TCP any
        # local account could subscribe to a kernel's output channel (it is signed, not
        # encrypted) and read what the dashboard shows.
        argv.append("--KernelManager.transport=ipc")
    else:
        print(f"workbench: the folder {config['folder']} is too deep for kernel sockets; "
              "kernels use TCP on 127.0.0.1 (set TMPDIR to a short path to avoid it)",
              file=sys.stderr)
    if config.get("preheat"):
        # One kernel waits, imports done, in the dashboard's wait_for_visit(); the next
        # is started a second after a visit takes it.
        argv += ["--preheat_kernel=True", "--pool_size=1"]
    if config.get("debug"):
        argv.append("--debug")
    return argv


def _ipc_fits(folder: str) -> bool:
    """Whether kernel socket paths in ``folder`` stay within the 107 bytes Unix allows.

    A socket is ``<folder>/voila_XXXXXXXX/kernel-<36-char id>-ipc-<port>``.
    """
    return len(os.fsencode(folder)) + len("/voila_xxxxxxxx/kernel--ipc-65535") + 36 < 104


if __name__ == "__main__":
    sys.exit(main())
