"""The school registry: schools with a location, a phase and a uniform description.

Registry CSV columns (UTF-8, header row, one school a row):

=================  ===========================================================
``id``             unique id (the sample uses the NCES id)
``name``           school name
``address``        street address, city, state and ZIP in one field
``lat``, ``lon``   WGS84 decimal degrees
``phase``          ``ELEMENTARY``, ``MIDDLE``, ``HIGH``, ``OTHER``...
``shirt``,         one column per item: ``colour[+colour...][/pattern][?]`` - colours
``tie``,           from :data:`workbench.uniforms.palette.COLOUR_NAMES`, pattern one of
``jumper``,        ``plain`` (default), ``striped``, ``checked``, ``other``; a trailing
``blazer``,        ``?`` marks the item optional (pupils may leave it off); empty means
``lower``          the item is not part of the uniform. Example: ``navy+gold/striped``.
``uniform_source`` where the description comes from (``invented-for-demo`` in the sample)
=================  ===========================================================
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.errors import WorkbenchError
from workbench.uniforms.palette import COLOUR_NAMES
from workbench.uniforms.pattern import PATTERNS
from workbench.uniforms.regions import ITEMS

REGISTRY_COLUMNS = ("id", "name", "address", "lat", "lon", "phase", *ITEMS, "uniform_source")
SAMPLE_REGISTRY = Path(__file__).resolve().parents[2] / "sample_data" / "schools" / \
    "schools_FL_invented_uniforms.csv"


class SchoolRegistryError(WorkbenchError):
    """A school registry file is missing or malformed."""


@dataclass(frozen=True)
class School:
    """One school and its uniform (``{item: {"colours", "pattern", "optional"}}``)."""

    id: str
    name: str
    address: str
    lat: float
    lon: float
    phase: str
    uniform: dict[str, dict[str, Any]] = field(default_factory=dict)
    uniform_source: str = ""

    def describe(self, item: str) -> str:
        """Human text for one item, e.g. ``navy+gold striped (optional)``."""
        spec = self.uniform.get(item)
        if not spec:
            return "not part of the uniform"
        text = "+".join(spec["colours"]) + ("" if spec["pattern"] == "plain"
                                            else f" {spec['pattern']}")
        return text + (" (optional)" if spec.get("optional") else "")


def format_item(spec: dict[str, Any] | None) -> str:
    """The CSV cell for one item spec (inverse of :func:`parse_item`)."""
    if not spec:
        return ""
    cell = "+".join(spec["colours"])
    if spec.get("pattern", "plain") != "plain":
        cell += "/" + spec["pattern"]
    return cell + ("?" if spec.get("optional") else "")


def parse_item(cell: str, where: str = "") -> dict[str, Any] | None:
    """Parse ``navy+gold/striped?`` into an item spec; empty gives None."""
    cell = (cell or "").strip()
    if not cell:
        return None
    optional = cell.endswith("?")
    cell = cell.rstrip("?")
    colours_part, _, pattern = cell.partition("/")
    pattern = pattern.strip() or "plain"
    colours = [c.strip().lower() for c in colours_part.split("+") if c.strip()]
    bad = [c for c in colours if c not in COLOUR_NAMES]
    if bad or pattern not in PATTERNS or not colours:
        raise SchoolRegistryError(
            f"{where}: cannot read uniform item {cell!r}: colours must be among "
            f"{', '.join(COLOUR_NAMES)} and the pattern one of {', '.join(PATTERNS)}")
    return {"colours": colours, "pattern": pattern, "optional": optional}


def load_registry(path: str | Path | None = None) -> list[School]:
    """Read a registry CSV (default: the sample Florida registry with invented uniforms)."""
    path = Path(path) if path else SAMPLE_REGISTRY
    if not path.is_file():
        raise SchoolRegistryError(f"school registry {path} not found; pass --registry CSV "
                            f"with columns {', '.join(REGISTRY_COLUMNS)}")
    schools = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"id", "name", "lat", "lon"} - set(reader.fieldnames or ())
        if missing:
            raise SchoolRegistryError(f"{path} lacks columns {sorted(missing)}; expected "
                                f"{', '.join(REGISTRY_COLUMNS)}")
        for n, row in enumerate(reader, start=2):
            where = f"{path.name} line {n}"
            try:
                lat, lon = float(row["lat"]), float(row["lon"])
            except (TypeError, ValueError) as err:
                raise SchoolRegistryError(f"{where}: lat/lon must be numbers") from err
            uniform = {}
            for item in ITEMS:
                spec = parse_item(row.get(item, ""), f"{where} column {item}")
                if spec:
                    uniform[item] = spec
            schools.append(School(id=row["id"], name=row["name"], address=row.get("address", ""),
                                  lat=lat, lon=lon, phase=row.get("phase", ""), uniform=uniform,
                                  uniform_source=row.get("uniform_source", "")))
    return schools


def build_sample_registry(hifld_csv: str | Path, out_csv: str | Path) -> int:
    """Build the demo registry from the HIFLD Florida schools, with INVENTED uniforms.

    Deterministic: each school's uniform is drawn from a generator seeded by its NCES id.
    Returns the number of schools written.
    """
    from workbench.schools.invent import invent_uniform, school_rng

    rows = []
    with Path(hifld_csv).open(newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            sid = row["NCESID"].strip()
            phase = (row.get("LEVEL_") or "").strip().upper() or "OTHER"
            uniform = invent_uniform(school_rng(sid), phase)
            address = ", ".join(p for p in (row.get("ADDRESS", "").strip(),
                                            row.get("CITY", "").strip(),
                                            f"{row.get('STATE', '').strip()} "
                                            f"{row.get('ZIP', '').strip()}".strip()) if p)
            rows.append({"id": sid, "name": row["NAME"].strip(), "address": address,
                         "lat": f"{float(row['LATITUDE']):.6f}",
                         "lon": f"{float(row['LONGITUDE']):.6f}", "phase": phase,
                         **{item: format_item(uniform.get(item)) for item in ITEMS},
                         "uniform_source": "invented-for-demo"})
    rows.sort(key=lambda r: r["id"])
    out = Path(out_csv)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(REGISTRY_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)
