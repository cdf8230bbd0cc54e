"""Missing-person lookup: each case face beside its registry candidates, with reasons."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import traitlets

from workbench.widgets.base import WorkbenchWidget, lazy, table_html

NOTE = ("Candidates are ranked by face similarity after the sex and age-window filters. "
        "A 'verified' mark means the similarity passed the calibrated threshold; it is a lead "
        "to check against the record, never an identification.")


def face_results(result: Any) -> list[dict[str, Any]]:
    """The per-face dicts of a lookup result (``LookupResult`` or a list of dicts)."""
    faces = getattr(result, "faces", result) or []
    out = []
    for face in faces:
        row = face.as_dict() if hasattr(face, "as_dict") else dict(face)
        query = getattr(face, "query", None)
        if query is not None and getattr(query, "xyxy", None) is not None:
            row.setdefault("xyxy", tuple(query.xyxy))
        out.append(row)
    return out


class MissingPersonLookup(WorkbenchWidget):
    """Look the case's faces up in a missing-persons registry and show the candidates.

    Args:
        case: the open case.
        lookup: ``lookup(case, registry) -> LookupResult`` (default:
            ``workbench.missing.case_lookup.lookup_case``; it stores hits and a run).
        open_registry: ``open_registry(location) -> Registry`` (default:
            ``workbench.missing.backends.open_registry``).
        registry: a registry location (folder or ``postgresql://`` URL); blank: the default.
        thumbnail: ``thumbnail(case, sha256, blurred=True, box=...) -> PNG bytes``.
        photo: ``photo(registry, record_id, photo_id) -> PNG bytes or None``, the
            candidate's registry photo (default: ``workbench.reports.bindings.registry_photo``).
        on_reveal: ``on_reveal(case, sha256, context)`` records that case faces were shown
            clear (default: the case's audit log).
    """

    faces_searched = traitlets.Int(0)
    candidates = traitlets.Int(0)
    verified = traitlets.Int(0)
    revealed = traitlets.Bool(False)
    reveals = traitlets.Int(0)
    title = "Missing-person lookup"

    def __init__(self, case: Any, lookup: Callable[..., Any] | None = None,
                 open_registry: Callable[..., Any] | None = None, registry: str = "",
                 thumbnail: Callable[..., bytes] | None = None,
                 photo: Callable[..., bytes | None] | None = None,
                 on_reveal: Callable[..., Any] | None = None) -> None:
        super().__init__()
        self.case = case
        self._lookup = lookup or lazy("workbench.missing.case_lookup:lookup_case")
        self._open_registry = open_registry or lazy("workbench.missing.backends:open_registry")
        self._thumbnail = thumbnail or lazy("workbench.media:evidence_thumbnail")
        self._photo = photo or lazy("workbench.reports.bindings:registry_photo")
        self._on_reveal = on_reveal or lazy("workbench.media:record_reveal")
        self._registry: Any = None
        self.reveal_button = w.Button(description="Reveal case faces", icon="eye",
                                      tooltip="show the case faces clear to compare them "
                                      "(counted and audited)")
        self.reveal_button.on_click(self._on_reveal_click)
        self.registry = w.Text(value=registry, description="Registry",
                               placeholder="folder or postgresql:// URL (blank: default)")
        self.only_verified = w.Checkbox(value=False, description="verified only")
        self.only_verified.observe(lambda _c: self._render(), names="value")
        self.search_button = w.Button(description="Search registry", button_style="primary",
                                      icon="search")
        self.search_button.on_click(self._on_search)
        self.results = w.HTML()
        self.rows: list[dict[str, Any]] = []
        self.children = [w.HTML(f"<i>{html.escape(NOTE)}</i>"),
                         w.HBox([self.registry, self.only_verified]),
                         w.HBox([self.search_button, self.reveal_button]),
                         self.status, self.results]

    def _on_search(self, _button: w.Button | None = None) -> None:
        registry = self.call(self._open_registry, self.registry.value.strip() or None)
        if registry is None:
            return
        result = self.call(self._lookup, self.case, registry)
        if result is None:
            return
        self._registry = registry
        self.revealed = False
        self.rows = face_results(result)
        self.faces_searched = len(self.rows)
        cands = [c for r in self.rows for c in r.get("candidates", [])]
        self.candidates = len(cands)
        self.verified = sum(bool(c.get("verified")) for c in cands)
        skipped = getattr(result, "skipped_keys", {}) or {}
        extra = (f" Skipped faces from other embedding models: {skipped}." if skipped else "")
        self.message = (f"Searched {self.faces_searched} faces: {self.candidates} candidates, "
                        f"{self.verified} above the verification threshold.{extra}")
        self._render()

    def _on_reveal_click(self, _button: w.Button | None = None) -> None:
        if self.revealed:
            self.revealed = False
        else:
            for sha in sorted({r["evidence_id"] for r in self.rows}):
                self.call(self._on_reveal, self.case, sha, "missing-person lookup")
                if self.error:
                    return
            self.reveals += 1
            self.revealed = True
        self.reveal_button.description = ("Blur case faces" if self.revealed
                                          else "Reveal case faces")
        self._render()

    def _candidate_photo(self, cand: dict[str, Any]) -> str:
        from workbench.media import data_uri

        if self._registry is None or cand.get("photo_id") is None:
            return ""
        png = self.call(self._photo, self._registry, cand.get("record_id"), cand["photo_id"])
        return f'<img src="{data_uri(png)}" alt="registry photo" width="72"/>' if png else ""

    def _render(self) -> None:
        from workbench.media import img_tag

        blocks = []
        for row in self.rows:
            cands = [c for c in row.get("candidates", [])
                     if c.get("verified") or not self.only_verified.value]
            if not cands:
                continue
            box = row.get("xyxy")
            png = self.quiet(self._thumbnail, self.case, row["evidence_id"],
                            blurred=not self.revealed, box=box, size=120)
            face = img_tag(png, row["evidence_id"], blurred=not self.revealed,
                           box=box) if png else ""
            table = table_html([{
                "photo": ("html", self._candidate_photo(c)), "rank": c.get("rank"),
                "record": c.get("record_id"), "name": c.get("name"),
                "similarity": c.get("similarity"), "threshold": c.get("threshold"),
                "verified": "yes" if c.get("verified") else "no",
                "reasons": ("html", "<br>".join(html.escape(r) for r in c.get("reasons", []))),
            } for c in cands], ["photo", "rank", "record", "name", "similarity", "threshold", "verified",
                                "reasons"])
            about = f"face {html.escape(str(row.get('face_id', '')))}{_age_text(row)}"
            blocks.append(f'<div class="wb-missing" style="display:flex;gap:12px;margin:8px 0">'
                          f"<div>{face}<div>{about}; sex {html.escape(str(row.get('sex', '')))}"
                          f"</div></div><div>{table}</div></div>")
        self.results.value = "".join(blocks) or "<i>No candidates to show.</i>"

    def snapshot_body(self) -> str:
        body = self.results.value if self.rows else ""
        return f"<p><i>{html.escape(NOTE)}</i></p><p>{html.escape(self.message)}</p>{body}"


def _age_text(row: dict[str, Any]) -> str:
    """The face's estimated age as its 95 % range (never a bare number), or nothing."""
    from workbench.faces.age_model import age_range_text

    text = age_range_text(row.get("age_low"), row.get("age_high"))
    if text:
        return f"; estimated age {text} (95% range)"
    age = row.get("age")
    if isinstance(age, (int, float)) and age == age:
        return f"; estimated age about {age:.0f} (no range stored)"
    return ""
