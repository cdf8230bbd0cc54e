"""Developer step: derive the offline basemap outline shipped in ``workbench/geo/data``.

Source: Natural Earth 1:110m admin-0 countries (public domain), as shipped in the
``pyogrio`` wheel's test fixtures (``naturalearth_lowres``, copied there from GeoPandas).
The outline is simplified and rounded to 0.01 degrees: a coarse backdrop under the
evidence layers, never a source of geographic truth. Run again only to regenerate::

    python scripts/build_world_outline.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "workbench" / "geo" / "data" / "world_110m.json"


def main() -> int:
    import geopandas as gpd
    import pyogrio
    from shapely import set_precision

    source = Path(pyogrio.__file__).parent / "tests" / "fixtures" / "naturalearth_lowres"
    frame = gpd.read_file(source / "naturalearth_lowres.shp")[["name", "iso_a3", "geometry"]]
    frame["geometry"] = frame.geometry.simplify(0.05, preserve_topology=True)
    frame["geometry"] = set_precision(frame.geometry.values, 0.01)
    collection = json.loads(frame.to_json(drop_id=True))
    collection["source"] = ("Natural Earth 1:110m admin-0 countries (public domain), via the "
                            f"pyogrio {pyogrio.__version__} wheel's naturalearth_lowres fixture; "
                            "simplified to 0.05 degrees")
    OUT.write_text(json.dumps(collection, separators=(",", ":")))
    print(f"{len(frame)} countries, {OUT.stat().st_size / 1e3:.0f} kB -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
