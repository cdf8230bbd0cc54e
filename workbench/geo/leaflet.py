"""Leaflet layers for case maps, lighter than ``folium.plugins``.

Importing ``folium.plugins`` compiles the templates of every plugin (about a second on a
busy machine), which a dashboard pays on each open. These two layers need only Leaflet,
leaflet.markercluster and leaflet.heat, referenced by the same CDN URLs folium uses so
that :func:`workbench.geo.assets.inline_assets` swaps in the vendored files.
"""

from __future__ import annotations

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
/* row: [lat, lon, title, score, time, id, detail, thumb, link] */
function wbPoint(row, style) {
  var marker = L.circleMarker([row[0], row[1]], {
    radius: style.radius, color: "#333", weight: 1, fillOpacity: 0.85,
    fillColor: style.byScore ? wbColor(row[3], style.color) : style.color,
    className: style.className
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


@lru_cache(maxsize=1)
def point_layer_class() -> type:
    """The ``PointLayer`` folium element class (built lazily: folium is imported here)."""
    from folium.elements import JSCSSMixin
    from folium.map import Layer
    from folium.template import Template

    class PointLayer(JSCSSMixin, Layer):
        """Points from compact rows, clustered or not, with lazily built popups."""

        default_js = MARKERCLUSTER_JS
        default_css = MARKERCLUSTER_CSS
        _template = Template(
            """
            {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = (function () {
                {{ this.point_js }}
                var data = {{ this.rows|tojson }};
                var style = {{ this.style|tojson }};
                var markers = new Array(data.length);
                for (var i = 0; i < data.length; i++) { markers[i] = wbPoint(data[i], style); }
                {%- if this.cluster %}
                var group = L.markerClusterGroup({
                    chunkedLoading: true, showCoverageOnHover: false,
                    // Default cluster icon, tagged with its layer so that people (and
                    // tests) can tell the clusters of different layers apart.
                    iconCreateFunction: function (cluster) {
                        var icon = L.MarkerClusterGroup.prototype
                            ._defaultIconCreateFunction(cluster);
                        icon.options.className += " " + style.clusterClass;
                        return icon;
                    }
                });
                group.addLayers(markers);
                {%- else %}
                var group = L.featureGroup(markers);
                {%- endif %}
                return group;
            })();
            {% endmacro %}
            """
        )

        def __init__(self, rows: list[list[Any]], name: str, style: dict[str, Any],
                     cluster: bool, show: bool = True) -> None:
            super().__init__(name=name, overlay=True, control=True, show=show)
            self._name = "PointLayer"
            self.rows = rows
            self.style = style
            self.cluster = cluster
            self.point_js = POINT_JS

    return PointLayer


@lru_cache(maxsize=1)
def heat_layer_class() -> type:
    """The ``HeatLayer`` folium element class: ``L.heatLayer`` over ``[lat, lon]`` rows."""
    from folium.elements import JSCSSMixin
    from folium.map import Layer
    from folium.template import Template

    class HeatLayer(JSCSSMixin, Layer):
        """A heat map of points (leaflet.heat), as folium's HeatMap draws it."""

        default_js = HEAT_JS
        _template = Template(
            """
            {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.heatLayer({{ this.rows|tojson }},
                                                    {{ this.heat_options|tojson }});
            {% endmacro %}
            """
        )

        def __init__(self, rows: list[list[float]], name: str, show: bool = False,
                     **options: Any) -> None:
            super().__init__(name=name, overlay=True, control=True, show=show)
            self._name = "HeatLayer"
            self.rows = rows
            self.heat_options = options

    return HeatLayer
