"""Open a dashboard in headless Chromium and check it: offline, no JS errors, drawn.

Used by the browser tests and the dashboard benchmark. Needs the ``playwright`` Python
package (dev extra) and Debian's Chromium (``apt-get install -y chromium``); it never
downloads a browser. Every request the page makes is intercepted: anything not addressed
to this machine is recorded and aborted, so a leak fails the check instead of reaching out.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
LOCAL_SCHEMES = ("data:", "blob:", "about:")

# Sum of the numbers on one layer's cluster icons plus its unclustered points.
_LAYER_COUNT_JS = """([clusterClass, pointClass]) => {
    let total = 0;
    document.querySelectorAll('.' + clusterClass).forEach(el => {
        total += parseInt(el.textContent.trim(), 10) || 0; });
    return total + document.querySelectorAll('path.' + pointClass).length;
}"""


@dataclass
class ProbeResult:
    """What a headless browser saw when it opened the dashboard."""

    open_s: float = float("nan")
    tables_s: float = float("nan")
    tables: dict[str, str] = field(default_factory=dict)
    evidence_markers: int = 0
    hit_markers: int = 0
    charts: int = 0
    map_redrawn: bool = False
    external_requests: list[str] = field(default_factory=list)
    js_errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    screenshot: Path | None = None


class ProbeTimeout(TimeoutError):
    """The page did not show the tables or settle its map in time.

    Attributes:
        result: what the browser saw until then; ``result.console`` holds every console
            message, page error and failed request, with seconds since navigation.
        page_html: the page's DOM when it gave up (what was on screen).
    """

    def __init__(self, message: str, result: ProbeResult, page_html: str) -> None:
        super().__init__(message)
        self.result = result
        self.page_html = page_html


def _is_local(url: str) -> bool:
    return url.startswith(LOCAL_SCHEMES) or urlsplit(url).hostname in LOCAL_HOSTS


def _counts(frame) -> tuple[int, int]:
    """(all geotagged items, flagged items) currently drawn in the map frame."""
    return (frame.evaluate(_LAYER_COUNT_JS, ["wb-cluster-evidence", "wb-evidence"]),
            frame.evaluate(_LAYER_COUNT_JS, ["wb-cluster-hit", "wb-hit"]))


def _page_html(page) -> str:
    try:
        return str(page.content())
    except Exception as error:  # noqa: BLE001 - a diagnostic must not hide the timeout
        return f"(page content unavailable: {error})"


def probe_dashboard(url: str, expect_evidence: int | None = None,
                    expect_hits: int | None = None, timeout_s: float = 120.0,
                    screenshot: str | Path | None = None,
                    login: tuple[str, str] | None = None) -> ProbeResult:
    """Open ``url``, wait until the tables and the map's markers are visible, and report.

    Args:
        url: the dashboard URL with its token.
        expect_evidence: if given, switch the "All geotagged items" layer on if needed
            and wait until the map shows this many items (clusters count their members).
        expect_hits: if given, wait until the map shows this many flagged items.
        timeout_s: give up after this long.
        screenshot: where to save a full-page PNG once drawn.
        login: ``(user, password)`` of a supervisor, for a case with users: the sign-in
            form is filled in as a person would (``open_s`` then includes signing in).

    Raises:
        ProbeTimeout: the tables or the map did not show in time (with what the browser
            saw: console messages, page errors, failed requests, the page's DOM).

    ``open_s`` is from the start of navigation until tables and the first markers are on
    screen (before any layer is switched on); ``tables_s`` until the tables alone are.
    ``map_redrawn`` says the map's frame was replaced after it had drawn (it would flash
    and draw a second time).
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    result = ProbeResult()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1300, "height": 1500})

            def route(route_):
                request_url = route_.request.url
                if _is_local(request_url):
                    route_.continue_()
                else:
                    result.external_requests.append(request_url)
                    route_.abort()

            context.route("**/*", route)
            page = context.new_page()

            def note(kind: str, text: str) -> None:
                result.console.append(f"{time.perf_counter() - start:7.2f} s {kind}: {text}")

            def on_console(msg) -> None:
                note(f"console.{msg.type}", msg.text)
                if msg.type == "error":
                    result.js_errors.append(msg.text)

            def on_page_error(error) -> None:
                note("page error", str(error))
                result.js_errors.append(str(error))

            page.on("console", on_console)
            page.on("pageerror", on_page_error)
            page.on("requestfailed", lambda request: note(
                "request failed", f"{request.url[:200]} {request.failure}"))
            page.on("websocket", lambda ws: (
                note("websocket", ws.url), ws.on("close", lambda _: note("websocket closed", "")),
                None if _is_local(ws.url) else result.external_requests.append(ws.url)))
            start = time.perf_counter()
            deadline = start + timeout_s
            try:
                page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
                if login is not None:
                    page.wait_for_selector("#wb-login", timeout=timeout_s * 1000)
                    page.fill("#user", login[0])
                    page.fill("#password", login[1])
                    page.click("#wb-login button[type=submit]")
                page.wait_for_selector("[data-testid=counts]", state="visible",
                                       timeout=timeout_s * 1000)
            except PlaywrightTimeout as error:
                raise ProbeTimeout(f"the tables did not show within {timeout_s:.0f} s",
                                   result, _page_html(page)) from error
            result.tables_s = time.perf_counter() - start
            frame = None
            drawn_at = None
            last = -1
            while time.perf_counter() < deadline:
                frames = [f for f in page.frames if f != page.main_frame]
                frame = frames[0] if frames else None
                shown = _counts(frame) if frame else (0, 0)
                if any(shown) and drawn_at is None:
                    # Markers are on screen: this is when a person sees the map.
                    drawn_at = time.perf_counter()
                if any(shown) and shown == last and (
                        expect_hits is None or shown[1] == expect_hits):
                    break  # the same counts twice in a row: zoom animation has settled
                last = shown
                page.wait_for_timeout(150 if drawn_at else 25)
            else:
                raise ProbeTimeout(f"the map did not settle within {timeout_s:.0f} s "
                                   f"(last counts {last})", result, _page_html(page))
            result.open_s = (drawn_at or time.perf_counter()) - start
            result.evidence_markers, result.hit_markers = last
            # Once Voila's own JavaScript has finished (its progress note is gone), the map
            # must still be the frame that drew first: a moved iframe reloads and draws again.
            frame.evaluate("() => { window.wbProbeMark = true; }")
            try:
                page.wait_for_selector("#loading", state="detached",
                                       timeout=max(deadline - time.perf_counter(), 1) * 1000)
            except PlaywrightTimeout as error:
                raise ProbeTimeout("Voila's page never finished loading", result,
                                   _page_html(page)) from error
            page.wait_for_timeout(300)
            result.map_redrawn = frame.is_detached() or not frame.evaluate(
                "() => window.wbProbeMark === true")
            if result.map_redrawn:
                frame = [f for f in page.frames if f != page.main_frame][0]
            if expect_evidence is not None and result.evidence_markers != expect_evidence:
                # With hits, all items start hidden: switch them on as a person would.
                frame.locator(".leaflet-control-layers-overlays label",
                              has_text="All geotagged items").click()
                frame.wait_for_function(
                    f"({_LAYER_COUNT_JS})(['wb-cluster-evidence', 'wb-evidence'])"
                    f" === {expect_evidence}", timeout=timeout_s * 1000)
                page.wait_for_timeout(400)
                result.evidence_markers = _counts(frame)[0]
            for table in page.locator("table[data-testid]").all():
                result.tables[table.get_attribute("data-testid")] = table.inner_text()
            # Charts: the dashboard's server-drawn SVG timeline, or plotly charts.
            result.charts = page.locator("svg.wb-timeline, .js-plotly-plot").count()
            page.wait_for_timeout(300)  # let late errors and requests arrive
            if screenshot:
                result.screenshot = Path(screenshot)
                result.screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(result.screenshot), full_page=True)
        finally:
            browser.close()
    return result
