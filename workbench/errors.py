"""The workbench's exceptions: one base class, specific subclasses.

Messages say what was expected and what to do about it, because the reader is an
analyst at a notebook, not the author of the code.
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base of every error the workbench raises on purpose."""


class CaseError(WorkbenchError):
    """A case folder is missing, not a case, or from a newer schema."""


class EvidenceError(WorkbenchError):
    """A file could not be read as evidence (the ingest quarantines it)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class HashListError(WorkbenchError):
    """A known-hash list is not in a format the workbench can read."""


class ModelMissing(WorkbenchError):
    """A model file is absent or does not match its recorded checksum."""

    def __init__(self, what: str, fix: str = "workbench models install") -> None:
        super().__init__(f"{what}. Run `{fix}` to install or repair the model pack.")
        self.fix = fix


class ValidationError(WorkbenchError, ValueError):
    """A value passed between steps has the wrong shape, type or range."""
