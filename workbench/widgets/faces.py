"""Face gallery: face crops with age, gender, emotion and their uncertainty; clusters."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import pandas as pd
import traitlets

from workbench.widgets.base import LIMITS_NOTE, WorkbenchWidget, lazy, limits_banner

ALL = "(all faces)"
UNCLUSTERED = "(not clustered)"


def describe_face(row: dict[str, Any], minor_threshold: float | None = None) -> list[str]:
    """Plain lines for a face card: each estimate with its uncertainty, or that it has none.

    Args:
        row: the face's stored columns.
        minor_threshold: the measured ``p_minor`` operating point; with it the card says
            whether the face is flagged as a likely minor.
    """
    lines = []
    from workbench.faces.age_model import age_range_text

    age = _num(row.get("age"))
    span = age_range_text(row.get("age_low"), row.get("age_high"))
    if age is not None and span:
        lines.append(f"age {span} (95% range; estimate {age:.0f})")
    elif age is not None:
        std = _num(row.get("age_std"))
        spread = f" ± {std:.0f}" if std is not None else " (no uncertainty reported)"
        lines.append(f"age ≈ {age:.0f}{spread}")
    if row.get("age_source") == "network":
        lines.append("age uncalibrated (the age network's own reading)")
    p_minor = _num(row.get("p_minor"))
    if p_minor is not None:
        verdict = ""
        if minor_threshold is not None:
            verdict = (" · flagged: likely under 18" if p_minor >= minor_threshold
                       else " · not flagged")
        lines.append(f"P(under 18) = {p_minor:.2f}{verdict}")
    gender = row.get("gender")
    if isinstance(gender, str) and gender:
        conf = next((_num(row.get(k)) for k in ("gender_confidence", "gender_p", "gender_prob")
                     if _num(row.get(k)) is not None), None)
        lines.append(f"gender: {gender}" + (f" (p={conf:.2f})" if conf is not None else ""))
    elif _num(gender) is not None:
        lines.append(f"P(male) = {_num(gender):.2f}")
    emotions = {k[len("emotion_"):]: _num(v) for k, v in row.items()
                if k.startswith("emotion_") and _num(v) is not None}
    if emotions:
        top = sorted(emotions.items(), key=lambda kv: -kv[1])[:2]
        lines.append("emotion: " + ", ".join(f"{k} {v:.2f}" for k, v in top))
    conf = _num(row.get("confidence"))
    quality = _num(row.get("quality"))
    if conf is not None or quality is not None:
        lines.append(", ".join(part for part in (
            f"detector {conf:.2f}" if conf is not None else "",
            f"quality {quality:.2f}" if quality is not None else "") if part))
    return lines


def _num(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number


class FaceGallery(WorkbenchWidget):
    """Faces of a case as blurred crops with their estimates; view and correct clusters.

    Args:
        case: the open case.
        load_faces: ``load_faces(case) -> DataFrame`` with ``face_id, evidence_id, x1..y2,
            cluster_id`` and attribute columns (default: ``workbench.reports.views.faces_view``).
        merge: ``merge(case, cluster_ids) -> new cluster id``.
        split: ``split(case, cluster_id, face_ids) -> new cluster id`` for the chosen faces.
        thumbnail: ``thumbnail(case, sha256, blurred=True, box=...) -> PNG bytes``.
        on_reveal: ``on_reveal(case, sha256, context)`` records that crops were shown clear
            (default: the case's audit log).
        operating_point: ``operating_point() -> OperatingPoint``: the ``p_minor``
            threshold and its measured rates (default: the shipped age head's).
        max_faces: cards shown at once.
    """

    cluster = traitlets.Unicode(ALL)
    shown = traitlets.Int(0)
    revealed = traitlets.Bool(False)
    reveals = traitlets.Int(0)
    title = "Faces"

    def __init__(self, case: Any, load_faces: Callable[..., pd.DataFrame] | None = None,
                 merge: Callable[..., Any] | None = None, split: Callable[..., Any] | None = None,
                 thumbnail: Callable[..., bytes] | None = None,
                 on_reveal: Callable[..., Any] | None = None,
                 operating_point: Callable[[], Any] | None = None, max_faces: int = 60) -> None:
        super().__init__()
        self.case = case
        self._load = load_faces or lazy("workbench.reports.views:faces_view")
        self._merge = merge or lazy("workbench.faces.cluster:merge_clusters")
        self._split = split or lazy("workbench.faces.cluster:split_cluster")
        self._thumbnail = thumbnail or lazy("workbench.media:evidence_thumbnail")
        self._on_reveal = on_reveal or lazy("workbench.media:record_reveal")
        self.max_faces = max_faces
        point = self.quiet(operating_point or lazy("workbench.faces.age_model:operating_point"))
        self.minor_threshold = point.threshold if point is not None else None
        self.reliability = w.HTML(
            f'<div class="wb-reliability" style="font-size:12px;margin:2px 0 6px">'
            f"How far to trust “likely under 18”: {html.escape(point.describe())} "
            f"{html.escape(point.caveat())}</div>"
            if point is not None else "")
        self.reveal_button = w.Button(description="Reveal faces in view", icon="eye",
                                      tooltip="show these face crops clear (counted, audited); "
                                      "changing the view blurs them again")
        self.reveal_button.on_click(self._on_reveal_click)
        self.faces = pd.DataFrame()
        self.cluster_picker = w.Dropdown(description="Cluster", options=[ALL])
        self.cluster_picker.observe(self._on_cluster, names="value")
        self.merge_pick = w.SelectMultiple(description="Merge", rows=4)
        self.merge_button = w.Button(description="Merge clusters", icon="compress")
        self.merge_button.on_click(self._on_merge)
        self.split_pick = w.SelectMultiple(description="Split off", rows=4)
        self.split_button = w.Button(description="Split faces off", icon="expand")
        self.split_button.on_click(self._on_split)
        self.grid = w.HTML()
        self.children = [
            limits_banner(), self.reliability,
            w.HBox([self.cluster_picker, self.reveal_button]), self.status,
            self.grid,
            w.HBox([w.VBox([self.merge_pick, self.merge_button]),
                    w.VBox([self.split_pick, self.split_button])]),
        ]
        self.reload()

    def reload(self) -> None:
        """Read the faces again (after a clustering run or a merge/split)."""
        faces = self.call(self._load, self.case)
        if faces is None:
            return
        self.faces = faces
        clusters = sorted({str(c) for c in faces.get("cluster_id", pd.Series(dtype=str)).dropna()})
        self.merge_pick.options = clusters
        keep = self.cluster if self.cluster in [ALL, UNCLUSTERED, *clusters] else ALL
        self.cluster_picker.options = [ALL, *clusters, UNCLUSTERED]
        self.cluster_picker.value = keep
        self._render()

    def selected(self) -> pd.DataFrame:
        """The faces of the chosen cluster (all faces for ``(all faces)``)."""
        if not len(self.faces) or self.cluster == ALL:
            return self.faces
        column = self.faces["cluster_id"]
        if self.cluster == UNCLUSTERED:
            return self.faces[column.isna()]
        return self.faces[column.astype(str) == self.cluster]

    def _on_cluster(self, change: dict[str, Any]) -> None:
        self.cluster = change["new"] or ALL
        self.revealed = False
        self._render()

    def _on_reveal_click(self, _button: w.Button | None = None) -> None:
        if not self.revealed:
            shown = self.selected().head(self.max_faces)
            for sha in sorted(set(shown.get("evidence_id", []))):
                self.call(self._on_reveal, self.case, sha, "face gallery")
                if self.error:
                    return
            self.reveals += 1
        self.revealed = not self.revealed
        self._render()

    def _on_merge(self, _button: w.Button | None = None) -> None:
        ids = list(self.merge_pick.value)
        if len(ids) < 2:
            self.error = "Choose at least two clusters to merge."
            return
        new = self.call(self._merge, self.case, ids)
        if new is not None:
            self.reload()
            self.message = f"Merged {len(ids)} clusters into {new}."

    def _on_split(self, _button: w.Button | None = None) -> None:
        ids = list(self.split_pick.value)
        if self.cluster in (ALL, UNCLUSTERED) or not ids:
            self.error = "Choose a cluster, then the faces to split off into a new cluster."
            return
        new = self.call(self._split, self.case, self.cluster, ids)
        if new is not None:
            self.reload()
            self.message = f"Split {len(ids)} faces into cluster {new}."

    def _render(self) -> None:
        from workbench.media import img_tag

        faces = self.selected()
        self.split_pick.options = [str(f) for f in faces.get("face_id", [])]
        cards = []
        for row in faces.head(self.max_faces).to_dict(orient="records"):
            box = tuple(float(row[k]) for k in ("x1", "y1", "x2", "y2"))
            png = self.quiet(self._thumbnail, self.case, row["evidence_id"],
                             blurred=not self.revealed, box=box, size=96)
            image = img_tag(png, row["evidence_id"], blurred=not self.revealed,
                            box=box) if png else (
                f'<span data-wb-sha256="{row["evidence_id"]}">no image</span>')
            lines = "".join(f"<div>{html.escape(line)}</div>" for line in describe_face(
                row, self.minor_threshold))
            cluster = row.get("cluster_id")
            cluster_text = f"cluster {cluster}" if isinstance(cluster, str) else "unclustered"
            cards.append(f'<div class="wb-face" style="display:inline-block;width:190px;'
                         f'vertical-align:top;margin:4px;font-size:12px">{image}'
                         f"<div><b>{html.escape(str(row['face_id']))}</b> · "
                         f"{html.escape(cluster_text)}</div>{lines}</div>")
        self.shown = len(cards)
        self.reveal_button.description = ("Blur faces again" if self.revealed
                                          else "Reveal faces in view")
        self.message = (f"{len(faces)} faces in this view; showing {self.shown}."
                        if len(faces) else "No faces stored for this case yet "
                        "(run the face analysis first).")
        self.grid.value = "".join(cards)

    def snapshot_body(self) -> str:
        return (f'<p class="wb-limits">{html.escape(LIMITS_NOTE)}</p>{self.reliability.value}'
                f"<p>{html.escape(self.message)}</p>{self.grid.value}")
