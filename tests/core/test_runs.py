"""Runs are recorded by one context manager with one set of statuses."""

from __future__ import annotations

import json

import pytest

from workbench.store import Case
from workbench.store.runs import STATUSES, status_for
from workbench.types import Run


def _finish(case: Case, run_id: str) -> tuple[str, dict]:
    status = case.runs().set_index("id").loc[run_id, "status"]
    log = case.audit_log()
    detail = log[(log["action"] == "run.finish") & (log["target"] == run_id)]["detail"].iloc[-1]
    return status, json.loads(detail)


def test_a_block_that_finishes_is_done_with_its_summary(new_case: Case) -> None:
    with new_case.recording(Run.start("score")) as rec:
        assert new_case.runs().set_index("id").loc[rec.run.id, "status"] == "running"
        rec.summary["hits"] = 3
    assert _finish(new_case, rec.run.id) == ("done", {"status": "done", "hits": 3})


def test_an_error_is_failed_and_keeps_what_the_summary_had(new_case: Case) -> None:
    with pytest.raises(ValueError), new_case.recording(Run.start("score")) as rec:
        rec.summary["read"] = 1
        raise ValueError("bad rule")
    assert _finish(new_case, rec.run.id) == ("failed", {"status": "failed", "read": 1})


def test_ctrl_c_or_sigterm_is_interrupted_and_summarize_runs_at_the_end(new_case: Case) -> None:
    seen = []
    with pytest.raises(KeyboardInterrupt), new_case.recording(Run.start("ingest")) as rec:
        rec.summarize = lambda: {"files": len(seen)}
        seen.append("a.jpg")
        raise KeyboardInterrupt
    assert _finish(new_case, rec.run.id) == ("interrupted", {"status": "interrupted", "files": 1})


def test_statuses_are_one_set() -> None:
    assert {status_for(None), status_for(RuntimeError()), status_for(KeyboardInterrupt())
            } | {"running"} == set(STATUSES)
