"""Criteria editor: edit the YAML rules, validate them, save them as a new version."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import traitlets

from workbench.widgets.base import WorkbenchWidget, lazy


def _default_text(_case: Any) -> str:
    from workbench.criteria.rules import load_rules

    return load_rules(None).text


class CriteriaEditor(WorkbenchWidget):
    """Edit a rules file as YAML; validate shows each rule, save keeps a versioned copy.

    Args:
        case: the open case (where saved versions are kept).
        validate: ``validate(text) -> RuleSet`` (default: ``criteria.rules.parse_rules``).
        save: ``save(case, ruleset) -> path`` (default: ``criteria.scoring.copy_rules_into_case``).
        load: ``load(case) -> YAML text`` to start from (default: the shipped rules).
        score: ``score(case, ruleset) -> ScoreResult`` re-scores the case with the rules
            (default: ``criteria.scoring.score_case``; review decisions survive it).
    """

    valid = traitlets.Bool(False)
    version_id = traitlets.Unicode("")
    saved_path = traitlets.Unicode("")
    scored_hits = traitlets.Int(-1)
    title = "Criteria"

    def __init__(self, case: Any, validate: Callable[[str], Any] | None = None,
                 save: Callable[..., Any] | None = None,
                 load: Callable[[Any], str] | None = None,
                 score: Callable[..., Any] | None = None) -> None:
        super().__init__()
        self.case = case
        self._validate = validate or lazy("workbench.criteria.rules:parse_rules")
        self._save = save or lazy("workbench.criteria.scoring:copy_rules_into_case")
        self._score = score or lazy("workbench.criteria.scoring:score_case")
        load = load or _default_text
        self.editor = w.Textarea(layout=w.Layout(width="100%", height="320px"))
        self.editor.value = self.call(load, case) or ""
        self._loaded_version = ""
        self.editor.observe(self._on_edit, names="value")
        self.validate_button = w.Button(description="Validate", icon="check")
        self.validate_button.on_click(self._on_validate)
        self.save_button = w.Button(description="Save new version", icon="save",
                                    button_style="primary")
        self.save_button.on_click(self._on_save)
        self.score_button = w.Button(description="Re-score case", icon="calculator",
                                     tooltip="score every face and image with these rules")
        self.score_button.on_click(self._on_score)
        self.rules = w.HTML()
        self.ruleset: Any = None
        self.children = [self.editor, w.HBox([self.validate_button, self.save_button,
                                              self.score_button]),
                         self.status, self.rules]
        if self.editor.value:
            self._on_validate()
            self._loaded_version = getattr(self.ruleset, "version", "")

    def _on_edit(self, _change: dict[str, Any]) -> None:
        self.valid = False
        self.message = "Edited: validate before saving."

    def _on_validate(self, _button: w.Button | None = None) -> None:
        ruleset = self.call(self._validate, self.editor.value)
        self.valid = ruleset is not None
        self.ruleset = ruleset
        if ruleset is None:
            self.rules.value = ""
            return
        self.version_id = ruleset.version_id
        self.message = f"Valid: {len(ruleset)} rules, version {ruleset.version_id}."
        items = "".join(
            f"<li><b>{html.escape(r.name)}</b> ({html.escape(r.level)}, max score "
            f"{r.max_score:.2f}{'' if r.enabled else ', disabled'}): "
            f"{html.escape(r.description)}</li>" for r in ruleset)
        self.rules.value = f"<ul>{items}</ul>"

    def _on_save(self, _button: w.Button | None = None) -> None:
        self._on_validate()
        if not self.valid:
            return
        path = self.call(self._save, self.case, self.ruleset)
        if path is None:
            return
        self.saved_path = str(path)
        note = (" The version field is unchanged from the loaded rules: raise it so hits "
                "cite a new number." if self.ruleset.version == self._loaded_version else "")
        self.message = f"Saved version {self.version_id} as {path}.{note}"

    def _on_score(self, _button: w.Button | None = None) -> None:
        self._on_validate()
        if not self.valid:
            return
        result = self.call(self._score, self.case, self.ruleset)
        if result is None:
            return
        self.scored_hits = int(getattr(result, "hits", 0))
        queued = getattr(result, "queued", None)
        self.message = (f"Scored with {self.version_id}: {self.scored_hits} hits"
                        + (f", {queued} at or above the review threshold." if queued is not None
                           else ".") + " Review decisions on unchanged evidence still hold.")

    def snapshot_body(self) -> str:
        return f"<p>{html.escape(self.message)}</p>{self.rules.value}"
