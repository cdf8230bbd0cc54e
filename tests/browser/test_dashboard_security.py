"""The dashboard server as a local attacker meets it: no token in `ps`, every route and
websocket refused without credentials (Voila's pre-heat websocket included), a supervisor's
password to get in, kernels of finished visits culled, and nothing left after SIGTERM.

Real Voila servers on 127.0.0.1 and plain HTTP/websocket clients; no browser needed.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PASSWORDS = {"alice": "alice-password-1", "sam": "sam-password-22"}


def _managed_case(folder: Path) -> Path:
    from workbench.auth import add_user, login, logout
    from workbench.geo.synthetic import populate_synthetic_case
    from workbench.store import Case

    with Case.init(folder, name="security-test") as case:
        populate_synthetic_case(case, n_items=40, n_images=4, seed=5)
        add_user(case, "alice", PASSWORDS["alice"], ["admin", "analyst"])
        login(case, "alice", PASSWORDS["alice"])
        add_user(case, "sam", PASSWORDS["sam"], ["supervisor"])
        logout(case)
    return folder


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from workbench.apps.serve import start_dashboard

    sessions = tmp_path_factory.mktemp("sessions")
    old = os.environ.get("WORKBENCH_SESSIONS")
    os.environ["WORKBENCH_SESSIONS"] = str(sessions)
    root = tmp_path_factory.mktemp("secure")
    folder = _managed_case(root / "case")
    log = root / "server.log"
    dashboard = start_dashboard(folder, preheat=True, wait_ready=True, wait_s=180,
                                log_path=log, cull_idle_s=6)
    yield dashboard, folder, log
    dashboard.stop()
    if old is None:
        os.environ.pop("WORKBENCH_SESSIONS", None)
    else:
        os.environ["WORKBENCH_SESSIONS"] = old


def _base(dashboard) -> str:
    return f"http://127.0.0.1:{dashboard.port}/"


def _status(url: str, opener: urllib.request.OpenerDirector | None = None,
            data: bytes | None = None) -> tuple[int, str, str]:
    """(status, final URL, body) without raising on 4xx."""
    try:
        response = (opener or urllib.request.build_opener()).open(url, data=data, timeout=120)
        return response.status, response.geturl(), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, url, error.read().decode("utf-8", "replace")


def _kernel_ids(dashboard) -> list[str]:
    """What any local user reads from `ps`: kernel ids in the kernels' connection files."""
    from workbench.apps.serve import _descendants

    ids = []
    for pid in _descendants(dashboard.process.pid):
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
        except OSError:
            continue
        ids += re.findall(r"kernel-([0-9a-f-]{36})\.json", " ".join(args))
    return ids


def _ws_status(url: str, cookie: str | None = None) -> int:
    """101 when a websocket opens, else the HTTP status the server answered."""
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    headers = {"Cookie": cookie} if cookie else {}
    try:
        with connect(url, additional_headers=headers, open_timeout=20,
                     origin="http://" + url.split("/")[2]):
            return 101
    except InvalidStatus as error:
        return error.response.status_code


def test_the_token_is_in_no_command_line_or_environment(served):
    dashboard, _, _ = served
    listing = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert dashboard.token not in listing
    assert "workbench.auth.dashboard_server" in listing  # the server is there, token-less
    from workbench.apps.serve import _descendants

    for pid in [dashboard.process.pid, *_descendants(dashboard.process.pid)]:
        environ = Path(f"/proc/{pid}/environ").read_bytes().decode("utf-8", "replace")
        assert dashboard.token not in environ, f"process {pid} has the token in its environment"
    # The settings file that carried it is gone once the server read it.
    assert not (dashboard.ready_dir / "server.json").exists()
    assert dashboard.ready_dir.stat().st_mode & 0o077 == 0


