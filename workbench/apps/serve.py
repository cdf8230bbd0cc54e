"""Serve the supervisor dashboard of a case with Voila, on this machine only.

    python -m workbench.apps.serve CASE_DIR [--port 8866] [--token-file FILE] [--no-preheat]

The server (``workbench.auth.dashboard_server``) listens on 127.0.0.1 only. Its access
token is handed over in a file of mode 0600 that the server deletes once read, so it is
never in a command line or an environment. Every route needs the token or a login
cookie; in a case with users, a supervisor also signs in with a password. The page uses
the workbench's Voila template, which asks no CDN. The dashboard is read-only.
SIGTERM or Ctrl-C stops the server, its kernels and its temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from workbench import settings
from workbench.errors import CaseError, WorkbenchError

# Package data (pyproject's package-data), so a wheel install serves the same notebook as a
# checkout; dashboards/ at the repository root links here for people browsing the repo.
DASHBOARD = Path(str(files("workbench.apps").joinpath("dashboards", "case_overview.ipynb")))
JUPYTER_DATA = Path(__file__).resolve().parent / "jupyter_data"
TEMPLATE = "workbench"
# File a pre-heated kernel creates when it waits for a visit (see overview.wait_for_visit).
HOST = "127.0.0.1"
# How long `workbench dashboard` waits for its pre-heated kernel before printing the URL.
READY_WAIT_S = 120.0
# Kernels of finished visits (no page connected) are shut down after this long idle.
CULL_IDLE_S = 120


class DashboardError(WorkbenchError):
    """The dashboard server could not start."""


@dataclass
class Dashboard:
    """A running Voila server: its process and the URL (with token) to open.

    ``ready`` is True once a pre-heated kernel has reached ``overview.wait_for_visit()``
    (only checked when started with ``wait_ready``).
    """

    process: subprocess.Popen[bytes]
    url: str
    port: int
    token: str
    ready_dir: Path | None = None
    ready: bool = False

    def stop(self) -> None:
        """Stop the server and its kernels, wait for them, and remove the temporary folder.

        The server shuts its kernels down on SIGTERM; any that outlive it (a server that
        had to be killed) are killed here, so nothing keeps serving the case.
        """
        kernels = _descendants(self.process.pid)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        for pid in kernels + _descendants(self.process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass  # already gone, as it should be
        if self.ready_dir is not None:
            shutil.rmtree(self.ready_dir, ignore_errors=True)


def _descendants(pid: int) -> list[int]:
    """Process ids below ``pid`` (its kernels), read from /proc; [] where there is none."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def server_command(config_file: Path) -> list[str]:
    """The server's command line: only the path of its settings file, never the token."""
    return [sys.executable, "-m", "workbench.auth.dashboard_server", str(config_file)]


def write_server_config(folder: Path, settings: dict[str, Any]) -> Path:
    """The server's settings (token included) in a file only this account can read."""
    path = folder / "server.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(settings, handle)
    return path


def _die_with_parent() -> None:
    """In the server process: receive SIGTERM if `workbench dashboard` itself dies."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: Dashboard.stop() still stops the server


def dashboard_env(case_dir: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for Voila: the case path and where the workbench template lives."""
    env = dict(os.environ if base is None else base)
    env[settings.CASE] = str(case_dir)
    env["JUPYTER_PATH"] = os.pathsep.join(
        p for p in (str(JUPYTER_DATA), env.get("JUPYTER_PATH", "")) if p)
    return env


