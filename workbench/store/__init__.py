"""The case store: one SQLite database (WAL) plus a ``derived/`` folder per case."""

from workbench.store.case import Case, current_user

__all__ = ["Case", "current_user"]
