"""Reading the package's source as syntax trees, for the tests that police its layout."""

from __future__ import annotations

import ast


def docstring_ids(tree: ast.AST) -> set[int]:
    """ids of the string nodes that are docstrings (prose may name anything freely)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found
