"""Every domain function a widget binds by name ("module:function") exists.

Widgets bind their default domain functions lazily so importing a widget stays cheap; a
typo in such a name used to fail only when someone clicked. This test resolves them all.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import workbench.widgets
from workbench.widgets.base import DomainUnavailable, lazy

WIDGETS = Path(workbench.widgets.__file__).resolve().parent


def _bindings() -> list[tuple[str, str]]:
    found = []
    for path in sorted(WIDGETS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "lazy"):
                arg = node.args[0] if node.args else None
                assert isinstance(arg, ast.Constant) and isinstance(arg.value, str), (
                    f"{path.name}:{node.lineno}: lazy() takes a literal 'module:function'")
                found.append((path.name, arg.value))
    return found


BINDINGS = _bindings()


def test_the_scan_sees_the_bindings() -> None:
    files = {name for name, _ in BINDINGS}
    assert {"review.py", "faces.py", "missing.py", "geo.py", "criteria.py"} <= files
    assert len(BINDINGS) >= 20


@pytest.mark.parametrize(("widget", "target"), BINDINGS, ids=[t for _, t in BINDINGS])
def test_binding_resolves_to_a_callable(widget: str, target: str) -> None:
    module_name, sep, attr = target.partition(":")
    assert sep and attr, f"{widget}: {target!r} is not 'module:function'"
    module = importlib.import_module(module_name)
    assert callable(getattr(module, attr, None)), f"{widget}: {module_name} has no {attr}()"


def test_a_wrong_binding_says_so_when_called() -> None:
    with pytest.raises(DomainUnavailable, match="has no nothing_here"):
        lazy("workbench.review.queue:nothing_here")()
