"""Case reports: what a notebook shows, exported for the case file.

* :mod:`workbench.reports.views` - read-only tables the widgets and notebooks display.
* thumbnails come from :mod:`workbench.media` (blurred, greyscale, revealed on request).
* :mod:`workbench.reports.manifest` - evidence markers and the evidence manifest.
* :mod:`workbench.reports.export` - ``workbench report``: HTML and PDF without code cells.

Nothing here imports ipywidgets; importing the package loads nothing heavy.
"""

from __future__ import annotations
