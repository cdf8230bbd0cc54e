"""Open the missing-person registry a location names: a folder (SQLite) or PostgreSQL.

Apart from both stores so that neither imports the other: :mod:`workbench.missing.store`
holds the shared interface and the SQLite one, :mod:`workbench.missing.pgstore` the
PostgreSQL one (loaded only when a ``postgresql://`` URL is given).
"""

from __future__ import annotations

import os
from pathlib import Path

from workbench import settings
from workbench.missing.index import IndexSettings
from workbench.missing.store import Registry, SQLiteRegistry

DEFAULT_DIR = Path("~/.workbench/registry")


def default_location() -> str:
    """``$WORKBENCH_REGISTRY`` or ``~/.workbench/registry``."""
    return settings.read(settings.REGISTRY) or str(DEFAULT_DIR.expanduser())


def open_registry(location: str | os.PathLike[str] | None = None,
                  index_settings: IndexSettings | None = None) -> Registry:
    """Open (creating if needed) the registry at ``location``.

    Example:
        >>> reg = open_registry("/tmp/demo-registry")           # doctest: +SKIP
        >>> reg.count()                                         # doctest: +SKIP
        0
    """
    where = str(location) if location is not None else default_location()
    if where.startswith(("postgresql://", "postgres://")):
        from workbench.missing.pgstore import PgRegistry

        return PgRegistry(where)
    return SQLiteRegistry(Path(where).expanduser(), index_settings)
