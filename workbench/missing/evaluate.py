"""Moved to :mod:`workbench.eval.identification` (evaluation lives in ``workbench/eval/``).

Kept so that ``python -m workbench.missing.evaluate``, which the README's measured figures
name, still runs.
"""

from __future__ import annotations

from workbench.eval.identification import main

if __name__ == "__main__":
    raise SystemExit(main())
