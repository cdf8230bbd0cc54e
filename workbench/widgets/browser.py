"""Case browser: filter a case's evidence by kind, date, place, hash hit and score."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd
import traitlets

from workbench.widgets.base import WorkbenchWidget, lazy, table_html

KINDS = [("any kind", ""), ("images", "image"), ("videos", "video"), ("video frames", "video_frame")]


class CaseBrowser(WorkbenchWidget):
    """Browse and filter the evidence of a case; thumbnails blurred and greyscale.

    Args:
        case: the open case.
        query: ``query(case, EvidenceFilter) -> DataFrame`` (default:
            :func:`workbench.reports.views.evidence_view`).
        thumbnail: ``thumbnail(case, sha256, blurred=True) -> PNG bytes`` (default:
            :func:`workbench.media.evidence_thumbnail`); None shows no images.
        page_size: rows shown at once.

    Example:
        >>> CaseBrowser(case)                                   # doctest: +SKIP
    """

    count = traitlets.Int(0)
    page = traitlets.Int(0)
    title = "Case evidence"

    def __init__(self, case: Any, query: Callable[..., pd.DataFrame] | None = None,
                 thumbnail: Callable[..., bytes] | None = None, page_size: int = 50,
                 show_thumbnails: bool = True) -> None:
        super().__init__()
        self.case = case
        self._query = query or lazy("workbench.reports.views:evidence_view")
        self._thumbnail = thumbnail or lazy("workbench.media:evidence_thumbnail")
        self.show_thumbnails = show_thumbnails
        self.page_size = page_size
        self.result = pd.DataFrame()
        self.kind = w.Dropdown(options=KINDS, value="", description="Kind")
        self.date_from = w.DatePicker(description="From")
        self.date_to = w.DatePicker(description="To")
        self.place = w.Text(description="Near", placeholder="lat, lon, km")
        self.hash_hit = w.Checkbox(description="known-hash hits only")
        self.min_score = w.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05,
                                       description="Min score")
        self.apply = w.Button(description="Apply filters", button_style="primary")
        self.apply.on_click(self._on_apply)
        self.prev_page = w.Button(description="Previous page", icon="arrow-left")
        self.prev_page.on_click(lambda _b: self._turn(-1))
        self.next_page = w.Button(description="Next page", icon="arrow-right")
        self.next_page.on_click(lambda _b: self._turn(1))
        self.table = w.HTML()
        self.children = [
            w.HBox([self.kind, self.hash_hit]), w.HBox([self.date_from, self.date_to]),
            w.HBox([self.place, self.min_score]), self.apply, self.status, self.table,
            w.HBox([self.prev_page, self.next_page]),
        ]
        self._on_apply()

    def filters(self) -> Any:
        """The current controls as an :class:`~workbench.reports.views.EvidenceFilter`."""
        from workbench.reports.views import EvidenceFilter, as_date, parse_place

        return EvidenceFilter(
            kind=self.kind.value or None, date_from=as_date(self.date_from.value),
            date_to=as_date(self.date_to.value), near=parse_place(self.place.value),
            hash_hit_only=self.hash_hit.value, min_score=self.min_score.value or None,
        )

    def _on_apply(self, _button: w.Button | None = None) -> None:
        filters = self.call(self.filters)
        if filters is None:
            return
        result = self.call(self._query, self.case, filters)
        if result is None:
            return
        self.result = result
        self.count = len(result)
        self.page = 0
        self._show_page()

    def _turn(self, step: int) -> None:
        last = max(0, (self.count - 1) // self.page_size)
        self.page = max(0, min(last, self.page + step))
        self._show_page()

    def _show_page(self) -> None:
        start = self.page * self.page_size
        chunk = self.result.iloc[start:start + self.page_size]
        self.message = (f"{self.count} items match; showing {start + 1}-{start + len(chunk)}."
                        if len(chunk) else f"{self.count} items match.")
        self.prev_page.disabled = self.page == 0
        self.next_page.disabled = start + self.page_size >= self.count
        self.table.value = self._render(chunk)

    def _render(self, frame: pd.DataFrame) -> str:
        from workbench.media import img_tag

        rows = []
        for row in frame.to_dict(orient="records"):
            out = {k: row.get(k) for k in ("kind", "captured_at", "lat", "lon", "best_score",
                                           "hits")}
            out["hash hit"] = "yes" if row.get("hash_hit") else ""
            out["sha256"] = row["sha256"][:16] + "…"
            paths = row.get("paths") or []
            out["file"] = Path(paths[0]).name if paths else ""
            if self.show_thumbnails and row.get("kind") != "video":
                png = self.quiet(self._thumbnail, self.case, row["sha256"], blurred=True)
                out["thumbnail"] = ("html", img_tag(png, row["sha256"]) if png else
                                    f'<span data-wb-sha256="{row["sha256"]}">no preview</span>')
            elif row.get("kind") == "video":
                out["thumbnail"] = ("html", f'<span data-wb-sha256="{row["sha256"]}">video '
                                            "(see its frames)</span>")
            else:
                out["thumbnail"] = ("html", f'<span data-wb-sha256="{row["sha256"]}"></span>')
            rows.append(out)
        columns = ["thumbnail", "file", "kind", "captured_at", "lat", "lon", "best_score", "hits",
                   "hash hit", "sha256"]
        return table_html(rows, columns)

    def snapshot_body(self) -> str:
        from html import escape

        return f"<p>{escape(self.message)}</p>{self.table.value}"
