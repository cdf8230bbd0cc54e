"""The shape ARCHITECTURE.md describes: no import circles, and the domain never imports the
layers above it (widgets, the CLI, dashboards, the review queue).

The import graph is read from the source (ast), not by importing, so the test is fast and
sees imports inside functions too (the lazy ones that keep ``import workbench`` cheap).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import workbench

PACKAGE = Path(workbench.__file__).resolve().parent
UPPER = ("workbench.widgets", "workbench.cli", "workbench.apps", "workbench.review")
# Lazy (inside a function) import circles that remain, each with why. A circle found must
# lie inside one of these groups; a new one fails the test.
KNOWN_LAZY_CIRCLES = {
    # Case.audit checks the acting user's role inside its write transaction (so a refused
    # action rolls back), and auth reads its users and sessions through the store.
    frozenset({"workbench", "workbench.store", "workbench.store.case", "workbench.store.runs",
               "workbench.store.users", "workbench.auth.identity", "workbench.auth.users"}),
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _type_checking_blocks(tree: ast.AST) -> set[int]:
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for n in ast.walk(node)}
    return skip


def import_graph(lazy: bool) -> dict[str, set[str]]:
    """module -> workbench modules it imports (at import time, or also inside functions)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_blocks(tree)
        nodes = ast.walk(tree) if lazy else iter(tree.body)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in nodes:
            if id(node) in skip:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                subs = [f"{node.module}.{a.name}" for a in node.names
                        if f"{node.module}.{a.name}" in MODULES]
                targets = subs or [node.module]
                # Importing a submodule runs its package's __init__ first, unless the
                # importer is inside that package (which is then already initialising).
                if subs and not (package + ".").startswith(node.module + "."):
                    targets.append(node.module)
            for target in targets:
                found = _resolve(target) if target.startswith("workbench") else None
                if found and found != name:
                    graph[name].add(found)
    return graph


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(group)

    for module in sorted(set(graph) | {t for targets in graph.values() for t in targets}):
        if module not in index:
            visit(module)
    return found


def test_no_import_circle_at_import_time() -> None:
    assert circles(import_graph(lazy=False)) == []


def test_lazy_import_circles_are_only_the_known_ones() -> None:
    unknown = [sorted(c) for c in circles(import_graph(lazy=True))
               if not any(c <= known for known in KNOWN_LAZY_CIRCLES)]
    assert unknown == [], "new import circle(s); break them (see ARCHITECTURE.md)"


def test_the_domain_never_imports_widgets_cli_dashboards_or_review() -> None:
    upward = {(m, t) for m, targets in import_graph(lazy=True).items()
              if not m.startswith(UPPER) for t in targets if t.startswith(UPPER)}
    assert upward == set()


def test_the_graph_sees_lazy_imports_and_circles() -> None:
    lazy, eager = import_graph(lazy=True), import_graph(lazy=False)
    # store.case asks auth for the acting user inside a method, never at import time
    assert "workbench.auth.identity" in lazy["workbench.store.case"]
    assert "workbench.auth.identity" not in eager["workbench.store.case"]
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
