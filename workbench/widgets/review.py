"""Review queue: one item at a time, blurred and grey until revealed; decide with a note."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import pandas as pd
import traitlets

from workbench.widgets.base import WorkbenchWidget, lazy, table_html

# Button verb -> the status the item then has (the review domain's vocabulary).
DECISIONS = {"confirm": "confirmed", "dismiss": "dismissed", "escalate": "escalated"}
# A queue row carrying these shows the item's review, passed to ``decide`` as ``shown``.
_REVIEW_FIELDS = {"status", "note", "decided_by", "decided_at", "outdated_decision",
                  "evidence_sha"}
_COLUMNS = {"item": "hit_id", "rule": "source"}


class ReviewQueue(WorkbenchWidget):
    """Step through the review queue and record a person's decisions.

    Thumbnails are blurred and greyscale by default. *Reveal* shows the item in colour for
    the current item only; every reveal is counted (``reveals``) and, through
    ``reveal``, written to the case's audit log.

    Args:
        case: the open case.
        load_queue: ``load_queue(case) -> DataFrame`` with ``item`` (or ``hit_id``),
            ``evidence_id, face_id, rule`` (or ``source``), ``score, status`` and
            ``explanation`` or ``conditions``, optionally a face box ``x1..y2`` (default:
            :func:`workbench.review.queue.queue_with_boxes`).
        decide: ``decide(case, item, decision, note)`` with decision ``confirm``,
            ``dismiss`` or ``escalate`` (default: ``workbench.review.queue.decide``); when
            the queue's rows carry the review (status, decided_by, decided_at, note,
            outdated_decision, evidence_sha, as the default queue's do) it is also given
            ``shown=Review``, so a decision on an item changed since it was loaded is
            refused and the queue is reloaded.
        thumbnail: ``thumbnail(case, sha256, blurred=True, box=..., size=...) -> PNG``.
        reveal: ``reveal(case, item, sha256, box) -> PNG`` of the clear image, audited
            (default: :func:`workbench.review.thumbs.reveal_item`).
    """

    index = traitlets.Int(0)
    revealed = traitlets.Bool(False)
    reveals = traitlets.Int(0)
    decided = traitlets.Int(0)
    title = "Review queue"

    def __init__(self, case: Any, load_queue: Callable[..., pd.DataFrame] | None = None,
                 decide: Callable[..., Any] | None = None,
                 thumbnail: Callable[..., bytes] | None = None,
                 reveal: Callable[..., bytes] | None = None) -> None:
        super().__init__()
        self.case = case
        self._load = load_queue or lazy("workbench.review.queue:queue_with_boxes")
        self._decide = decide or lazy("workbench.review.queue:decide")
        self._thumbnail = thumbnail or lazy("workbench.media:evidence_thumbnail")
        self._reveal = reveal or lazy("workbench.review.thumbs:reveal_item")
        self._clear_png: bytes | None = None
        self.queue = pd.DataFrame()
        self.image = w.HTML()
        self.details = w.HTML()
        self.reveal_button = w.Button(description="Reveal", icon="eye",
                                      tooltip="show this item unblurred (counted and audited)")
        self.reveal_button.on_click(self._on_reveal_click)
        self.prev_button = w.Button(description="Previous", icon="arrow-left")
        self.prev_button.on_click(lambda _b: self._move(-1))
        self.next_button = w.Button(description="Next", icon="arrow-right")
        self.next_button.on_click(lambda _b: self._move(1))
        self.note = w.Textarea(placeholder="Note for the record (why this decision)",
                               layout=w.Layout(width="100%"))
        self.buttons = {
            "confirm": w.Button(description="Confirm", button_style="danger"),
            "dismiss": w.Button(description="Dismiss", button_style=""),
            "escalate": w.Button(description="Escalate", button_style="warning",
                                 tooltip="needs a note saying why and to whom"),
        }
        for decision, button in self.buttons.items():
            button.on_click(lambda _b, d=decision: self.decide(d))
        self.overview = w.HTML()
        self.children = [
            self.overview, w.HBox([self.image, self.details]),
            w.HBox([self.prev_button, self.reveal_button, self.next_button]),
            self.note, w.HBox(list(self.buttons.values())), self.status,
        ]
        self.observe(lambda _c: self._render(), names=["index", "revealed"])
        self.reload()

    @property
    def current(self) -> dict[str, Any] | None:
        """The item on screen, or None when the queue is empty."""
        if not len(self.queue):
            return None
        return self.queue.iloc[self.index].to_dict()

    def reload(self) -> None:
        """Read the queue again from the case."""
        queue = self.call(self._load, self.case)
        if queue is None:
            self._render()
            return
        queue = queue.rename(columns={k: v for k, v in _COLUMNS.items()
                                      if k in queue.columns and v not in queue.columns})
        self.queue = queue.reset_index(drop=True)
        self.index = min(self.index, max(0, len(self.queue) - 1))
        self._render()

    def decide(self, decision: str, note: str | None = None) -> None:
        """Record ``decision`` (``confirm``, ``dismiss``, ``escalate``) with the note."""
        item = self.current
        if item is None:
            self.error = "The queue is empty: nothing to decide."
            return
        from workbench.store.reviews import Review, StaleDecision

        note = self.note.value if note is None else note
        # The item's review as it is on screen: if someone else decided it, or its image
        # was analysed again, since this queue was loaded, the store refuses the decision.
        shown = {"shown": Review.from_row(item)} if _REVIEW_FIELDS <= item.keys() else {}
        stale: list[bool] = []

        def attempt(*args: Any, **kwargs: Any) -> Any:
            try:
                return self._decide(*args, **kwargs)
            except StaleDecision:
                stale.append(True)
                raise

        done = self.call(attempt, self.case, item["hit_id"], decision, note, **shown)
        if self.error:
            if stale:  # show the item as it is now, keeping the refusal on screen
                refusal = self.error
                self.reload()
                self.error = refusal
            return
        self.decided += 1
        self.queue.loc[self.index, "status"] = getattr(done, "status", None) or DECISIONS.get(
            decision, decision)
        review = getattr(done, "review", None)
        if review is not None:  # the row now shows this decision, so a change of mind holds
            for name in sorted(_REVIEW_FIELDS & set(self.queue.columns)):
                self.queue.loc[self.index, name] = getattr(review, name)
        self.note.value = ""
        self.message = f"Recorded '{decision}' for {item['hit_id']}."
        self._move(1)
        self._render()

    def _move(self, step: int) -> None:
        if not len(self.queue):
            return
        self.revealed = False
        self._clear_png = None
        self.index = max(0, min(len(self.queue) - 1, self.index + step))

    def _on_reveal_click(self, _button: w.Button | None = None) -> None:
        item = self.current
        if item is None:
            return
        if self.revealed:
            self._clear_png = None
            self.revealed = False
            return
        png = self.call(self._reveal, self.case, item["hit_id"], item["evidence_id"],
                        _box(item))
        if png is not None:
            self._clear_png = png
            self.reveals += 1
            self.revealed = True

    def _render(self) -> None:
        from workbench.media import img_tag

        item = self.current
        pending = int((self.queue.get("status", pd.Series(dtype=str)) == "pending").sum())
        self.overview.value = (f"<b>{len(self.queue)}</b> items in the queue, <b>{pending}</b> "
                               f"pending; {self.reveals} reveals this session.{self._acting()}")
        self.reveal_button.description = "Blur again" if self.revealed else "Reveal"
        if item is None:
            self.image.value = ""
            self.details.value = "<i>Nothing to review.</i>"
            return
        box = _box(item)
        png = self._clear_png if self.revealed else self.quiet(
            self._thumbnail, self.case, item["evidence_id"], blurred=True, box=box, size=240)
        self.image.value = img_tag(png, item["evidence_id"], blurred=not self.revealed,
                                   box=box) if png else ""
        self.details.value = _details(item, self.index, len(self.queue))

    def _acting(self) -> str:
        """Who decisions are recorded as (a case's signed-in user), so nobody is surprised."""
        actor = self.quiet(self.case.actor) if callable(getattr(self.case, "actor", None)) \
            else None
        if actor is None:
            return ""
        return (f" Decisions are recorded as <b>{html.escape(actor.name)}</b> "
                f"({html.escape(actor.how)}).")

    def snapshot_body(self) -> str:
        rows = [{"item": r.get("hit_id"), "source": r.get("source"), "score": r.get("score"),
                 "status": r.get("status"), "why": _why(r),
                 "evidence": ("html", f'<span data-wb-sha256="{r["evidence_id"]}">'
                                      f'{r["evidence_id"][:16]}…</span>')}
                for r in self.queue.to_dict(orient="records")]
        return (f"<p>{len(rows)} items in the review queue.</p>"
                + table_html(rows, ["item", "source", "score", "status", "why", "evidence"]))


def _box(item: dict[str, Any]) -> tuple[float, float, float, float] | None:
    values = [item.get(k) for k in ("x1", "y1", "x2", "y2")]
    if any(v is None or v != v for v in values):
        return None
    return tuple(float(v) for v in values)  # type: ignore[return-value]


def _why(item: dict[str, Any]) -> str:
    explanation = item.get("explanation")
    if isinstance(explanation, str) and explanation:
        return explanation
    conditions = item.get("conditions")
    fired = [c for c in conditions if c.get("fired")] if isinstance(conditions, list) else []
    return "; ".join(f"{c['name']} = {c['value']}" for c in fired) or "no condition fired"


def _details(item: dict[str, Any], index: int, total: int) -> str:
    return (f'<div style="padding:0 12px"><div>Item {index + 1} of {total}</div>'
            f"<div><b>{html.escape(str(item.get('source', '')))}</b> scored "
            f"{float(item.get('score', 0)):.2f}</div>"
            f"<div>Why: {html.escape(_why(item))}</div>"
            f"<div>Status: {html.escape(str(item.get('status', 'pending')))}</div>"
            f"<div>Evidence {html.escape(str(item['evidence_id'])[:16])}…"
            f"{' face ' + html.escape(str(item['face_id'])) if item.get('face_id') else ''}</div>"
            "<div><i>A lead for a trained person, never a verdict.</i></div></div>")