def test_kernel_channels_are_private_sockets_not_network_ports(served):
    """On TCP any local account could subscribe to a kernel's (unencrypted) output."""
    import json

    import psutil

    dashboard, _, _ = served
    kernels = _kernel_pids(dashboard)
    files = list(dashboard.ready_dir.rglob("kernel-*.json"))
    assert kernels and files
    assert {json.loads(f.read_text())["transport"] for f in files} == {"ipc"}
    for pid in kernels:
        listening = [c for c in psutil.Process(pid).net_connections(kind="inet")
                     if c.status == psutil.CONN_LISTEN]
        # At most ipykernel's inbound pipe for subprocess output (PULL, checked by a random
        # id): it reads nothing out. The five kernel channels are Unix sockets.
        assert len(listening) <= 1, f"kernel {pid} listens on {listening}"


def _kernel_pids(dashboard) -> list[int]:
    from workbench.apps.serve import _descendants

    return [pid for pid in _descendants(dashboard.process.pid)
            if "ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")]


def test_every_route_and_websocket_is_refused_without_the_token(served):
    dashboard, _, log = served
    kernels = _kernel_ids(dashboard)
    assert kernels, "expected the pre-heated kernel to be running"
    kid = kernels[0]
    base = _base(dashboard)
    for path in ["", "?token=wrong", "case_overview.ipynb", "voila/render/case_overview.ipynb",
                 "voila/static/voila.js", "voila/templates/workbench/static/x.css",
                 "voila/api/themes/theme-light.css", "voila/labextensions/x.js",
                 "voila/files/case_overview.ipynb", f"api/kernels/{kid}",
                 f"voila/api/shutdown/{kid}", "login", "login?token=wrong"]:
        status, _, body = _status(base + path)
        assert status == 403, f"/{path} answered {status} without the token"
        assert "security-test" not in body
    ws = f"ws://127.0.0.1:{dashboard.port}/"
    assert _ws_status(ws + f"api/kernels/{kid}/channels") == 403
    # Voila's pre-heat websocket would hand the next visitor's request to whoever waits.
    assert _ws_status(ws + f"voila/query/{kid}") == 403
    assert _ws_status(ws + f"voila/query/{kid}?token={dashboard.token}") == 403
    # A POST to the shutdown route cannot stop the waiting kernel either.
    status, _, _ = _status(base + f"voila/api/shutdown/{kid}", data=b"")
    assert status == 403 and kid in _kernel_ids(dashboard)
    # The server's own kernel reached its pre-heat websocket (it learnt the hidden path).
    text = log.read_text(errors="replace")
    assert "Failed to connect" not in text and "InvalidStatus" not in text


def test_a_case_with_users_needs_a_supervisor_password(served):
    from workbench.store import Case

    dashboard, folder, _ = served
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    # The token alone leads to the sign-in page, nothing else.
    status, final, body = _status(dashboard.url, opener)
    assert status == 200 and "/login" in final and 'id="wb-login"' in body
    assert "security-test" in body and "counts" not in body
    kid = _kernel_ids(dashboard)[0]
    status, final, body = _status(_base(dashboard) + f"api/kernels/{kid}?token={dashboard.token}")
    # Sent to sign in; the kernel's model (its state, connections) is not shown.
    assert "/login" in final and 'id="wb-login"' in body and "execution_state" not in body
    assert _ws_status(f"ws://127.0.0.1:{dashboard.port}/api/kernels/{kid}/channels"
                      f"?token={dashboard.token}") == 403

    def sign_in(user: str, password: str, token: str = dashboard.token) -> tuple[int, str, str]:
        form = urllib.parse.urlencode({"user": user, "password": password, "token": token,
                                       "next": "/"}).encode()
        return _status(_base(dashboard) + "login", opener, data=form)

    assert sign_in("sam", PASSWORDS["sam"], token="wrong")[0] == 403
    status, _, body = sign_in("sam", "not-the-password")
    assert status == 403 and "Wrong user name or password" in body
    status, _, body = sign_in("alice", PASSWORDS["alice"])  # admin and analyst, no supervisor
    assert status == 403 and "not a supervisor" in body
    status, final, body = sign_in("sam", PASSWORDS["sam"])
    assert status == 200 and final.rstrip("/").endswith(str(dashboard.port))
    # The dashboard page itself (its content is the browser tests' business).
    assert "voila.js" in body and 'id="wb-login"' not in body and dashboard.token not in body
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    # Signed in, the websocket of the kernel that served the visit opens.
    visit_kernel = re.search(r"kernel[_-]?[iI]d[\"':= ]+([0-9a-f-]{36})", body)
    assert visit_kernel, "the page names the kernel its widgets talk to"
    channels = f"ws://127.0.0.1:{dashboard.port}/api/kernels/{visit_kernel.group(1)}/channels"
    assert _ws_status(channels, cookie) == 101
    assert _ws_status(channels, "workbench-dashboard-0=forged") == 403
    with Case.open(folder) as case:
        log = case.audit_log()
        assert case.audit_verify().ok
    logins = log[log["action"].str.startswith("dashboard.login")]
    assert logins["action"].tolist() == ["dashboard.login.failed", "dashboard.login.refused",
                                         "dashboard.login"]
    assert logins["who"].iloc[-1] == "sam"


