"""Reviewer wellness: thumbnails blurred and greyscale by default, reveal counted and audited.

As in Thorn's Safer, a reviewer sees a softened thumbnail first and asks to see the real
one. Each reveal is an explicit call: it is counted for the session (so a supervisor can
see exposure) and written to the case's audit log. The thumbnails themselves come from
:mod:`workbench.media`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from workbench.media import THUMB_SIZE, thumbnail
from workbench.store import Case, current_user

__all__ = ["ReviewSession", "reveal_item"]

class ReviewSession:
    """One reviewer's sitting: safe thumbnails by default, reveals counted and audited.

    Example:
        >>> session = ReviewSession(case)                       # doctest: +SKIP
        >>> safe = session.thumbnail(item.evidence_id)           # doctest: +SKIP
        >>> real = session.reveal(item.item, item.evidence_id)   # doctest: +SKIP
        >>> session.revealed                                     # doctest: +SKIP
        1
    """

    def __init__(self, case: Case, who: str | None = None, size: int = THUMB_SIZE) -> None:
        self.case = case
        self.who = who or current_user()
        self.size = size
        self.id = uuid.uuid4().hex[:12]
        self.revealed_items: list[str] = []

    @property
    def revealed(self) -> int:
        """How many items were revealed in this session (each counted once)."""
        return len(dict.fromkeys(self.revealed_items))

    def thumbnail(self, evidence_id: str, box: Sequence[float] | None = None) -> bytes:
        """The blurred greyscale thumbnail of an evidence image (not counted)."""
        return thumbnail(self._path(evidence_id), self.size, blur=True, grey=True, box=box)

    def reveal(self, item: str, evidence_id: str, box: Sequence[float] | None = None) -> bytes:
        """The clear colour thumbnail; counted for the session and written to the audit log."""
        data = thumbnail(self._path(evidence_id), self.size, blur=False, grey=False, box=box)
        self.revealed_items.append(item)
        self.case.audit("review.reveal", target=item, who=self.who, detail={
            "evidence_id": evidence_id, "session": self.id, "session_revealed": self.revealed,
        })
        return data

    def _path(self, evidence_id: str) -> Any:
        return self.case.pixels_path(self.case.get_evidence(evidence_id))


def reveal_item(case: Case, item: str, evidence_id: str,
                box: Sequence[float] | None = None) -> bytes:
    """The clear thumbnail of one review item, counted and audited (a one-reveal session)."""
    return ReviewSession(case).reveal(item, evidence_id, box=box)
