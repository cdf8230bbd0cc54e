"""Small helpers the CLI modules share for printing results."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from typing import Any


def print_json_lines(rows: Iterable[Mapping[str, Any]]) -> None:
    """One JSON object a line on stdout (what ``--json`` options produce)."""
    out = sys.stdout
    for row in rows:
        out.write(json.dumps(row, default=str, ensure_ascii=False))
        out.write("\n")


def print_table(rows: list[Mapping[str, Any]], columns: list[str]) -> None:
    """A plain aligned text table for people reading a terminal."""
    if not rows:
        print("(none)")
        return
    cells = [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for r in cells:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))
