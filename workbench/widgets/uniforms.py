"""Uniform inspector (see and correct clothing attributes) and school search (ranked)."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import pandas as pd
import traitlets

from workbench.widgets.base import WorkbenchWidget, lazy, table_html

FIELDS = ("present", "colours", "pattern")
# The overlay's outline colours (as workbench.uniforms.overlay draws them), for the legend.
OVERLAY_COLOURS = {"shirt": (60, 200, 90), "tie": (230, 60, 60), "jumper": (200, 80, 220),
                   "blazer": (40, 200, 230), "lower": (240, 200, 40)}
UNIFORM_NOTE = ("Colours and patterns are measured from pixels under the face, so lighting, "
                "pose and occlusion change them: correct what you can see is wrong before "
                "searching schools.")


def _as_dict(person: Any) -> dict[str, Any]:
    return person.as_dict() if hasattr(person, "as_dict") else dict(person)


def parse_value(field: str, text: str) -> Any:
    """An analyst's typed correction as the value the attribute holds."""
    text = text.strip()
    if field == "present":
        return {"yes": True, "true": True, "no": False, "false": False}.get(text.lower())
    if field == "colours":
        return [c.strip() for c in text.split(",") if c.strip()]
    return text or None


class UniformInspector(WorkbenchWidget):
    """Clothing attributes per person (face), with corrections by the analyst.

    Args:
        case: the open case.
        load: ``load(case) -> list of PersonAttributes`` (or their ``as_dict()``).
        correct: ``correct(case, face_id, item, **{field: value})`` stores a correction
            (default: ``workbench.uniforms.store.correct_attribute``, audited).
        overlay: ``overlay(case, person) -> PNG bytes``: the photo blurred like every
            thumbnail with the person mask and the item regions the reader used drawn on
            it (default: ``workbench.uniforms.overlay.region_overlay``); shown for
            readings that stored their regions.
    """

    person = traitlets.Unicode("")
    corrections = traitlets.Int(0)
    title = "Uniform attributes"

    def __init__(self, case: Any, load: Callable[..., Any] | None = None,
                 correct: Callable[..., Any] | None = None,
                 overlay: Callable[..., Any] | None = None) -> None:
        super().__init__()
        self.case = case
        self._load = load or lazy("workbench.reports.bindings:uniform_people")
        self._correct = correct or lazy("workbench.uniforms.store:correct_attribute")
        self._overlay = overlay or lazy("workbench.uniforms.overlay:region_overlay")
        self.picture = w.Image(format="png", layout=w.Layout(max_width="340px"))
        self._pictures: dict[str, bytes] = {}
        self.legend = w.HTML()
        self.people: dict[str, dict[str, Any]] = {}
        self.picker = w.Dropdown(description="Person")
        self.picker.observe(self._on_pick, names="value")
        self.item = w.Dropdown(description="Item", options=[])
        self.field = w.Dropdown(description="Field", options=list(FIELDS))
        self.value = w.Text(description="Value", placeholder="yes / navy, white / striped")
        self.correct_button = w.Button(description="Save correction", icon="pencil")
        self.correct_button.on_click(self._on_correct)
        self.table = w.HTML()
        self.children = [w.HTML(f"<i>{html.escape(UNIFORM_NOTE)}</i>"), self.picker,
                         w.HBox([w.VBox([self.picture, self.legend]), self.table]),
                         w.HBox([self.item, self.field]), w.HBox([self.value,
                                                                  self.correct_button]),
                         self.status]
        self.reload()

    def reload(self) -> None:
        people = self.call(self._load, self.case)
        if people is None:
            return
        self._pictures = {}
        self.people = {str(p["face_id"]): p for p in map(_as_dict, people)}
        self.picker.options = list(self.people)
        if self.people:
            self.picker.value = self.person if self.person in self.people else next(
                iter(self.people))
        self.person = self.picker.value or ""
        self.message = (f"{len(self.people)} people with clothing attributes." if self.people
                        else "No clothing attributes stored for this case yet.")
        self._render()

    def query(self) -> dict[str, dict[str, Any]]:
        """The chosen person's visible items, corrections applied: what school search takes."""
        person = self.people.get(self.person)
        if not person:
            return {}
        return {k: {"present": v.get("present"), "confidence": v.get("confidence"),
                    "colours": v.get("colours", []), "pattern": v.get("pattern")}
                for k, v in person.get("items", {}).items() if v.get("present") is not None}

    def _on_pick(self, change: dict[str, Any]) -> None:
        self.person = change["new"] or ""
        self._render()

    def _on_correct(self, _button: w.Button | None = None) -> None:
        if not self.person or not self.item.value:
            self.error = "Choose a person and an item to correct."
            return
        value = parse_value(self.field.value, self.value.value)
        self.call(self._correct, self.case, self.person, self.item.value,
                  **{self.field.value: value})
        if self.error:
            return
        item = self.people[self.person]["items"].setdefault(self.item.value, {})
        item[self.field.value] = value
        item["corrected"] = True
        self._pictures.pop(self.person, None)      # a corrected presence is drawn anew
        self.corrections += 1
        self.message = f"Corrected {self.item.value}.{self.field.value} to {value!r}."
        self._render()

    def _render(self) -> None:
        person = self.people.get(self.person)
        if not person:
            self.table.value = ""
            self.picture.value, self.legend.value = b"", ""
            return
        self._render_regions(person)
        items = person.get("items", {})
        self.item.options = list(items)
        if items and self.item.value not in items:
            self.item.value = next(iter(items))
        rows = [{"item": name, "present": v.get("present"), "confidence": v.get("confidence"),
                 "colours": v.get("colours"), "pattern": v.get("pattern"),
                 "corrected": "yes" if v.get("corrected") else ""} for name, v in items.items()]
        self.table.value = (
            f'<div data-wb-sha256="{person.get("evidence_id", "")}">Uniform score '
            f"{float(person.get('uniform_score', 0)):.2f}</div>"
            + table_html(rows, ["item", "present", "confidence", "colours", "pattern",
                                "corrected"]))

    def _render_regions(self, person: dict[str, Any]) -> None:
        """The blurred photo with the mask and regions read, when the reading stored them."""
        stored = [v.get("detail") for v in person.get("items", {}).values()]
        regions = [d for d in stored if isinstance(d, dict) and d.get("region")]
        if not regions:
            self.picture.value, self.legend.value = b"", ""
            return
        key = str(person.get("face_id", self.person))
        if key not in self._pictures:     # picking and reloading render the same person
            self._pictures[key] = self.quiet(self._overlay, self.case, person) or b""
        self.picture.value = self._pictures[key]
        decision = next((d["person"] for d in regions if d.get("person")), {})
        method = regions[0].get("method") or decision.get("method", "")
        said = {True: "uniform", False: "no uniform", None: "cannot tell"}.get(
            decision.get("present"), "")
        self.legend.value = (
            f"<small>Regions read ({html.escape(str(method))}): "
            + ", ".join(f'<span style="color:rgb{c}">&#9632;</span> {i}'
                        for i, c in OVERLAY_COLOURS.items())
            + "; yellow: person mask. Bold: item read as present."
            + (f" Decision: {said} ({float(decision.get('confidence', 0)):.2f})."
               if said else "") + "</small>")

    def snapshot_body(self) -> str:
        return f"<p>{html.escape(self.message)}</p>{self.table.value}"


