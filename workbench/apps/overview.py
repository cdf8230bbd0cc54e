"""The supervisor's case overview: counts, hits by criterion, review status, map, timeline.

Read-only: it shows what analysts did and offers no decision buttons. Built from the SQL
aggregates in :mod:`workbench.apps.overview_data` and the offline map of
:mod:`workbench.geo.maps`; used by ``dashboards/case_overview.ipynb`` under Voila.

Example:
    >>> from workbench.apps.overview import case_overview
    >>> case_overview("/cases/op-lantern")          # doctest: +SKIP
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.apps import overview_data as data
from workbench.errors import CaseError

CASE_ENV = "WORKBENCH_CASE"
PLOTLY_MIME = "application/vnd.plotly.v1+json"
DISCLAIMER = (
    "Scores are leads for a trained person, never verdicts. Age and emotion estimates are "
    "unreliable on children and across demographics. Thumbnails are blurred."
)
_STYLE = """<style>
.wb-table { border-collapse: collapse; font-size: 13px; margin: 4px 28px 12px 0; }
.wb-table th, .wb-table td { border-bottom: 1px solid #ddd; padding: 3px 10px; text-align: left; }
.wb-table td.num, .wb-table th.num { text-align: right; font-variant-numeric: tabular-nums; }
.wb-note { color: #6b5200; background: #fff6d6; padding: 6px 10px; border-radius: 4px; }
.wb-h { font-size: 15px; font-weight: 600; margin: 10px 0 2px; }
</style>"""


def html_table(frame: pd.DataFrame, table_id: str) -> str:
    """A small escaped HTML table; numbers right-aligned, ``data-testid`` for tests."""
    head = "".join(
        f'<th class="{"num" if pd.api.types.is_numeric_dtype(frame[c]) else ""}">'
        f"{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, record, strict=True):
            numeric = pd.api.types.is_numeric_dtype(frame[column])
            text = "" if value is None or (isinstance(value, float) and value != value) \
                else str(value)
            cells.append(f'<td class="{"num" if numeric else ""}">{html.escape(text)}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    if not rows:
        rows.append(f'<tr><td colspan="{len(frame.columns)}">none</td></tr>')
    return (f'<table class="wb-table" data-testid="{table_id}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def counts_table(counts: Mapping[str, Any]) -> str:
    frame = pd.DataFrame({"": [k for k in counts if k != "case"],
                          "count": [counts[k] for k in counts if k != "case"]})
    return html_table(frame, "counts")


def timeline_spec(frame: pd.DataFrame) -> dict[str, Any]:
    """Plotly JSON for the timeline: items per capture day (bars), flagged items (line).

    Plain JSON rather than ``plotly.graph_objects``: building a validated figure costs
    about a second per dashboard open, and the browser needs only this.
    """
    days = [d.strftime("%Y-%m-%d") for d in frame["day"]]
    return {
        "data": [
            {"type": "bar", "x": days, "y": frame["items"].astype(int).tolist(),
             "name": "items", "marker": {"color": "#9bb7d4"}},
            {"type": "scatter", "mode": "lines+markers", "x": days,
             "y": frame["flagged"].astype(int).tolist(), "name": "flagged items",
             "line": {"color": "#b2182b"}},
        ],
        "layout": {
            "height": 280, "margin": {"l": 40, "r": 10, "t": 30, "b": 30},
            "title": {"text": "Capture timeline"}, "legend": {"orientation": "h"},
            "paper_bgcolor": "white", "plot_bgcolor": "white",
            "xaxis": {"gridcolor": "#eee"}, "yaxis": {"gridcolor": "#eee", "rangemode": "tozero"},
        },
    }


def timeline_figure(frame: pd.DataFrame) -> Any:
    """The timeline as a ``plotly.graph_objects.Figure`` (for analyst notebooks)."""
    import plotly.graph_objects as go

    return go.Figure(timeline_spec(frame))


def open_case_readonly(path: str | os.PathLike[str]) -> Any:
    """Open a case for the dashboard; a clear error if the path is not a case."""
    from workbench.store import Case

    if not str(path):
        raise CaseError(f"no case given: set {CASE_ENV}=/path/to/case before starting Voila, "
                        "or run `workbench dashboard CASE_DIR`")
    return Case.open(Path(path))


@dataclass
class OverviewParts:
    """The overview's pieces, so a dashboard can show each as soon as it is ready.

    Attributes:
        summary: header, disclaimer and the three tables (an ipywidgets ``VBox``).
        map: the map title and the offline map (a ``VBox``).
        timeline: plotly JSON of the capture timeline, or None without capture times.
    """

    summary: Any
    map: Any
    timeline: dict[str, Any] | None


def overview_parts(
    case: Any,
    schools: Iterable[Mapping[str, Any]] | pd.DataFrame | None = None,
    last_seen: Iterable[Mapping[str, Any]] | pd.DataFrame | None = None,
    thumbnails: int = 30,
    map_height: str = "480px",
) -> OverviewParts:
    """Build the overview's pieces; arguments as :func:`case_overview`."""
    import ipywidgets as widgets

    from workbench.geo.maps import build_map, case_layers, map_iframe

    if isinstance(case, (str, os.PathLike)):
        case = open_case_readonly(case)
    counts = data.case_counts(case)
    header = widgets.HTML(
        f"{_STYLE}<h2 style='margin:4px 0'>Case overview: {html.escape(str(counts['case']))}"
        f"</h2><div class='wb-note'>{html.escape(DISCLAIMER)}</div>")
    tables = widgets.HBox([
        widgets.HTML(f"<div class='wb-h'>Counts</div>{counts_table(counts)}"),
        widgets.HTML("<div class='wb-h'>Hits by criterion</div>"
                     + html_table(data.hits_by_criterion(case), "hits-by-criterion")),
        widgets.HTML("<div class='wb-h'>Review status (flagged items)</div>"
                     + html_table(data.review_status(case), "review-status")),
    ], layout=widgets.Layout(flex_flow="row wrap", justify_content="flex-start"))
    if schools is None and last_seen is None:
        schools, last_seen = data.hit_places(case)
    layers = case_layers(case, schools=schools, last_seen=last_seen, thumbnails=thumbnails)
    shown = layers.counts()
    map_box = widgets.VBox([
        widgets.HTML(f"{_STYLE}<div class='wb-h'>Map ({shown['evidence']} geotagged items, "
                     f"{shown['hits']} flagged)</div>"),
        widgets.HTML(map_iframe(build_map(layers), height=map_height),
                     layout=widgets.Layout(width="100%")),
    ], layout=widgets.Layout(width="100%"))
    frame = data.timeline(case)
    return OverviewParts(
        summary=widgets.VBox([header, tables], layout=widgets.Layout(width="100%")),
        map=map_box,
        timeline=timeline_spec(frame) if len(frame) else None,
    )


def case_overview(
    case: Any,
    schools: Iterable[Mapping[str, Any]] | pd.DataFrame | None = None,
    last_seen: Iterable[Mapping[str, Any]] | pd.DataFrame | None = None,
    thumbnails: int = 30,
    map_height: str = "480px",
) -> Any:
    """The case overview as one ipywidgets layout (a ``VBox``), for notebooks.

    Args:
        case: an open Case, or a path to one.
        schools: candidate schools to show on the map (plain records).
        last_seen: missing persons' last-seen places (plain records).
        thumbnails: popups with a (blurred) thumbnail, highest scores first.
        map_height: CSS height of the map.
    """
    import ipywidgets as widgets
    from IPython.display import display

    parts = overview_parts(case, schools, last_seen, thumbnails, map_height)
    timeline_out = widgets.Output(layout=widgets.Layout(width="100%"))
    with timeline_out:
        _display_timeline(parts.timeline, display)
    return widgets.VBox([parts.summary, parts.map, timeline_out],
                        layout=widgets.Layout(width="100%"))


def show_case_overview(case: Any, **kwargs: Any) -> OverviewParts:
    """Display the overview as three outputs: tables, map, then the timeline.

    What the Voila dashboard uses: separate outputs let the page draw the tables and the
    map while the plotly extension (several MB of JavaScript) is still loading. Keyword
    arguments as :func:`case_overview`.
    """
    import ipywidgets as widgets
    from IPython.display import display

    parts = overview_parts(case, **kwargs)
    display(parts.summary)
    display(parts.map)
    # Inside an Output widget: Voila 0.5 renders a bare plotly output of a cell with a
    # broken renderer ("setData is not a function"); through the widget it draws.
    timeline_out = widgets.Output(layout=widgets.Layout(width="100%"))
    with timeline_out:
        _display_timeline(parts.timeline, display)
    display(timeline_out)
    return parts


def _display_timeline(spec: dict[str, Any] | None, display: Any) -> None:
    if spec is None:
        display({"text/html": "<i>no capture times in this case</i>"}, raw=True)
        return
    # The plotly mimetype goes to JupyterLab's plotly extension, which carries plotly.js
    # itself: no CDN, no 4 MB script per output. Raw JSON because fig.show() imports
    # nbformat's validator (seconds of start-up) and graph_objects validation costs ~1 s.
    display({PLOTLY_MIME: spec, "text/plain": "capture timeline"}, raw=True)


def case_overview_from_env() -> Any:
    """The overview for the case named by ``WORKBENCH_CASE`` (what the notebook calls)."""
    return case_overview(os.environ.get(CASE_ENV, ""))
