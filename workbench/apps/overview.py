"""The supervisor's case overview: counts, hits by criterion, review status, map, timeline.

Read-only: it shows what analysts did and offers no decision buttons. Built from the SQL
aggregates in :mod:`workbench.apps.overview_data` and the offline map of
:mod:`workbench.geo.maps`; used by the dashboard notebook under Voila
(``workbench/apps/dashboards/case_overview.ipynb``, package data).

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

from workbench import settings
from workbench.apps import overview_data as data
from workbench.errors import CaseError
from workbench.streams.sources import live_sources

PLOTLY_MIME = "application/vnd.plotly.v1+json"
# Output metadata key: the workbench Voila template writes such HTML outputs into the page.
STATIC_FLAG = "workbench_static"
# Set to "True" by Voila in the kernels of its pre-heated pool.
VOILA_PREHEAT_ENV = "VOILA_PREHEAT"
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
.wb-tables { display: flex; flex-flow: row wrap; justify-content: flex-start; }
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
        raise CaseError(f"no case given: set {settings.CASE}=/path/to/case before starting Voila, "
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


def summary_html(case: Any) -> str:
    """Header, disclaimer and the three tables (counts, hits by criterion, review status)."""
    counts = data.case_counts(case)
    tables = "".join(
        f"<div><div class='wb-h'>{title}</div>{table}</div>" for title, table in (
            ("Counts", counts_table(counts)),
            ("Hits by criterion", html_table(data.hits_by_criterion(case), "hits-by-criterion")),
            ("Live sources", html_table(live_sources(case), "live-sources")),
            ("Review status (flagged items)",
             html_table(data.review_status(case), "review-status"))))
    return (f"{_STYLE}<h2 style='margin:4px 0'>Case overview: "
            f"{html.escape(str(counts['case']))}</h2>"
            f"<div class='wb-note'>{html.escape(DISCLAIMER)}</div>"
            f"<div class='wb-tables'>{tables}</div>{minors_html(case)}")


def minors_html(case: Any) -> str:
    """Faces flagged as likely minors, as age ranges, with how far the flag can be trusted."""
    from workbench.faces.age_model import operating_point

    point = operating_point()
    counts, top = data.likely_minors(case, point.threshold)
    frame = pd.DataFrame({"": list(counts), "faces": list(counts.values())})
    return (f"<div class='wb-h'>Likely under 18</div>"
            f"<div class='wb-note' data-testid='minor-reliability'>How far to trust this flag: "
            f"{html.escape(point.describe())} {html.escape(point.caveat())} "
            f"Ages are shown as 95% ranges; a person decides."
            f"</div><div class='wb-tables'>{html_table(frame, 'minor-counts')}"
            f"{html_table(top, 'minor-faces')}</div>")


def map_section_html(
    case: Any,
    schools: Iterable[Mapping[str, Any]] | pd.DataFrame | None = None,
    last_seen: Iterable[Mapping[str, Any]] | pd.DataFrame | None = None,
    thumbnails: int = 30,
    map_height: str = "480px",
) -> str:
    """The map's title and the offline map in an iframe; arguments as :func:`case_overview`."""
    from workbench.geo.maps import build_map, case_layers, map_iframe

    if schools is None and last_seen is None:
        schools, last_seen = data.hit_places(case)
    layers = case_layers(case, schools=schools, last_seen=last_seen, thumbnails=thumbnails)
    shown = layers.counts()
    return (f"{_STYLE}<div class='wb-h'>Map ({shown['evidence']} geotagged items, "
            f"{shown['hits']} flagged)</div>" + map_iframe(build_map(layers), height=map_height))


