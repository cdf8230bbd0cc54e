"""HTML to PDF through Debian's headless Chromium (print to PDF), with the network off.

Playwright drives ``/usr/bin/chromium`` (never a downloaded browser) so the report waits
until every map iframe has drawn before printing; without Playwright the ``chromium
--print-to-pdf`` command line is used, which prints after a fixed virtual-time budget and
can catch a map before Leaflet has laid it out.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from workbench import settings
from workbench.errors import WorkbenchError

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# Chromium flags for both routes: no sandbox (containers run as root), no GPU, nothing
# fetched in the background, and every host name resolving nowhere.
OFFLINE_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-extensions", "--no-first-run", "--disable-dev-shm-usage",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost")
# How long a map may take to draw after the page loaded (ms).
SETTLE_MS = 1500


class PdfError(WorkbenchError):
    """Chromium is missing or failed to print the report."""


def chromium_path() -> str:
    """``$WORKBENCH_CHROMIUM`` or Debian's Chromium; never downloads a browser."""
    for candidate in (settings.read(settings.CHROMIUM), *CHROMIUM_CANDIDATES,
                      shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    raise PdfError("PDF reports need Debian's Chromium: run `apt-get install -y chromium` "
                   "(or set WORKBENCH_CHROMIUM to a Chromium binary), or export with "
                   "--format html")


def html_to_pdf(html_file: Path, pdf_file: Path, timeout_s: float = 180.0) -> None:
    """Print ``html_file`` to ``pdf_file`` (A4) with headless Chromium, offline."""
    binary = chromium_path()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _print_cli(binary, html_file, pdf_file, timeout_s)
    else:
        _print_playwright(binary, html_file, pdf_file, timeout_s)
    if not pdf_file.is_file() or pdf_file.stat().st_size == 0:
        raise PdfError(f"Chromium wrote no PDF at {pdf_file}; try --format html")


def _print_playwright(binary: str, html_file: Path, pdf_file: Path, timeout_s: float) -> None:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    def offline(route):  # type: ignore[no-untyped-def]
        # Only the report itself and inline documents may load; anything else is refused.
        if route.request.url.startswith(("file:", "data:", "about:")):
            route.continue_()
        else:
            route.abort()

    try:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=binary, args=list(OFFLINE_ARGS),
                                             timeout=timeout_s * 1000)
            try:
                page = browser.new_page(viewport={"width": 1100, "height": 1400})
                page.set_default_timeout(timeout_s * 1000)
                page.route("**/*", offline)
                page.goto(html_file.resolve().as_uri(), wait_until="load")
                # Bring each map on screen once so its frame runs animation frames and
                # Leaflet draws markers and the basemap, then give it time to settle.
                for frame in page.query_selector_all("iframe"):
                    frame.scroll_into_view_if_needed()
                    page.wait_for_timeout(300)
                page.wait_for_timeout(SETTLE_MS)
                page.emulate_media(media="print")
                page.pdf(path=str(pdf_file), format="A4", print_background=True,
                         margin={"top": "12mm", "bottom": "12mm", "left": "10mm",
                                 "right": "10mm"})
            finally:
                browser.close()
    except PlaywrightError as error:
        raise PdfError(f"Chromium could not print the report: {error}") from error


def _print_cli(binary: str, html_file: Path, pdf_file: Path, timeout_s: float) -> None:
    with tempfile.TemporaryDirectory(prefix="wb-chromium-") as profile:
        command = [
            binary, "--headless", *OFFLINE_ARGS, "--no-pdf-header-footer",
            # A tall window keeps every map iframe on screen (Chromium skips animation
            # frames in off-screen frames, and Leaflet draws in them).
            "--window-size=1280,12000", "--run-all-compositor-stages-before-draw",
            "--virtual-time-budget=8000", f"--user-data-dir={profile}",
            f"--print-to-pdf={pdf_file}", html_file.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s,
                                  check=False)
        except subprocess.TimeoutExpired as error:
            raise PdfError(f"Chromium did not finish printing within {timeout_s:.0f} s; "
                           "try --format html") from error
    if done.returncode != 0:
        tail = (done.stderr or "").strip().splitlines()[-3:]
        raise PdfError(f"Chromium could not print the report (exit {done.returncode}): "
                       f"{' | '.join(tail)}")