class SchoolSearch(WorkbenchWidget):
    """Rank schools from the registry against one face's (corrected) uniform.

    Args:
        case: the open case.
        face: a callable returning the face to search for (e.g. ``lambda: inspector.person``).
        search: ``search(case, face_id, near=None, k=...) -> rows`` of ranked schools
            (``name, score, reasons``, optionally ``distance_km, lat, lon``); default:
            :func:`workbench.reports.bindings.school_search`, which stores them as hits
            under a ``school_search`` run.
        k: how many schools to show.
    """

    results_count = traitlets.Int(0)
    title = "School search"

    def __init__(self, case: Any, face: Callable[[], str], search: Callable[..., Any] | None = None,
                 k: int = 10) -> None:
        super().__init__()
        self.case = case
        self._search = search or lazy("workbench.reports.bindings:school_search")
        self._face = face
        self.k = w.IntSlider(value=k, min=1, max=50, description="Top")
        self.near = w.Text(description="Near", placeholder="lat, lon, km (optional)")
        self.search_button = w.Button(description="Rank schools", icon="search",
                                      button_style="primary")
        self.search_button.on_click(self._on_search)
        self.results = pd.DataFrame()
        self.table = w.HTML()
        self.children = [w.HBox([self.near, self.k]), self.search_button, self.status,
                         self.table]

    def _on_search(self, _button: w.Button | None = None) -> None:
        from workbench.reports.views import parse_place

        near = self.call(parse_place, self.near.value)
        if self.error:
            return
        face_id = self._face()
        if not face_id:
            self.error = "No uniform attributes to search with: choose a person first."
            return
        result = self.call(self._search, self.case, face_id, near=near, k=self.k.value)
        if result is None:
            return
        self.results = pd.DataFrame(result)
        self.results_count = len(self.results)
        self.message = (f"{self.results_count} schools ranked for {face_id}. A ranking of plausible schools "
                        "for an investigator to follow up, not an identification.")
        shown = self.results.copy()
        if "rank_text" in shown.columns:
            shown["rank"] = shown["rank_text"]  # "4-15": schools that tie share a rank range
        columns = [c for c in ("rank", "name", "address", "score", "distance_km", "reasons")
                   if c in shown.columns]
        self.table.value = table_html(shown.to_dict(orient="records"), columns)

    def snapshot_body(self) -> str:
        return f"<p>{html.escape(self.message)}</p>{self.table.value}"