def overview_parts(
    case: Any,
    schools: Iterable[Mapping[str, Any]] | pd.DataFrame | None = None,
    last_seen: Iterable[Mapping[str, Any]] | pd.DataFrame | None = None,
    thumbnails: int = 30,
    map_height: str = "480px",
) -> OverviewParts:
    """Build the overview's pieces as widgets; arguments as :func:`case_overview`."""
    import ipywidgets as widgets

    if isinstance(case, (str, os.PathLike)):
        case = open_case_readonly(case)
    full = widgets.Layout(width="100%")
    frame = data.timeline(case)
    return OverviewParts(
        summary=widgets.VBox([widgets.HTML(summary_html(case), layout=full)], layout=full),
        map=widgets.VBox([widgets.HTML(
            map_section_html(case, schools, last_seen, thumbnails, map_height), layout=full)],
            layout=full),
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


def warm_up() -> None:
    """Import and prime what a dashboard visit uses, before any case is read.

    With pre-heated kernels (the default of ``workbench dashboard``), :func:`wait_for_visit`
    runs this before it waits, so imports, template compilation and reading the vendored
    Leaflet files happen while nobody waits.
    """
    import workbench.media  # noqa: F401 - thumbnails of the top-scoring items
    import workbench.store  # noqa: F401
    from workbench.geo.layers import MapLayers
    from workbench.geo.maps import build_map, map_iframe

    map_iframe(build_map(MapLayers()))  # an empty map: folium, templates, inlined assets
    timeline_svg(pd.DataFrame({"day": pd.to_datetime(["2024-01-01"]), "items": [1],
                               "flagged": [0]}))


def wait_for_visit() -> None:
    """In a pre-heated Voila kernel, block until a person opens the page; else return.

    Before waiting it runs :func:`warm_up`, so the visit finds imports and templates ready.
    Everything the notebook runs after this reads the case at the moment of the visit, so
    a pre-heated dashboard never shows numbers from when the server started. In a kernel
    started for a visit (``--no-preheat``) it returns at once: warming up there would only
    delay the tables. Voila's helper is imported only when pre-heated (it costs seconds).
    """
    if os.environ.get(VOILA_PREHEAT_ENV) != "True":
        return
    from voila.utils import wait_for_request

    warm_up()

    ready = settings.read(settings.DASHBOARD_READY)
    if ready:
        # Tells `workbench dashboard` that a visit will now be fast (it prints the URL).
        Path(ready).touch()
    wait_for_request()


def show_static(fragment: str) -> None:
    """Display an HTML fragment that the workbench Voila template writes into the page.

    The metadata flag asks the template to put the HTML in the page as the server streams
    it, so the browser draws it without waiting for Voila's JavaScript, the kernel's
    websocket or any widget state.
    """
    from IPython.display import display

    display({"text/html": fragment}, raw=True, metadata={STATIC_FLAG: True})


def show_summary(case: Any) -> None:
    """Dashboard cell: header, disclaimer and tables (a case object or path)."""
    if isinstance(case, (str, os.PathLike)):
        case = open_case_readonly(case)
    show_static(summary_html(case))


def show_map(case: Any, **kwargs: Any) -> None:
    """Dashboard cell: the offline map; keyword arguments as :func:`map_section_html`."""
    if isinstance(case, (str, os.PathLike)):
        case = open_case_readonly(case)
    show_static(map_section_html(case, **kwargs))


def show_timeline(case: Any) -> None:
    """Dashboard cell: items and flagged items per capture day, as inline SVG."""
    if isinstance(case, (str, os.PathLike)):
        case = open_case_readonly(case)
    show_static(timeline_svg(data.timeline(case)))


def show_case_overview(case: Any, **kwargs: Any) -> None:
    """Display the whole overview as static HTML: tables, map, timeline.

    What the Voila dashboard shows, in one call (the dashboard notebook calls the three
    parts from separate cells so that Voila streams the tables before the map is built).
    No widgets: the dashboard is read-only, and widget state would make the page wait for
    the kernel's websocket before drawing anything. Keyword arguments go to
    :func:`map_section_html`.
    """
    if isinstance(case, (str, os.PathLike)):
        case = open_case_readonly(case)
    show_summary(case)
    show_map(case, **kwargs)
    show_timeline(case)


def timeline_svg(frame: pd.DataFrame, width: int = 900, height: int = 200) -> str:
    """The capture timeline as inline SVG: bars of items per day, a line of flagged items.

    Drawn on the server, so it needs no plotting library in the browser (plotly.js is
    several MB of JavaScript to fetch and parse on each dashboard open). Each day has a
    tooltip with its numbers.
    """
    if not len(frame):
        return "<div class='wb-h'>Capture timeline</div><i>no capture times in this case</i>"
    days = [d.strftime("%Y-%m-%d") for d in frame["day"]]
    items = frame["items"].astype(int).tolist()
    flagged = frame["flagged"].astype(int).tolist()
    top = max(max(items), 1)
    left, bottom, plot_h = 44, 22, height - 34
    step = (width - left - 8) / len(days)
    bar_w = max(step * 0.8, 1.0)

    def y(value: int) -> float:
        return round(height - bottom - plot_h * value / top, 1)

    parts = []
    for i, (day, n, f) in enumerate(zip(days, items, flagged, strict=True)):
        x = round(left + i * step + (step - bar_w) / 2, 1)
        parts.append(f'<rect class="wb-bar" x="{x}" y="{y(n)}" width="{round(bar_w, 1)}" '
                     f'height="{round(height - bottom - y(n), 1)}" fill="#9bb7d4">'
                     f"<title>{day}: {n} items, {f} flagged</title></rect>")
    line = " ".join(f"{round(left + (i + 0.5) * step, 1)},{y(f)}" for i, f in enumerate(flagged))
    parts.append(f'<polyline points="{line}" fill="none" stroke="#b2182b" stroke-width="2"/>')
    ticks = {0: "start", len(days) // 2: "middle", len(days) - 1: "end"}
    for i, anchor in sorted(ticks.items()):
        x = left if anchor == "start" else (width - 8 if anchor == "end"
                                            else round(left + (i + 0.5) * step, 1))
        parts.append(f'<text x="{x}" y="{height - 6}" font-size="11" '
                     f'text-anchor="{anchor}">{days[i]}</text>')
    axis = height - bottom
    parts.append(f'<line x1="{left}" y1="{axis}" x2="{width - 8}" y2="{axis}" stroke="#999"/>')
    parts.append(f'<text x="{left - 4}" y="{y(top) + 4}" font-size="11" '
                 f'text-anchor="end">{top}</text>'
                 f'<text x="{left - 4}" y="{axis}" font-size="11" text-anchor="end">0</text>')
    legend = ("<span style='color:#6d8fb5'>&#9632; items per capture day</span> &nbsp; "
              "<span style='color:#b2182b'>&#9472; flagged items</span>")
    return (f"<div class='wb-h'>Capture timeline</div><div style='font-size:12px'>{legend}"
            f'</div><svg class="wb-timeline" data-testid="timeline" viewBox="0 0 {width} '
            f'{height}" width="100%" style="max-width:{width}px" role="img" '
            f'aria-label="capture timeline">{"".join(parts)}</svg>')


def _display_timeline(spec: dict[str, Any] | None, display: Any) -> None:
    if spec is None:
        display({"text/html": "<i>no capture times in this case</i>"}, raw=True)
        return
    # The plotly mimetype goes to JupyterLab's plotly extension, which carries plotly.js
    # itself: no CDN, no 4 MB script per output. Raw JSON because fig.show() imports
    # nbformat's validator (seconds of start-up) and graph_objects validation costs ~1 s.
    display({PLOTLY_MIME: spec, "text/plain": "capture timeline"}, raw=True)
