"""Find the line of the chapter source that a diagnostic should point at.

Pandoc's AST has no source positions, so checks that work on the AST look the
offending text up in the chapter as written.
"""
from __future__ import annotations

import re


def find_line(source: str, needle: str, after: int = 0) -> int:
    """The 1-based line after ``after`` where ``needle`` is written."""
    return _first_line(source, [re.escape(needle) + r"(?![\w:-])"], after) or after or 1


def table_call_line(source: str, name: str) -> int:
    """The line of the ``table("name")`` call."""
    return _first_line(source, [_table_call(name)], 0) or 1


def anchor_line(source: str, ident: str, after: int = 0) -> int:
    """The line after ``after`` that defines an id: ``{#id}``, or the ``table()`` call that makes it."""
    patterns = [r"#" + re.escape(ident) + r"(?![\w:-])"]
    if ident.startswith("tbl:"):
        patterns.append(r"id\s*=\s*['\"]" + re.escape(ident) + r"['\"]")
        patterns.append(_table_call(ident[4:]))
    return _first_line(source, patterns, after) or after or 1


def _table_call(name: str) -> str:
    return r"table\(\s*['\"]" + re.escape(name) + r"['\"]"


def _first_line(source: str, patterns: list[str], after: int) -> int:
    lines = source.splitlines()
    for pattern in patterns:
        for number, line in enumerate(lines, 1):
            if number > after and re.search(pattern, line):
                return number
    return 0
