"""Only workbench/store/ queries the case database (so a second backend has one place to go)."""

from __future__ import annotations

import ast
import re

from .source_scan import PACKAGE, docstring_ids, offenders

SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|REPLACE INTO|CREATE TABLE|DROP TABLE)\b")
# The missing-person registry is its own database (a folder's registry.db or PostgreSQL),
# not the case database; its store modules own its SQL.
OTHER_DATABASES = {"missing/store.py", "missing/pgstore.py"}


def case_sql(source: str) -> list[str]:
    """SQL text and case-connection use (``case.db``, ``case.query``) in code, not prose."""
    tree = ast.parse(source)
    skip = docstring_ids(tree)
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in skip and SQL.search(node.value)):
            found.append(node.value.strip()[:60])
        elif isinstance(node, ast.Attribute) and node.attr == "db":
            found.append(f"line {node.lineno}: .db")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "query" and isinstance(node.func.value, ast.Name)
              and node.func.value.id == "case"):
            found.append(f"line {node.lineno}: case.query(...)")
    return found


def test_no_case_sql_outside_the_store() -> None:
    found = offenders(case_sql, skip=lambda rel: rel.startswith("store/") or rel in OTHER_DATABASES)
    assert found == {}, f"move these queries into workbench/store/: {found}"


def test_the_scan_finds_sql_and_connection_use() -> None:
    code = ('rows = case.db.execute("SELECT id FROM evidence")\n'
            'frame = case.query(f"DELETE FROM hits WHERE id IN ({marks})")\n')
    found = case_sql(code)
    assert any(f.startswith("SELECT id FROM evidence") for f in found)
    assert any(f.startswith("DELETE FROM hits") for f in found)
    assert "line 1: .db" in found and "line 2: case.query(...)" in found
    assert case_sql('"""Reads with SELECT."""\nhelp = "select the rows"\n') == []


def test_exempt_files_still_exist() -> None:
    # A moved or renamed file must leave the list, or the exemption hides nothing real.
    assert all((PACKAGE / rel).is_file() for rel in OTHER_DATABASES)
