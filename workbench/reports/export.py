"""``workbench report``: an executed case notebook as an HTML or PDF report.

Steps: read the notebook; collect the evidence it shows (markers); drop code, live-widget
views and their state (nbconvert would fetch a widget renderer from a CDN); enforce blurred
thumbnails (or reveal them, audited); render the outputs with nbconvert's ``basic``
template inside a self-contained page; refuse any external resource; print to PDF with
Chromium if asked; write the report's SHA-256 to a ``.sha256`` sidecar.
"""

from __future__ import annotations

import copy
import hashlib
import re
import tempfile
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.errors import WorkbenchError
from workbench.reports.manifest import MANIFEST_MIME

FORMATS = ("html", "pdf")
PLOTLY_MIME = "application/vnd.plotly.v1+json"
DROP_MIMES = ("application/vnd.jupyter.widget-view+json",
              "application/vnd.jupyter.widget-state+json", "application/vnd.plotly.v1+json",
              "application/javascript")
_IMG = re.compile(r"<img\b[^>]*\bdata-wb-sha256=\"([0-9a-f]{64})\"[^>]*>")


class ReportError(WorkbenchError):
    """The notebook cannot be turned into a report; the message says why and what to do."""


@dataclass(frozen=True)
class ReportResult:
    """What ``export_report`` wrote."""

    path: Path
    sha256: str
    sidecar: Path
    items: int
    unverified: int


def export_report(notebook: str | Path, fmt: str = "html", out: str | Path | None = None,
                  reveal: bool = False, case_dir: str | Path | None = None) -> ReportResult:
    """Export an executed case notebook as a report without code cells.

    Args:
        notebook: the executed ``.ipynb`` (e.g. papermill's output).
        fmt: ``html`` or ``pdf``.
        out: the report file (default: beside the notebook, ``.html``/``.pdf``).
        reveal: show thumbnails unblurred (recorded in the case's audit log).
        case_dir: the case, when the notebook's papermill parameters do not name it.

    Returns:
        The report path, its SHA-256 (also in ``<report>.sha256``) and manifest counts.
    """
    import nbformat

    from workbench.reports.manifest import audit_section, collect_shown, manifest_rows
    from workbench.reports.page import PageInfo, external_urls, render_page
    from workbench.store import Case, current_user
    from workbench.types import Run, code_version, utc_now

    if fmt not in FORMATS:
        raise ReportError(f"format must be one of {FORMATS}, got {fmt!r}")
    source = Path(notebook)
    try:
        nb = nbformat.read(source, as_version=4)
    except (OSError, ValueError) as error:
        raise ReportError(f"cannot read notebook {source}: {error}") from error
    target = Path(out) if out else source.with_suffix(f".{fmt}")
    folder = _case_folder(nb, source, case_dir)
    case = Case.open(folder) if folder else None
    if reveal and case is None:
        raise ReportError("--reveal needs the case to re-render thumbnails: pass --case")
    try:
        recorded = case.recording(Run.start("report", params={
            "notebook": str(source), "format": fmt, "out": str(target), "reveal": reveal,
        })) if case else nullcontext(None)
        with recorded as rec:
            shown = collect_shown(nb)
            rows = manifest_rows(case, shown)
            body = _thumbnails(_body_html(_clean(nb)), case, reveal)
            body += audit_section(case)
            audit_head = case.audit_head()[1] if case else None
            info = PageInfo(
                title=f"Case report: {case.name if case else source.stem}",
                case_name=case.name if case else "(case not found)",
                case_path=str(case.path) if case else "", notebook=source.name,
                generated_by=case.actor().name if case else current_user(),
                generated_at=utc_now().isoformat(timespec="seconds"),
                code_version=code_version(), revealed=reveal, sidecar=target.name + ".sha256")
            page = render_page(info, body, rows)
            leaks = external_urls(page)
            if leaks:
                raise ReportError(f"the report would load {len(leaks)} external resources "
                                  f"({leaks[:3]}); inline them (maps: `workbench geo` assets) "
                                  "so it works offline")
            target.parent.mkdir(parents=True, exist_ok=True)
            if fmt == "html":
                target.write_text(page, encoding="utf-8")
            else:
                from workbench.reports.pdf import html_to_pdf

                with tempfile.TemporaryDirectory(prefix="wb-report-") as tmp:
                    html_file = Path(tmp) / "report.html"
                    html_file.write_text(page, encoding="utf-8")
                    html_to_pdf(html_file, target)
            digest = hashlib.sha256(target.read_bytes()).hexdigest()
            sidecar = target.with_name(target.name + ".sha256")
            sidecar.write_text(f"{digest}  {target.name}\n", encoding="utf-8")
            unverified = sum(r.check != "verified" for r in rows)
            if case and rec:
                case.audit("report.export", target=str(target), detail={
                    "sha256": digest, "format": fmt, "items": len(rows), "reveal": reveal,
                    "audit_head": audit_head})
                rec.summary.update(sha256=digest, items=len(rows))
        return ReportResult(target, digest, sidecar, len(rows), unverified)
    finally:
        if case:
            case.close()


