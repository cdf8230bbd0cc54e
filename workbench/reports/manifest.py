"""Evidence markers and the evidence manifest of a report.

Whatever a notebook shows of the evidence carries a machine-readable marker:

* widget snapshots and thumbnails carry ``data-wb-sha256="<sha256>"`` in their HTML
  (also inside a map's ``iframe srcdoc``, where it appears HTML-escaped);
* anything else (a table, a chart) is declared with :func:`shown_evidence`, which displays
  an output of MIME type :data:`MANIFEST_MIME` holding the SHA-256s.

:func:`collect_shown` reads both from an executed notebook; :func:`manifest_rows` checks
each item against the case (kind, path, and whether the file still hashes to its id).
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_MIME = "application/vnd.workbench.evidence+json"
_SHA = re.compile(r"data-wb-sha256=(?:\"|'|&quot;|&#x27;)([0-9a-f]{64})")


class EvidenceMarker:
    """A display object declaring which evidence a notebook output shows.

    Example:
        >>> marker = shown_evidence(["a" * 64], "triage table")
        >>> sorted(marker._repr_mimebundle_())[0]
        'application/vnd.workbench.evidence+json'
    """

    def __init__(self, sha256s: Iterable[str], context: str = "") -> None:
        self.sha256s = sorted({s for s in sha256s if isinstance(s, str) and len(s) == 64})
        self.context = context

    def _repr_mimebundle_(self, **_kwargs: Any) -> dict[str, Any]:
        return {MANIFEST_MIME: {"sha256": self.sha256s, "context": self.context},
                "text/plain": f"[{len(self.sha256s)} evidence items recorded for the manifest]"}


def shown_evidence(sha256s: Iterable[str], context: str = "") -> EvidenceMarker:
    """Declare that the output next to it shows these items (for the report manifest)."""
    return EvidenceMarker(sha256s, context)


@dataclass
class ShownItem:
    """An item of evidence a report shows, and in which outputs."""

    sha256: str
    where: list[str] = field(default_factory=list)


def shas_in_html(text: str) -> set[str]:
    """Evidence ids marked in HTML, including HTML-escaped ``srcdoc`` documents."""
    found = set(_SHA.findall(text))
    unescaped = html.unescape(text)
    if unescaped != text:
        found |= set(_SHA.findall(unescaped))
    return found


def collect_shown(nb: Mapping[str, Any]) -> list[ShownItem]:
    """Every evidence id marked in the outputs of an executed notebook, in first-seen order."""
    items: dict[str, ShownItem] = {}
    for index, cell in enumerate(nb.get("cells", [])):
        for output in cell.get("outputs", []) or []:
            data = output.get("data", {}) or {}
            found: set[str] = set()
            context = ""
            marker = data.get(MANIFEST_MIME)
            if isinstance(marker, Mapping):
                found |= {s for s in marker.get("sha256", []) if isinstance(s, str)}
                context = str(marker.get("context", ""))
            for mime in ("text/html", "image/svg+xml"):
                value = data.get(mime)
                if value:
                    found |= shas_in_html("".join(value) if isinstance(value, list) else value)
            for sha in sorted(found):
                where = f"cell {index + 1}" + (f" ({context})" if context else "")
                item = items.setdefault(sha, ShownItem(sha))
                if where not in item.where:
                    item.where.append(where)
    return list(items.values())


@dataclass
class ManifestRow:
    """One line of the evidence manifest."""

    sha256: str
    kind: str
    path: str
    captured_at: str
    check: str
    where: str


def file_sha256(path: Path | str) -> str:
    """SHA-256 of a file, or of a zip member given as ``archive.zip!/member``."""
    if "!/" in str(path):
        from workbench.ingest.images import read_bytes

        return hashlib.sha256(read_bytes(path)).hexdigest()
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def manifest_rows(case: Any, items: Iterable[ShownItem], verify: bool = True
                  ) -> list[ManifestRow]:
    """Describe each shown item from the case and re-hash its file when ``verify``.

    ``check`` is ``verified`` (the file still hashes to its SHA-256), ``MISMATCH``,
    ``file not readable`` or ``not in case`` (or ``not checked``).
    """
    from workbench.errors import CaseError, WorkbenchError

    rows = []
    for item in items:
        where = "; ".join(item.where)
        if case is None:
            rows.append(ManifestRow(item.sha256, "", "", "", "not checked (no case)", where))
            continue
        try:
            evidence = case.get_evidence(item.sha256)
        except CaseError:
            rows.append(ManifestRow(item.sha256, "", "", "", "not in case", where))
            continue
        path = ""
        check = "not checked"
        try:
            pixels = case.pixels_path(evidence)
            path = str(pixels)
            if verify:
                check = "verified" if file_sha256(pixels) == item.sha256 else "MISMATCH"
        except (WorkbenchError, OSError):
            path = evidence.source_paths[0] if evidence.source_paths else ""
            check = "file not readable"
        captured = evidence.captured_at.isoformat() if evidence.captured_at else ""
        rows.append(ManifestRow(item.sha256, evidence.kind, path, captured, check, where))
    return rows


def audit_section(case: Any) -> str:
    """The case's audit chain head as an HTML section, so the report pins the log.

    A head recorded in a report on file lets ``workbench audit verify CASE --head HASH``
    later prove that no entry up to it was changed, removed or inserted.
    """
    if case is None:
        return ""
    result = case.audit_verify()
    state = "intact" if result.ok else f"BROKEN at entry #{result.broken_seq}: {result.reason}"
    return (
        '<section id="audit-chain"><h2>Audit log</h2>'
        f"<p>Audit chain {html.escape(state)}; {result.entries} entries. Head entry "
        f'#{result.head_seq}: <code class="wb-audit-head">{result.head_hash}</code>. '
        "Check the case's log against this head with <code>workbench audit verify CASE "
        f"--head {result.head_hash}</code>.</p></section>")