def test_kernels_of_finished_visits_are_culled(served):
    dashboard, _, _ = served
    # The previous test's visit left its kernel (no page keeps it open) beside the pool's.
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and len(_kernel_ids(dashboard)) > 1:
        time.sleep(1)
    assert len(_kernel_ids(dashboard)) == 1, "the finished visit's kernel was not culled"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_a_signal_stops_server_kernels_and_temporary_files(tmp_path, sig):
    from workbench.apps.serve import _descendants

    case = tmp_path / "case"
    from workbench.geo.synthetic import populate_synthetic_case
    from workbench.store import Case

    with Case.init(case, name="signal-test") as opened:
        populate_synthetic_case(opened, n_items=10, n_images=2, seed=1)
    temp = tmp_path / "tmp"
    temp.mkdir()
    token_file = tmp_path / "token"
    token_file.write_text("a-token-from-a-file-123\n")
    token_file.chmod(0o600)
    from workbench.apps.serve import free_port

    port = free_port()
    env = {**os.environ, "TMPDIR": str(temp)}
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench.cli", "dashboard", str(case), "--port", str(port),
         "--token-file", str(token_file)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines = []
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "?token=" in line or not line:
                break
        assert any("?token=a-token-from-a-file-123" in line for line in lines), "".join(lines)
        children = _descendants(process.pid)
        assert len(children) >= 2, "expected the server and its pre-heated kernel"
        assert any(temp.iterdir()), "the server keeps its folder in TMPDIR"
        process.send_signal(sig)  # SIGKILL: the server learns it through PR_SET_PDEATHSIG
        process.wait(timeout=60)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists()
                                                  for pid in children):
            time.sleep(0.5)
    finally:
        if process.poll() is None:
            process.kill()
    time.sleep(0.5)
    alive = [pid for pid in children if Path(f"/proc/{pid}").exists()
             and "zombie" not in _state(pid)]
    assert alive == [], f"still running after {sig.name}: {alive}"
    assert list(temp.iterdir()) == [], f"left behind: {list(temp.iterdir())}"
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0].lower()
    except (OSError, IndexError):
        return "zombie"


@pytest.mark.browser
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(),
                    reason="needs Debian's Chromium: apt-get install -y chromium")
def test_a_supervisor_signs_in_and_sees_the_dashboard_in_a_browser(served):
    from workbench.apps.probe import probe_dashboard

    dashboard, _, _ = served
    result = probe_dashboard(dashboard.url, login=("sam", PASSWORDS["sam"]))
    assert result.external_requests == [] and result.js_errors == []
    assert "counts" in result.tables and result.hit_markers > 0
