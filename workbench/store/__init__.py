"""The case store: one SQLite database (WAL), or a schema in PostgreSQL, plus a ``derived/``
folder per case."""

from workbench.store.case import Case, current_user, is_case

__all__ = ["Case", "current_user", "is_case"]
