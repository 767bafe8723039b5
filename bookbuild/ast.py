"""Small helpers to build and walk Pandoc's JSON AST."""
from __future__ import annotations

from typing import Callable


def text_inlines(text: str) -> list[dict]:
    """Plain text as Str/Space inlines."""
    out: list[dict] = []
    for index, word in enumerate(text.split(" ")):
        if index:
            out.append({"t": "Space"})
        if word:
            out.append({"t": "Str", "c": word})
    return out


def span(classes: list[str], inlines: list[dict], ident: str = "", attrs: list[list[str]] | None = None) -> dict:
    return {"t": "Span", "c": [[ident, classes, attrs or []], inlines]}


def link(classes: list[str], inlines: list[dict], target: str) -> dict:
    return {"t": "Link", "c": [["", classes, []], inlines, [target, ""]]}


def stringify(node) -> str:
    if isinstance(node, list):
        return "".join(stringify(n) for n in node)
    if isinstance(node, dict):
        kind = node.get("t")
        if kind == "Str":
            return node["c"]
        if kind in ("Space", "SoftBreak", "LineBreak"):
            return " "
        if kind in ("Code", "Math"):
            return node["c"][-1]
        return stringify(node.get("c", []))
    return ""


def visit(node, fn: Callable[[dict], None]) -> None:
    """Call ``fn`` on every element, in document order (pre-order)."""
    if isinstance(node, dict):
        if "t" in node:
            fn(node)
        for value in node.values():
            if isinstance(value, (list, dict)):
                visit(value, fn)
    elif isinstance(node, list):
        for item in node:
            visit(item, fn)


def replace_inlines(node, fn: Callable[[dict], list[dict] | None]):
    """Rebuild lists, replacing each element ``fn`` returns a list for."""
    if isinstance(node, list):
        out = []
        for item in node:
            new = fn(item) if isinstance(item, dict) and "t" in item else None
            if new is None:
                out.append(replace_inlines(item, fn))
            else:
                out.extend(new)
        return out
    if isinstance(node, dict):
        return {key: replace_inlines(value, fn) for key, value in node.items()}
    return node
