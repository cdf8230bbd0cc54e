"""Leaflet layers for case maps, lighter than ``folium.plugins``.

Importing ``folium.plugins`` compiles the templates of every plugin (about a second on a
busy machine), which a dashboard pays on each open. These two layers need only Leaflet,
leaflet.markercluster and leaflet.heat, referenced by the same CDN URLs folium uses so
that :func:`workbench.geo.assets.inline_assets` swaps in the vendored files.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

MARKERCLUSTER_JS = [(
    "markerclusterjs",
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/leaflet.markercluster.js",
)]
MARKERCLUSTER_CSS = [
    ("markerclustercss",
     "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.css"),
    ("markerclusterdefaultcss",
     "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/"
     "MarkerCluster.Default.css"),
]
HEAT_JS = [(
    "leaflet-heat.js",
    "https://cdn.jsdelivr.net/gh/python-visualization/folium@main/folium/templates/"
    "leaflet_heat.min.js",
)]

# Index of the hit count in a point row (see POINT_JS and maps.evidence_rows).
ROW_HITS = 9

# One popup builder shared by every point layer. Rows are compact arrays so that large
# cases stay small; popups are built lazily, only when a person opens one.
POINT_JS = r"""
function wbEsc(s) {
  return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
    return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
  });
}
function wbColor(score, fallback) {
  if (score === null || score === undefined) { return fallback; }
  return score >= 0.8 ? "#b2182b" : (score >= 0.5 ? "#ef8a62" : "#f4c542");
}
/* row: [lat, lon, title, score, time, id, detail, thumb, link, hits] */
function wbPoint(row, style) {
  var marker = L.circleMarker([row[0], row[1]], {
    radius: style.radius, color: "#333", weight: 1, fillOpacity: 0.85,
    fillColor: style.byScore ? wbColor(row[3], style.color) : style.color,
    className: style.className, pane: style.pane || "overlayPane"
  });
  marker.bindPopup(function () {
    var parts = ['<div class="wb-pop"><b>' + wbEsc(row[2]) + '</b>'];
    if (row[3] !== null) { parts.push('score ' + Number(row[3]).toFixed(2) +
      ' <span class="wb-warn">(a lead, not a verdict)</span>'); }
    if (row[4]) { parts.push(wbEsc(row[4])); }
    if (row[6]) { parts.push(wbEsc(row[6])); }
    if (row[7]) { parts.push('<img src="' + row[7] + '" width="128" alt="' +
      (style.reveal ? 'thumbnail' : 'blurred thumbnail') + '">'); }
    if (row[5]) {
      var id = '<code title="' + wbEsc(row[5]) + '">' + wbEsc(row[5]) + '</code>';
      parts.push(row[8] ? '<a href="' + wbEsc(row[8]) + '" target="_top">' + id + '</a>' : id);
    }
    return parts.join('<br>') + '</div>';
  }, {maxWidth: 260});
  return marker;
}
"""


def safe_json(value: Any) -> str:
    """JSON that cannot end a ``<script>`` nor read as Jinja syntax.

    branca re-parses every rendered script as a Jinja template, so a school name or a
    registry field containing ``{{ ... }}`` would be executed as template code. Braces and
    angle brackets inside strings become ``\\u`` escapes, which JavaScript reads back
    unchanged. Only for values whose braces are all inside strings (arrays of scalars).
    """
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for char, escape in (("{", "\\u007b"), ("}", "\\u007d"), ("<", "\\u003c"),
                         (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return text


@lru_cache(maxsize=1)
def _base_class() -> type:
    from branca.element import CssLink, Element, JavascriptLink
    from folium.elements import ElementAddToElement, JSCSSMixin
    from folium.map import Layer

    class _RawScript(Element):
        """Already-rendered JavaScript, emitted as is (never re-parsed as a template)."""

        def __init__(self, code: str) -> None:
            super().__init__()
            self.code = code

        def render(self, **kwargs: Any) -> str:
            return self.code

    class SafeLayer(JSCSSMixin, Layer):
        """A layer whose script is rendered once, not re-parsed by branca as Jinja.

        Besides closing the template-injection hole, skipping the second parse saves
        about 0.3 s per 10,000 points.
        """

        def render(self, **kwargs: Any) -> None:
            figure = self.get_root()
            if self.show:
                self.add_child(ElementAddToElement(
                    element_name=self.get_name(),
                    element_parent_name=self._parent.get_name()),
                    name=self.get_name() + "_add")
            for name, url in self.default_js:
                figure.header.add_child(JavascriptLink(url), name=name)
            for name, url in self.default_css:
                figure.header.add_child(CssLink(url), name=name)
            script = self._template.module.__dict__["script"]
            figure.script.add_child(_RawScript(str(script(self, kwargs))), name=self.get_name())
            for child in self._children.values():
                child.render(**kwargs)

    return SafeLayer


@lru_cache(maxsize=1)
def point_layer_class() -> type:
    """The ``PointLayer`` folium element class (built lazily: folium is imported here)."""
    from folium.template import Template

    class PointLayer(_base_class()):
        """Points from compact rows, clustered or not, with lazily built popups."""

        default_js = MARKERCLUSTER_JS
        default_css = MARKERCLUSTER_CSS
        _template = Template(
            """
            {% macro script(this, kwargs) %}
            var {{ this.get_name() }}_rows = {{ this.rows_js }};
            var {{ this.get_name() }} = (function (data) {
                {{ this.point_js }}
                var style = {{ this.style_json }};
                var map = {{ this._parent.get_name() }};
                if (style.pane && !map.getPane(style.pane)) {
                    // Above the marker pane, so cluster icons of other layers never hide
                    // a single flagged item or a place.
                    map.createPane(style.pane).style.zIndex = 650;
                }
                {%- if this.cluster %}
                var group = L.markerClusterGroup({
                    showCoverageOnHover: false,
                    // Default cluster icon, tagged with its layer so that people (and
                    // tests) can tell the clusters of different layers apart.
                    iconCreateFunction: function (cluster) {
                        var icon = L.MarkerClusterGroup.prototype
                            ._defaultIconCreateFunction(cluster);
                        icon.options.className += " " + style.clusterClass;
                        return icon;
                    }
                });
                {%- else %}
                var group = L.featureGroup();
                {%- endif %}
                function build() {
                    var markers = new Array(data.length);
                    for (var i = 0; i < data.length; i++) { markers[i] = wbPoint(data[i], style); }
                    {%- if this.cluster %}
                    group.addLayers(markers);
                    {%- else %}
                    for (var j = 0; j < markers.length; j++) { group.addLayer(markers[j]); }
                    {%- endif %}
                }
                {%- if this.show %}
                build();
                {%- else %}
                // Hidden on opening: its markers are made when a person switches it on, so
                // a big case does not pay for thousands of markers nobody sees yet.
                group.once("add", build);
                {%- endif %}
                return group;
            })({{ this.get_name() }}_rows);
            {% endmacro %}
            """
        )

        def __init__(self, rows: list[list[Any]], name: str, style: dict[str, Any],
                     cluster: bool, show: bool = True, source: Any = None) -> None:
            super().__init__(name=name, overlay=True, control=True, show=show)
            self._name = "PointLayer"
            if source is None:
                self.rows = rows
                self.rows_js = safe_json(rows)
            else:
                # The flagged subset of another layer's rows, filtered in the browser: the
                # page carries each item (and its thumbnail) once.
                self.rows = [row for row in source.rows if row[ROW_HITS] > 0]
                self.rows_js = (f"{source.get_name()}_rows.filter("
                                f"function (r) {{ return r[{ROW_HITS}] > 0; }})")
            self.style_json = json.dumps(style)  # our own settings, no user text
            self.cluster = cluster
            self.point_js = POINT_JS

    return PointLayer


@lru_cache(maxsize=1)
def heat_layer_class() -> type:
    """The ``HeatLayer`` folium element class: ``L.heatLayer`` over ``[lat, lon]`` rows."""
    from folium.template import Template

    class HeatLayer(_base_class()):
        """A heat map of points (leaflet.heat), as folium's HeatMap draws it."""

        default_js = HEAT_JS
        _template = Template(
            """
            {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.heatLayer({{ this.rows_js }},
                                                    {{ this.heat_options|tojson }});
            {% endmacro %}
            """
        )

        def __init__(self, rows: list[list[float]] | None, name: str, show: bool = False,
                     source: Any = None, **options: Any) -> None:
            super().__init__(name=name, overlay=True, control=True, show=show)
            self._name = "HeatLayer"
            if source is None:
                self.rows = rows or []
                self.rows_js = safe_json(self.rows)
            else:
                # Coordinates of a point layer's rows, taken in the browser (sent once).
                self.rows = [[row[0], row[1]] for row in source.rows]
                self.rows_js = (f"{source.get_name()}_rows.map("
                                "function (r) { return [r[0], r[1]]; })")
            self.heat_options = options

    return HeatLayer
