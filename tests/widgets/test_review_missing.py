"""Review queue and missing-person lookup, driven headless."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from workbench.errors import WorkbenchError
from workbench.widgets.missing import MissingPersonLookup
from workbench.widgets.review import ReviewQueue

SHA1, SHA2 = "1" * 64, "2" * 64


def _queue() -> pd.DataFrame:
    return pd.DataFrame([
        {"hit_id": "k1", "evidence_id": SHA1, "face_id": None, "source": "rule_a",
         "score": 0.9, "status": "pending", "explanation": "rule_a scored 0.90 because x"},
        {"hit_id": "k2", "evidence_id": SHA2, "face_id": f"{SHA2}:0", "source": "rule_b",
         "score": 0.5, "status": "pending",
         "conditions": [{"name": "p_minor", "value": 0.7, "fired": True}],
         "x1": 1.0, "y1": 1.0, "x2": 9.0, "y2": 9.0},
    ])


class Recorder:
    def __init__(self) -> None:
        self.thumbs: list[dict] = []
        self.decisions: list[tuple] = []
        self.reveals: list[str] = []

    def thumbnail(self, case, sha, blurred=True, box=None, size=0):
        self.thumbs.append({"sha": sha, "blurred": blurred, "box": box})
        return b"png"

    def decide(self, case, key, decision, note):
        self.decisions.append((key, decision, note))

    def reveal(self, case, key, sha, box):
        self.reveals.append((key, sha))
        return b"clear"


def _widget(rec: Recorder) -> ReviewQueue:
    return ReviewQueue("CASE", load_queue=lambda c: _queue(), decide=rec.decide,
                       thumbnail=rec.thumbnail, reveal=rec.reveal)


def test_review_is_blurred_by_default_and_reveal_is_counted() -> None:
    rec = Recorder()
    queue = _widget(rec)
    assert rec.thumbs[-1] == {"sha": SHA1, "blurred": True, "box": None}
    assert 'data-wb-thumb="blurred"' in queue.image.value
    shown = len(rec.thumbs)
    queue.reveal_button.click()
    assert queue.revealed and queue.reveals == 1 and rec.reveals == [("k1", SHA1)]
    assert len(rec.thumbs) == shown  # the clear image comes only from the audited reveal
    assert 'data-wb-thumb="revealed"' in queue.image.value
    assert queue.reveal_button.description == "Blur again"
    queue.reveal_button.click()
    assert not queue.revealed and 'data-wb-thumb="blurred"' in queue.image.value
    queue.reveal_button.click()
    assert queue.reveals == 2
    queue.next_button.click()
    # Moving on blurs again: a reveal holds for one item only.
    assert queue.index == 1 and not queue.revealed
    assert rec.thumbs[-1] == {"sha": SHA2, "blurred": True, "box": (1.0, 1.0, 9.0, 9.0)}
    assert "p_minor = 0.7" in queue.details.value


def test_review_decisions_go_to_the_domain_with_the_note() -> None:
    rec = Recorder()
    queue = _widget(rec)
    queue.note.value = "adult, not a minor"
    queue.buttons["dismiss"].click()
    assert rec.decisions == [("k1", "dismiss", "adult, not a minor")]
    assert queue.decided == 1 and queue.index == 1 and queue.note.value == ""
    queue.buttons["escalate"].click()
    assert rec.decisions[-1] == ("k2", "escalate", "")
    assert list(queue.queue["status"]) == ["dismissed", "escalated"]
    assert "0</b> pending" in queue.overview.value
    snapshot = queue.snapshot_html()
    assert f'data-wb-sha256="{SHA1}"' in snapshot and "<img" not in snapshot


def test_review_domain_error_keeps_the_item() -> None:
    def refuse(case, key, decision, note):
        raise WorkbenchError("the evidence changed since scoring; re-score the case")

    queue = ReviewQueue("CASE", load_queue=lambda c: _queue(), decide=refuse,
                        thumbnail=lambda *a, **k: b"", reveal=lambda *a: b"")
    queue.buttons["confirm"].click()
    assert "re-score" in queue.error and queue.index == 0 and queue.decided == 0


def test_review_with_the_real_review_domain(small_case) -> None:
    queue = ReviewQueue(small_case)
    assert queue.error == "" and len(queue.queue) >= 1
    item = queue.current
    assert item["source"] == "synthetic_rule" and item["status"] == "pending"
    assert "data-wb-box=" in queue.image.value  # a face item is cropped to its face
    before = len(small_case.audit_log())
    queue.reveal_button.click()
    log = small_case.audit_log()
    assert queue.reveals == 1 and len(log) == before + 1
    assert log.iloc[-1]["action"] == "review.reveal"
    queue.buttons["escalate"].click()  # an escalation without a note is refused
    assert "needs a note" in queue.error and queue.decided == 0
    queue.note.value = "possible minor; to the specialist team"
    queue.buttons["escalate"].click()
    assert queue.error == "" and queue.decided == 1
    assert queue.queue.loc[0, "status"] == "escalated"
    assert small_case.audit_log().iloc[-1]["action"] == "review.decide"


@dataclass
class FakeFace:
    query: object
    candidates: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"face_id": "f1", "evidence_id": SHA1, "age": 14.0, "sex": "female",
                "candidates": self.candidates}


@dataclass
class FakeQuery:
    xyxy: tuple = (1.0, 2.0, 30.0, 40.0)


@dataclass
class FakeResult:
    faces: list
    skipped_keys: dict = field(default_factory=dict)


def test_missing_lookup_shows_face_beside_candidates_with_reasons() -> None:
    cands = [{"rank": 1, "record_id": "MP-1", "name": "A. Person", "similarity": 0.71,
              "threshold": 0.6, "verified": True, "reasons": ["sex: passed (f, f)"]},
             {"rank": 2, "record_id": "MP-2", "name": "B. Person", "similarity": 0.41,
              "threshold": 0.6, "verified": False, "reasons": ["age: passed (12-16)"]}]
    cands[0]["photo_id"] = 7
    calls, reveals, thumbs = [], [], []
    widget = MissingPersonLookup(
        "CASE", lookup=lambda case, reg: calls.append(reg) or FakeResult([FakeFace(
            FakeQuery(), cands)]), open_registry=lambda loc: f"REG:{loc}", registry="/r",
        thumbnail=lambda *a, **k: thumbs.append(k["blurred"]) or b"png",
        photo=lambda reg, rid, pid: b"photo" if (reg, rid, pid) == ("REG:/r", "MP-1", 7)
        else None, on_reveal=lambda case, sha, ctx: reveals.append(sha))
    widget.search_button.click()
    assert calls == ["REG:/r"]
    assert (widget.faces_searched, widget.candidates, widget.verified) == (1, 2, 1)
    assert "MP-1" in widget.results.value and "sex: passed (f, f)" in widget.results.value
    assert 'data-wb-box="1.0,2.0,30.0,40.0"' in widget.results.value
    assert widget.results.value.count('alt="registry photo"') == 1  # only MP-1 has a photo
    assert thumbs == [True]
    widget.reveal_button.click()
    assert widget.revealed and widget.reveals == 1 and reveals == [SHA1]
    assert thumbs[-1] is False and 'data-wb-thumb="revealed"' in widget.results.value
    widget.reveal_button.click()
    assert not widget.revealed and thumbs[-1] is True
    widget.only_verified.value = True
    assert "MP-2" not in widget.results.value
    assert "never an identification" in widget.snapshot_html()


def test_missing_lookup_registry_error_is_readable() -> None:
    def no_registry(location):
        raise WorkbenchError("registry folder /nowhere does not exist; run workbench registry init")

    widget = MissingPersonLookup("CASE", lookup=lambda *a: None, open_registry=no_registry)
    widget.search_button.click()
    assert "registry init" in widget.error and widget.faces_searched == 0


def test_a_decision_on_an_item_someone_else_decided_since_is_refused(small_case) -> None:
    # Two analysts load the same queue; the second decides an item the first has decided
    # in the meantime. Nothing of hers is recorded, and her queue shows the item as it is.
    first, second = ReviewQueue(small_case), ReviewQueue(small_case)
    item = first.current["hit_id"]
    first.note.value = "adult; dismissed"
    first.buttons["dismiss"].click()
    assert first.error == "" and first.decided == 1
    decisions_logged = len(small_case.audit_log())
    second.note.value = "possible minor"
    second.buttons["escalate"].click()
    assert "changed since it was shown" in second.error and second.decided == 0
    assert second.current["hit_id"] == item
    assert second.current["status"] == "dismissed"  # reloaded: the first decision shows
    assert len(small_case.audit_log()) == decisions_logged
    # Having seen it, she may change it; so may the first analyst change his mind.
    second.buttons["escalate"].click()
    assert second.error == "" and second.decided == 1
    first.reload()
    first.index = 0
    first.note.value = "on reflection, confirm"
    first.buttons["confirm"].click()
    assert first.error == ""
