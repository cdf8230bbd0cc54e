"""Reading the package's source as syntax trees, for the tests that police its layout."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import workbench

PACKAGE = Path(workbench.__file__).resolve().parent


def docstring_ids(tree: ast.AST) -> set[int]:
    """ids of the string nodes that are docstrings (prose may name anything freely)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def offenders(scan: Callable[[str], list[str]], skip: Callable[[str], bool]
              ) -> dict[str, list[str]]:
    """``{module path: what scan found}`` over the package's modules not skipped."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if not skip(rel) and (hits := scan(path.read_text(encoding="utf-8"))):
            found[rel] = hits
    return found
