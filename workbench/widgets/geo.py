"""Map view (the maps package's offline folium map) and timeline (plotly)."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import pandas as pd
import traitlets

from workbench.widgets.base import WorkbenchWidget, lazy


def map_document(obj: Any) -> str:
    """A full offline HTML document for a folium map (or HTML text given as is).

    Folium maps go through the maps package's ``map_html``, which inlines Leaflet's
    assets and refuses anything that would load from the internet.
    """
    if isinstance(obj, str):
        return obj
    if hasattr(obj, "get_root"):
        return lazy("workbench.geo.maps:map_html")(obj)
    raise TypeError(f"expected a folium map or HTML text, got {type(obj).__name__}")


# Printed (PDF) maps keep their marker and basemap colours only if the document asks.
_PRINT_COLOURS = ("<style>*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
                  "</style>")


def iframe(document: str, height: int = 480) -> str:
    """Embed a document in an ``iframe srcdoc``: self-contained, works offline and in PDF."""
    if "<head>" in document:
        document = document.replace("<head>", "<head>" + _PRINT_COLOURS, 1)
    return (f'<iframe class="wb-map" srcdoc="{html.escape(document, quote=True)}" '
            f'style="width:100%;height:{height}px;border:1px solid #ccc" '
            'sandbox="allow-scripts"></iframe>')


class MapView(WorkbenchWidget):
    """The case map: geotagged evidence, hits, schools and last-seen places, offline.

    Args:
        case: the open case.
        build_map: ``build_map(case) -> folium.Map or HTML`` from the maps package; its
            Leaflet assets must be inline (no CDN), which the maps package guarantees.
        height: height in pixels.
    """

    rendered = traitlets.Bool(False)
    title = "Map"

    def __init__(self, case: Any, build_map: Callable[..., Any] | None = None,
                 height: int = 480) -> None:
        super().__init__()
        self.case = case
        self._build = build_map or lazy("workbench.reports.bindings:case_map_html")
        self.height = height
        self.frame = w.HTML()
        self.refresh_button = w.Button(description="Redraw map", icon="refresh")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.children = [self.refresh_button, self.status, self.frame]
        self.refresh()

    def refresh(self) -> None:
        """Build the map again from the case."""
        built = self.call(self._build, self.case)
        if built is None:
            self.rendered = False
            return
        try:
            document = self.call(map_document, built)
        except TypeError as error:
            self.error = str(error)
            return
        if document is None:
            self.rendered = False
            return
        self.frame.value = iframe(document, self.height)
        self.rendered = True
        self.message = "Map drawn offline from the case's geotagged items."

    def snapshot_body(self) -> str:
        return self.frame.value or f"<p>{html.escape(self.error or 'No map.')}</p>"


class Timeline(WorkbenchWidget):
    """When the case's items were captured, coloured by their best hit score.

    Args:
        case: the open case.
        load_events: ``load_events(case) -> DataFrame`` with ``time, kind, best_score,
            label, sha256`` (default: ``workbench.reports.views.timeline_events``).
    """

    events_count = traitlets.Int(0)
    title = "Timeline"

    def __init__(self, case: Any, load_events: Callable[..., pd.DataFrame] | None = None
                 ) -> None:
        super().__init__()
        self.case = case
        self._load = load_events or lazy("workbench.reports.views:timeline_events")
        self.events = pd.DataFrame()
        self.figure: Any = None
        self.output = w.Output()
        self.children = [self.status, self.output]
        self.refresh()

    def refresh(self) -> None:
        events = self.call(self._load, self.case)
        if events is None:
            return
        self.events = events
        self.events_count = len(events)
        self.message = (f"{self.events_count} dated items (capture times as recorded by the "
                        "devices; clocks can be wrong or unset).")
        self.figure = self._figure(events)
        self.output.clear_output()
        with self.output:
            from IPython.display import display

            display(self.figure)

    @staticmethod
    def _figure(events: pd.DataFrame) -> Any:
        import plotly.graph_objects as go

        score = events["best_score"].fillna(0.0) if len(events) else []
        figure = go.Figure(go.Scatter(
            x=events["time"] if len(events) else [], y=events["kind"] if len(events) else [],
            mode="markers", text=events["label"] if len(events) else [],
            marker={"color": score, "colorscale": "Reds", "cmin": 0, "cmax": 1, "size": 10,
                    "showscale": True, "colorbar": {"title": "best score"}},
            hovertemplate="%{x}<br>%{text}<br>score %{marker.color:.2f}<extra></extra>"))
        figure.update_layout(height=320, margin={"l": 80, "r": 20, "t": 20, "b": 40},
                             xaxis_title="capture time (device clock)", yaxis_title="kind")
        return figure

    def snapshot_body(self) -> str:
        return f"<p>{html.escape(self.message)}</p>{timeline_svg(self.events)}"


def timeline_svg(events: pd.DataFrame, width: int = 720, height: int = 160) -> str:
    """A static, dependency-free SVG of items per day, for reports (no JavaScript needed)."""
    if events is None or not len(events):
        return "<p><i>No dated items.</i></p>"
    days = pd.to_datetime(events["time"], utc=True).dt.floor("D")
    counts = days.value_counts().sort_index()
    start, end = counts.index.min(), counts.index.max()
    span = max(1, (end - start).days)
    top = int(counts.max())
    left, bottom = 40, height - 24
    bars = []
    bar_w = max(2.0, (width - left - 10) / (span + 1) * 0.8)
    for day, n in counts.items():
        x = left + (day - start).days / span * (width - left - 10 - bar_w) if span else left
        h = (bottom - 10) * n / top
        bars.append(f'<rect x="{x:.1f}" y="{bottom - h:.1f}" width="{bar_w:.1f}" '
                    f'height="{h:.1f}" fill="#b22"><title>{day.date()}: {n}</title></rect>')
    return (f'<svg class="wb-timeline" xmlns="http://www.w3.org/2000/svg" width="{width}" '
            f'height="{height}" role="img" aria-label="items per day">'
            f'<line x1="{left}" y1="{bottom}" x2="{width - 5}" y2="{bottom}" stroke="#333"/>'
            f'{"".join(bars)}'
            f'<text x="{left}" y="{height - 6}" font-size="11">{start.date()}</text>'
            f'<text x="{width - 5}" y="{height - 6}" font-size="11" text-anchor="end">'
            f"{end.date()}</text>"
            f'<text x="4" y="14" font-size="11">max {top}/day</text></svg>')
