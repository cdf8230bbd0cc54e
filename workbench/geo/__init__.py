"""Maps of a case: offline folium maps, basemaps, GeoJSON/KML export.

Domain code: no ipywidgets here. Submodules import folium lazily.
"""
