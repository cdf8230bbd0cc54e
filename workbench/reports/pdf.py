"""HTML to PDF through Debian's headless Chromium (print to PDF), with the network off."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from workbench.errors import WorkbenchError

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


class PdfError(WorkbenchError):
    """Chromium is missing or failed to print the report."""


def chromium_path() -> str:
    """``$WORKBENCH_CHROMIUM`` or Debian's Chromium; never downloads a browser."""
    for candidate in (os.environ.get("WORKBENCH_CHROMIUM"), *CHROMIUM_CANDIDATES,
                      shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    raise PdfError("PDF reports need Debian's Chromium: run `apt-get install -y chromium` "
                   "(or set WORKBENCH_CHROMIUM to a Chromium binary), or export with "
                   "--format html")


def html_to_pdf(html_file: Path, pdf_file: Path, timeout_s: float = 180.0) -> None:
    """Print ``html_file`` to ``pdf_file`` with headless Chromium, offline.

    The browser runs with a throw-away profile, no sandbox (containers run as root), and
    every host name resolving nowhere, so printing cannot fetch anything.
    """
    binary = chromium_path()
    with tempfile.TemporaryDirectory(prefix="wb-chromium-") as profile:
        command = [
            binary, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-extensions", "--no-first-run",
            "--disable-dev-shm-usage", "--no-pdf-header-footer",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
            "--virtual-time-budget=8000", f"--user-data-dir={profile}",
            f"--print-to-pdf={pdf_file}", html_file.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s,
                                  check=False)
        except subprocess.TimeoutExpired as error:
            raise PdfError(f"Chromium did not finish printing within {timeout_s:.0f} s; "
                           "try --format html") from error
    if done.returncode != 0 or not pdf_file.is_file() or pdf_file.stat().st_size == 0:
        tail = (done.stderr or "").strip().splitlines()[-3:]
        raise PdfError(f"Chromium could not print the report (exit {done.returncode}): "
                       f"{' | '.join(tail)}")
