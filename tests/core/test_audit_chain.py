"""The audit log's hash chain: forgeries past the triggers are found and named."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.store import Case
from workbench.store.audit import GENESIS, entry_hash

from .old_cases import sqlite_case_at

TRIGGERS = """
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""


def _case_with_decisions(tmp_path: Path) -> Path:
    folder = tmp_path / "case"
    with Case.init(folder) as case:
        for n in range(5):
            case.audit("review.decide", target=f"item-{n}", who="alice",
                       detail={"decision": "confirm" if n % 2 else "dismiss"})
    return folder


def _forge(folder: Path, sql: str, params: tuple = ()) -> None:
    """What a local attacker does: drop the triggers, edit, put the triggers back."""
    conn = sqlite3.connect(folder / "case.db")
    conn.executescript("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;")
    conn.execute(sql, params)
    conn.commit()
    conn.executescript(TRIGGERS)
    conn.close()


def _verify(folder: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench.cli", "audit", "verify", str(folder),
                           *extra], capture_output=True, text=True, timeout=120)


def test_an_untouched_log_verifies_and_prints_its_head(tmp_path: Path) -> None:
    folder = _case_with_decisions(tmp_path)
    with Case.open(folder) as case:
        seq, head = case.audit_head()
    done = _verify(folder)
    assert done.returncode == 0, done.stderr
    assert f"head #{seq} {head}" in done.stdout and seq == 6


@pytest.mark.sqlite_file
def test_rewriting_who_decided_is_found_and_named(tmp_path: Path) -> None:
    folder = _case_with_decisions(tmp_path)
    _forge(folder, "UPDATE audit SET who='bob' WHERE target='item-2'")
    done = _verify(folder)
    assert done.returncode == 1
    assert "BROKEN at entry #4" in done.stdout and "rewritten" in done.stdout


@pytest.mark.sqlite_file
def test_deleting_an_entry_is_found(tmp_path: Path) -> None:
    folder = _case_with_decisions(tmp_path)
    _forge(folder, "DELETE FROM audit WHERE target='item-1'")
    done = _verify(folder)
    assert done.returncode == 1 and "BROKEN at entry #4" in done.stdout
    assert "does not point at entry #2" in done.stdout


@pytest.mark.sqlite_file
def test_a_back_dated_entry_is_found_even_with_a_valid_hash(tmp_path: Path) -> None:
    folder = _case_with_decisions(tmp_path)
    conn = sqlite3.connect(folder / "case.db")
    seq, prev = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    entry = {"seq": seq + 1, "at": "2020-01-01T00:00:00.000000+00:00", "who": "alice",
             "action": "review.decide", "target": "item-9", "detail": "{}"}
    conn.close()
    # The forger even computes a correct hash: the date going backwards still shows.
    _forge(folder, "INSERT INTO audit (seq, at, who, action, target, detail, prev_hash, hash) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
           (entry["seq"], entry["at"], entry["who"], entry["action"], entry["target"],
            entry["detail"], prev, entry_hash(entry, prev)))
    done = _verify(folder)
    assert done.returncode == 1 and f"BROKEN at entry #{seq + 1}" in done.stdout
    assert "back-dated" in done.stdout


@pytest.mark.sqlite_file
def test_an_entry_inserted_without_a_hash_is_found(tmp_path: Path) -> None:
    folder = _case_with_decisions(tmp_path)
    _forge(folder, "INSERT INTO audit (at, who, action, target, detail) VALUES "
           "('2099-01-01', 'mallory', 'review.decide', 'x', '{}')")
    with Case.open(folder) as case:  # opening must not "seal" the forged entry
        result = case.audit_verify()
    assert not result.ok and result.broken_seq == 7 and "no hash" in result.reason


@pytest.mark.sqlite_file
def test_a_rewritten_chain_does_not_match_a_recorded_head(tmp_path: Path) -> None:
    folder = _case_with_decisions(tmp_path)
    with Case.open(folder) as case:
        _, recorded = case.audit_head()
    # Drop the last entry: the chain that remains is internally consistent...
    _forge(folder, "DELETE FROM audit WHERE seq=(SELECT MAX(seq) FROM audit)")
    assert _verify(folder).returncode == 0
    # ...but not with the head a report recorded.
    done = _verify(folder, "--head", recorded)
    assert done.returncode == 1 and "removed from its end" in done.stdout


