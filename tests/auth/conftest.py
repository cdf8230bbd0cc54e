"""Auth tests: sessions in a temporary folder, and a scored case with review items."""

from __future__ import annotations

from pathlib import Path

import pytest

PASSWORDS = {"alice": "alice-password-1", "sam": "sam-password-22", "root2": "admin-pass-333"}


@pytest.fixture(autouse=True)
def private_sessions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test keeps its login sessions in its own folder, never in ~/.workbench."""
    folder = tmp_path / "sessions"
    monkeypatch.setenv("WORKBENCH_SESSIONS", str(folder))
    monkeypatch.delenv("WORKBENCH_USER", raising=False)
    monkeypatch.delenv("WORKBENCH_PASSWORD_FILE", raising=False)
    return folder


@pytest.fixture()
def scored_case(new_case):
    """A case whose review queue has items (synthetic faces, the default rules)."""
    from criteria.helpers import add_faces, add_image, face

    from workbench.criteria import score_case

    for label in ("pair", "alone"):
        add_image(new_case, label)
    add_faces(new_case, "pair", [face(9, 2, "fear"), face(44, 4)])
    add_faces(new_case, "alone", [face(15, 5, "sad", strength=0.6)])
    score_case(new_case)
    return new_case


@pytest.fixture()
def managed_case(scored_case):
    """The scored case with users: alice (admin, analyst) and sam (supervisor)."""
    from workbench.auth import add_user, login, logout

    add_user(scored_case, "alice", PASSWORDS["alice"], ["admin", "analyst"])
    login(scored_case, "alice", PASSWORDS["alice"])
    add_user(scored_case, "sam", PASSWORDS["sam"], ["supervisor"])
    logout(scored_case)
    return scored_case