def _case_folder(nb: Any, source: Path, case_dir: str | Path | None) -> Path | None:
    """The case: given explicitly, else the notebook's papermill ``case_dir`` parameter."""
    if case_dir:
        return Path(case_dir)
    value = nb.metadata.get("papermill", {}).get("parameters", {}).get("case_dir")
    if not value:
        # Run by hand in JupyterLab: read the assignment in the parameters cell.
        for cell in nb.cells:
            if "parameters" in cell.get("metadata", {}).get("tags", []):
                found = re.search(r"""^case_dir\s*=\s*["']([^"']+)["']""", cell.source, re.M)
                value = found.group(1) if found else None
    if not value:
        return None
    from workbench.store import is_case

    for candidate in (Path(value), source.parent / value):
        if is_case(candidate):
            return candidate
    raise ReportError(f"the notebook's case_dir {value!r} is not a case here; pass --case")


def _clean(nb: Any) -> Any:
    """A copy without live-widget views, widget state and stderr noise; plotly figures as
    inline HTML (plotly.js once, inline: the report must open offline)."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    plotly_js = [True]  # include plotly.js with the first figure only
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                continue
            data = output.get("data")
            if data is not None and MANIFEST_MIME in data:
                continue  # collected for the manifest; nothing to show
            if data is not None and PLOTLY_MIME in data:
                data["text/html"] = _plotly_html(data[PLOTLY_MIME], plotly_js[0])
                plotly_js[0] = False
            if data is not None:
                for mime in DROP_MIMES:
                    data.pop(mime, None)
                if set(data) <= {"text/plain"} and output.get("output_type") in (
                        "display_data", "execute_result") and _is_widget_repr(data):
                    continue
                if not data:
                    continue
            kept.append(output)
        cell.outputs = kept
    return nb


def _plotly_html(figure: Any, include_js: bool) -> str:
    import plotly.io as pio

    return pio.to_html(dict(figure), include_plotlyjs=include_js, full_html=False,
                       config={"displayModeBar": False})


def _is_widget_repr(data: dict[str, Any]) -> bool:
    text = data.get("text/plain", "")
    text = "".join(text) if isinstance(text, list) else text
    return bool(re.match(r"^[A-Z]\w*\((children|layout|value|description)=", text))


def _body_html(nb: Any) -> str:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="basic", exclude_input=True,
                            exclude_input_prompt=True, exclude_output_prompt=True,
                            anchor_link_text="")
    body, _resources = exporter.from_notebook_node(nb)
    return body


def _thumbnails(body: str, case: Any, reveal: bool) -> str:
    """Re-render every marked thumbnail from the case: blurred, or unblurred with --reveal.

    Whatever state the analyst left a widget in, the report decides: blurred unless the
    person exporting asked otherwise, and a reveal is written to the audit log.
    """
    if case is None:
        return body
    from workbench.errors import WorkbenchError as _Err
    from workbench.media import evidence_thumbnail, img_tag, record_reveal

    revealed: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        tag, sha = match.group(0), match.group(1)
        box_match = re.search(r'data-wb-box="([^"]+)"', tag)
        box = tuple(float(v) for v in box_match.group(1).split(",")) if box_match else None
        size = 240 if reveal else 120
        try:
            png = evidence_thumbnail(case, sha, blurred=not reveal, box=box, size=size)
        except _Err:
            return f'<span data-wb-sha256="{sha}">[image not readable]</span>'
        if reveal:
            revealed.add(sha)
        return img_tag(png, sha, blurred=not reveal, box=box)  # type: ignore[arg-type]

    body = _IMG.sub(replace, body)
    for sha in sorted(revealed):
        record_reveal(case, sha, "report export")
    return body