def start_dashboard(case_dir: str | os.PathLike[str], port: int | None = None,
                    token: str | None = None, preheat: bool = False,
                    wait_s: float = 60.0, quiet: bool = True,
                    log_path: str | os.PathLike[str] | None = None,
                    debug: bool = False, wait_ready: bool = False,
                    cull_idle_s: int = CULL_IDLE_S) -> Dashboard:
    """Start Voila for a case in the background and wait until it accepts connections.

    Args:
        case_dir: the case folder.
        port: port on 127.0.0.1 (default: a free one).
        token: access token (default: a fresh random one).
        preheat: keep one kernel ready, imports done, for the next visit.
        wait_s: how long to wait for Voila to listen (and, with ``wait_ready``, for the
            pre-heated kernel).
        quiet: discard Voila's log (ignored when ``log_path`` is given).
        log_path: write Voila's log (and its kernels' output) to this file.
        debug: log at debug level: each cell as it runs and every kernel message.
        wait_ready: with ``preheat``, also wait until the first kernel is ready for a visit
            (sets ``Dashboard.ready``; False if it was not within ``wait_s``).
        cull_idle_s: shut down a visit's kernel after this long idle with no page open.

    Raises:
        CaseError: ``case_dir`` is not a case.
        DashboardError: Voila exited or did not listen within ``wait_s``.
    """
    from workbench.store import is_case

    case_path = Path(case_dir).expanduser().resolve()
    if not is_case(case_path):
        raise CaseError(f"{case_path} is not a case (no case.db or database.json); create it "
                        "with `workbench case init` and ingest evidence first")
    if port is not None and _listening(port):
        raise DashboardError(f"something already listens on {HOST}:{port}; stop it or choose "
                             "another --port")
    port = port or free_port()
    token = token or secrets.token_urlsafe(24)
    env = dashboard_env(case_path)
    ready_dir = Path(tempfile.mkdtemp(prefix="workbench-dashboard-"))  # mode 0700
    ready_file = ready_dir / "ready"
    env[settings.DASHBOARD_READY] = str(ready_file)
    config = write_server_config(ready_dir, {
        "token": token, "case": str(case_path), "notebook": str(DASHBOARD), "port": port,
        "host": HOST, "template": TEMPLATE, "folder": str(ready_dir), "preheat": preheat,
        "debug": debug, "cull_idle_s": cull_idle_s})
    command = server_command(config)
    log = None
    if log_path is not None:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        log = open(log_path, "ab")  # noqa: SIM115 - the server outlives this function
        output: Any = log
    else:
        output = subprocess.DEVNULL if quiet else None
    try:
        process = subprocess.Popen(command, env=env, stdout=output,
                                   stderr=subprocess.STDOUT if log else output,
                                   cwd=str(DASHBOARD.parent), preexec_fn=_die_with_parent)
    except BaseException:
        shutil.rmtree(ready_dir, ignore_errors=True)
        raise
    finally:
        if log is not None:
            log.close()  # the child has its own copy of the file descriptor
    dashboard = Dashboard(process, f"http://{HOST}:{port}/?token={token}", port, token,
                          ready_dir=ready_dir)
    try:
        listening = _wait_until_up(dashboard, ready_file, wait_s, wait_ready and preheat)
    except BaseException:
        dashboard.stop()  # an error or Ctrl-C while waiting leaves no server or folder behind
        raise
    if not listening:
        dashboard.stop()
        raise DashboardError(f"Voila did not listen on {HOST}:{port} within {wait_s:.0f} s")
    return dashboard


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def _wait_until_up(dashboard: Dashboard, ready_file: Path, wait_s: float,
                   wait_ready: bool) -> bool:
    """Wait until Voila listens (and, with ``wait_ready``, its kernel is ready).

    Returns whether it listens; sets ``dashboard.ready`` when the kernel signalled ready.

    Raises:
        DashboardError: Voila exited.
    """
    deadline = time.monotonic() + wait_s
    listening = False
    while time.monotonic() < deadline:
        if dashboard.process.poll() is not None:
            raise DashboardError(
                f"the dashboard server exited with status {dashboard.process.returncode}; "
                "run `workbench dashboard` again with its log (start_dashboard(log_path=...)) "
                "to see why")
        if not listening:
            listening = _listening(dashboard.port)
            if listening and not wait_ready:
                return True
        elif ready_file.exists():
            dashboard.ready = True
            return True
        time.sleep(0.2)
    return listening  # listening, but the pre-heated kernel may not be ready yet


def serve(case_dir: str | os.PathLike[str], port: int = 8866, token: str | None = None,
          preheat: bool = True) -> int:
    """Run the dashboard in the foreground until Ctrl-C or SIGTERM; print the URL.

    ``preheat`` (the default) keeps one kernel ready for the next visit: it has run the
    dashboard notebook up to ``overview.wait_for_visit()`` (imports, map templates,
    vendored assets), and reads the case only when a person opens the page. Ctrl-C or
    SIGTERM, at any moment, stops the server and its kernels and removes its folder.
    """
    previous = signal.signal(signal.SIGTERM, _interrupt)
    dashboard = None
    try:
        dashboard = start_dashboard(case_dir, port=port, token=token, preheat=preheat,
                                    quiet=False, wait_s=READY_WAIT_S, wait_ready=True)
        if preheat and not dashboard.ready:
            print(f"workbench: the dashboard kernel was not ready within {READY_WAIT_S:.0f} s; "
                  "the first visit may be slow", file=sys.stderr)
        print(f"\nCase dashboard (read-only), this machine only:\n    {dashboard.url}\n"
              f"{_access_note(case_dir)}\nPress Ctrl-C to stop.", flush=True)
        return dashboard.process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if dashboard is not None:
            dashboard.stop()
        signal.signal(signal.SIGTERM, previous)


def _interrupt(_signum: int, _frame: Any) -> None:
    # SIGTERM takes the same way out as Ctrl-C: through `finally`, which cleans up.
    raise KeyboardInterrupt


def _access_note(case_dir: str | os.PathLike[str]) -> str:
    from workbench.auth.users import has_users
    from workbench.store import Case

    with Case.open(case_dir) as case:
        managed = has_users(case)
    if managed:
        return "The link opens a sign-in page: a user with the supervisor role signs in."
    return ("This case has no users: anyone with this link (and access to this machine) "
            "sees the dashboard.\nAdd users with `workbench users add` to require a "
            "supervisor's password.")


def read_token_file(path: str | os.PathLike[str]) -> str:
    """A dashboard token from the first line of a file only its owner can read."""
    from workbench.auth.passwords import PasswordError, read_password_file

    try:
        return read_password_file(path)
    except PasswordError as error:
        raise DashboardError(str(error).replace("password", "token")) from error


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("case_dir", help="the case folder")
    parser.add_argument("--port", type=int, default=8866, help="port on 127.0.0.1 (8866)")
    parser.add_argument("--token-file", default=None,
                        help="read the access token from this file (mode 0600); default: a "
                        "fresh random token, printed. A token is never taken on the "
                        "command line, where `ps` shows it to every local user")
    parser.add_argument("--preheat", action=argparse.BooleanOptionalAction, default=True,
                        help="keep a kernel ready with its imports done, so a visit only reads "
                        "the case (default; --no-preheat starts a kernel per visit)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workbench.apps.serve",
                                     description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        token = read_token_file(args.token_file) if args.token_file else None
        return serve(args.case_dir, port=args.port, token=token, preheat=args.preheat)
    except WorkbenchError as error:
        print(f"workbench: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