@pytest.mark.sqlite_file
def test_dropped_triggers_are_warned_about(tmp_path: Path) -> None:
    folder = _case_with_decisions(tmp_path)
    conn = sqlite3.connect(folder / "case.db")
    conn.execute("DROP TRIGGER audit_no_delete")
    conn.close()
    done = _verify(folder)
    assert done.returncode == 0 and "audit_no_delete is missing" in done.stderr


def test_a_case_from_before_the_chain_is_sealed_once_and_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    conn = sqlite_case_at(folder, 4, applied_at="then")
    conn.execute("INSERT INTO case_info VALUES ('name', 'old')")
    # Old logs were dated outside the write lock: concurrent writers could interleave.
    for day in (1, 3, 2):
        conn.execute("INSERT INTO audit (at, who, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                     (f"2025-01-0{day}T00:00:00+00:00", "carol", "review.decide", f"i{day}", "{}"))
    conn.close()
    with Case.open(folder) as case:
        log = case.audit_log()
        assert log["action"].tolist()[-1] == "audit.chain.start"
        assert json.loads(log["detail"].iloc[-1])["sealed_entries"] == 3
        assert log["prev_hash"].iloc[0] == GENESIS
        assert case.audit_verify().ok
    with Case.open(folder) as case:  # sealed once, not on every open
        assert (case.audit_log()["action"] == "audit.chain.start").sum() == 1


def test_the_trigger_still_refuses_edits_of_chained_entries(new_case: Case) -> None:
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        new_case.db.execute("UPDATE audit SET hash=NULL")


def test_export_writes_the_log_with_hashes_and_a_checksum(tmp_path: Path) -> None:
    folder = _case_with_decisions(tmp_path)
    out = tmp_path / "audit.json"
    done = subprocess.run([sys.executable, "-m", "workbench.cli", "audit", "export", str(folder),
                           str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    assert document["verified"] and len(document["entries"]) == 6
    assert document["head"]["hash"] == document["entries"][-1]["hash"]
    assert (tmp_path / "audit.json.sha256").read_text().split()[0] in done.stdout
    with Case.open(folder) as case:
        assert case.audit_log()["action"].iloc[-1] == "audit.export"
        assert case.audit_verify(expect_head=document["head"]["hash"]).ok


def test_a_report_records_the_chain_head_it_was_made_at(tmp_path: Path) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from workbench.reports.export import export_report

    folder = _case_with_decisions(tmp_path)
    nb = new_notebook(cells=[new_code_cell("1")])
    nb.metadata["papermill"] = {"parameters": {"case_dir": str(folder)}}
    notebook = tmp_path / "r.ipynb"
    nbformat.write(nb, notebook)
    result = export_report(notebook, fmt="html", out=tmp_path / "r.html")
    text = result.path.read_text(encoding="utf-8")
    head = text.split('class="wb-audit-head">')[1][:64]
    with Case.open(folder) as case:
        log = case.audit_log()
        assert "Audit chain intact" in text
        exported = json.loads(log[log["action"] == "report.export"]["detail"].iloc[0])
        assert exported["audit_head"] == head
        # Later entries do not invalidate it: the recorded head is still in the chain.
        assert case.audit_verify(expect_head=head).ok


def test_processes_writing_at_once_keep_one_unbroken_chain(tmp_path: Path) -> None:
    folder = _case_with_decisions(tmp_path)
    script = ("import sys\nfrom workbench.store import Case\n"
              "with Case.open(sys.argv[1]) as case:\n"
              "    for n in range(40):\n"
              "        case.audit('test.write', target=f'{sys.argv[2]}-{n}')\n")
    writers = [subprocess.Popen([sys.executable, "-c", script, str(folder), name])
               for name in ("a", "b", "c")]
    assert [w.wait(timeout=120) for w in writers] == [0, 0, 0]
    with Case.open(folder) as case:
        result = case.audit_verify()
        assert result.ok, result.describe()
        assert result.entries == 6 + 120
