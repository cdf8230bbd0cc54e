"""Users, roles and login: decisions are made as the logged-in analyst, or not at all."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from workbench.auth import AuthError, PermissionDenied, add_user, login, logout, remove_user
from workbench.auth.identity import os_account, session_file
from workbench.auth.passwords import PasswordError
from workbench.auth.users import UserError
from workbench.review import decide, queue_items
from workbench.store import Case

from .conftest import PASSWORDS


def _decisions(case: Case) -> list[tuple[str, str]]:
    return [tuple(r) for r in case.db.execute("SELECT decision, who FROM reviews")]


def test_an_open_case_acts_as_the_os_account_not_an_environment_variable(
        scored_case, monkeypatch) -> None:
    monkeypatch.setenv("WORKBENCH_USER", "someone-else")
    item = queue_items(scored_case)[0]
    decide(scored_case, item.item, "confirm")
    assert scored_case.audit_log()["who"].iloc[-1] == os_account() != "someone-else"
    assert scored_case.actor().how == "open case"


def test_without_a_login_nobody_decides_and_nothing_is_written(managed_case) -> None:
    item = queue_items(managed_case)[0]
    entries = len(managed_case.audit_log())
    with pytest.raises(PermissionDenied, match="review.decide needs the analyst role"):
        decide(managed_case, item.item, "confirm")
    assert _decisions(managed_case) == [] and len(managed_case.audit_log()) == entries
    assert managed_case.actor().name == f"os:{os_account()}"


def test_a_supervisor_cannot_decide_an_analyst_can(managed_case) -> None:
    item = queue_items(managed_case)[0]
    login(managed_case, "sam", PASSWORDS["sam"])
    with pytest.raises(PermissionDenied, match="sam has \\['supervisor'\\]"):
        decide(managed_case, item.item, "dismiss")
    assert _decisions(managed_case) == []
    login(managed_case, "alice", PASSWORDS["alice"])
    decided = decide(managed_case, item.item, "confirm", note="seen")
    assert decided.decided_by == "alice" and _decisions(managed_case) == [("confirm", "alice")]
    log = managed_case.audit_log()
    assert log["who"].iloc[-1] == "alice" and log["action"].iloc[-1] == "review.decide"
    assert managed_case.audit_verify().ok


def test_nobody_records_a_decision_under_another_name(managed_case) -> None:
    login(managed_case, "alice", PASSWORDS["alice"])
    item = queue_items(managed_case)[0]
    with pytest.raises(AuthError, match="cannot record 'review.decide' as 'sam'"):
        decide(managed_case, item.item, "confirm", who="sam")


def test_a_session_is_private_expires_and_is_stored_only_as_a_hash(managed_case) -> None:
    login(managed_case, "alice", PASSWORDS["alice"])
    file = session_file(managed_case)
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE(file.parent.stat().st_mode) == 0o700
    token = json.loads(file.read_text())["token"]
    # Nothing the case keeps holds the token itself (on either backend).
    for table in ("sessions", "users", "audit"):
        rows = managed_case.db.execute(f"SELECT * FROM {table}").fetchall()
        assert rows and token not in repr([tuple(r) for r in rows])
    # Another process of the same account acts as alice through the session file.
    with Case.open(managed_case.path) as again:
        assert (again.actor().name, again.actor().how) == ("alice", "session")
    with managed_case.transaction() as conn:
        conn.execute("UPDATE sessions SET expires_at='2000-01-01T00:00:00+00:00'")
    with Case.open(managed_case.path) as later:
        assert later.actor().how == "not logged in"
    os.chmod(file, 0o644)
    with Case.open(managed_case.path) as exposed, pytest.raises(AuthError, match="readable"):
        exposed.actor()


def test_logout_ends_the_session(managed_case) -> None:
    login(managed_case, "alice", PASSWORDS["alice"])
    assert logout(managed_case) and not session_file(managed_case).exists()
    assert managed_case.actor().how == "not logged in"
    assert managed_case.db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 0


def test_a_wrong_password_is_refused_the_same_way_as_an_unknown_name(managed_case) -> None:
    with pytest.raises(AuthError, match="wrong user name or password"):
        login(managed_case, "alice", "not-her-password")
    with pytest.raises(AuthError, match="wrong user name or password"):
        login(managed_case, "nobody", "whatever-password")


def test_automation_logs_in_with_a_private_password_file(managed_case, tmp_path,
                                                         monkeypatch) -> None:
    secret = tmp_path / "alice.pw"
    secret.write_text(PASSWORDS["alice"] + "\n")
    os.chmod(secret, 0o600)
    monkeypatch.setenv("WORKBENCH_USER", "alice")
    monkeypatch.setenv("WORKBENCH_PASSWORD_FILE", str(secret))
    with Case.open(managed_case.path) as case:
        assert (case.actor().name, case.actor().how) == ("alice", "password file")
        decide(case, queue_items(case)[0].item, "escalate", note="to the duty officer")
    os.chmod(secret, 0o644)
    with Case.open(managed_case.path) as case, pytest.raises(PasswordError, match="chmod 600"):
        case.actor()


def test_passwords_are_salted_argon2id(managed_case) -> None:
    add_user_as_admin(managed_case)
    hashes = [r[0] for r in managed_case.db.execute("SELECT password_hash FROM users")]
    assert all(h.startswith("$argon2id$") for h in hashes) and len(set(hashes)) == len(hashes)
    assert not any(p in "".join(hashes) for p in PASSWORDS.values())


def add_user_as_admin(case: Case) -> None:
    login(case, "alice", PASSWORDS["alice"])
    add_user(case, "root2", PASSWORDS["alice"], ["analyst"])  # same password, other salt


def test_user_management_needs_an_admin_and_keeps_one(managed_case) -> None:
    login(managed_case, "sam", PASSWORDS["sam"])
    with pytest.raises(PermissionDenied, match="users.add needs the admin role"):
        add_user(managed_case, "eve", "eve-password-1", ["analyst"])
    login(managed_case, "alice", PASSWORDS["alice"])
    with pytest.raises(UserError, match="last admin"):
        remove_user(managed_case, "alice")
    remove_user(managed_case, "sam")
    assert [a for a in managed_case.audit_log()["action"] if a.startswith("users.")] == [
        "users.add", "users.add", "users.remove"]


def test_the_first_user_of_a_case_must_be_an_admin(scored_case) -> None:
    with pytest.raises(UserError, match="first user .* admin"):
        add_user(scored_case, "sam", PASSWORDS["sam"], ["supervisor"])
    with pytest.raises(PasswordError, match="at least"):
        add_user(scored_case, "alice", "short", ["admin"])


def test_users_can_change_their_own_password_only(managed_case) -> None:
    from workbench.auth import set_password

    login(managed_case, "sam", PASSWORDS["sam"])
    set_password(managed_case, "sam", "sam-new-password")
    assert managed_case.db.execute("SELECT COUNT(*) FROM sessions WHERE user='sam'"
                                   ).fetchone()[0] == 0
    managed_case.forget_actor()
    login(managed_case, "sam", "sam-new-password")
    with pytest.raises(PermissionDenied):
        set_password(managed_case, "alice", "taken-over-pw")


def test_the_command_line_manages_users_and_refuses_a_decision(scored_case, tmp_path,
                                                               capsys) -> None:
    from workbench.cli import main

    folder = str(scored_case.path)
    scored_case.close()
    pw = tmp_path / "pw"
    pw.write_text(PASSWORDS["alice"])
    os.chmod(pw, 0o600)
    assert main(["users", "add", folder, "alice", "--role", "admin", "--role", "analyst",
                 "--password-file", str(pw)]) == 0
    pw_sam = tmp_path / "pw-sam"
    pw_sam.write_text(PASSWORDS["sam"])
    os.chmod(pw_sam, 0o600)
    # Without a login the case is no longer open: adding a user is refused.
    assert main(["users", "add", folder, "sam", "--role", "supervisor",
                 "--password-file", str(pw_sam)]) == 2
    assert main(["login", folder, "--user", "alice", "--password-file", str(pw)]) == 0
    assert main(["users", "add", folder, "sam", "--role", "supervisor",
                 "--password-file", str(pw_sam)]) == 0
    assert main(["users", "list", folder, "--json"]) == 0
    out = capsys.readouterr().out
    listed = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert {u["name"]: u["roles"] for u in listed} == {"alice": ["analyst", "admin"],
                                                       "sam": ["supervisor"]}
    assert main(["login", folder, "--user", "sam", "--password-file", str(pw_sam)]) == 0
    with Case.open(folder) as case:
        key = queue_items(case)[0].item
    assert main(["review", folder, "--decide", key, "--decision", "confirm"]) == 2
    assert "needs the analyst role" in capsys.readouterr().err
    assert main(["whoami", folder]) == 0
    assert "sam (session): roles supervisor" in capsys.readouterr().out
    assert main(["logout", folder]) == 0
    assert not Path(session_file(Case.open(folder))).exists()


def test_exports_that_reveal_images_need_an_analyst(managed_case, tmp_path, capsys) -> None:
    from workbench.auth.identity import check_action
    from workbench.cli import main

    out = tmp_path / "map"
    assert main(["map", str(managed_case.path), "--out", str(out), "--reveal"]) == 2
    assert "map.export needs the analyst role" in capsys.readouterr().err
    assert not any(out.iterdir())  # refused before any unblurred thumbnail was written
    login(managed_case, "sam", PASSWORDS["sam"])
    with pytest.raises(PermissionDenied):
        check_action(managed_case, "report.export", "r.html", None, {"reveal": True})
    assert check_action(managed_case, "report.export", "r.html", None, {"reveal": False}) == "sam"


def test_the_review_widget_says_who_decides_and_shows_a_refusal(managed_case) -> None:
    from workbench.widgets.review import ReviewQueue

    queue = ReviewQueue(managed_case)
    assert "recorded as <b>os:" in queue.overview.value and "not logged in" in queue.overview.value
    queue.buttons["confirm"].click()
    assert "needs the analyst role" in queue.error and queue.decided == 0
    login(managed_case, "alice", PASSWORDS["alice"])
    queue = ReviewQueue(managed_case)
    assert "recorded as <b>alice</b> (session)" in queue.overview.value
    queue.buttons["dismiss"].click()
    assert queue.error == "" and queue.decided == 1
    assert _decisions(managed_case) == [("dismiss", "alice")]
