"""Find the book's external links, each with every file and line that holds it.

Chapters of every language (``chapters/<lang>/*.md``) are read as written:
Markdown links and images, autolinks ``<https://...>``, bare URLs and raw HTML
``href``/``src``.  Code spans, fenced code and ``{## ... ##}`` comments are
skipped, because readers never see them as links.  Tables (``tables/*.yaml``
and ``tables/<lang>/*.yaml``) are walked value by value: a cell that is a URL,
a source's ``url`` and a link inside a note all count, each on its YAML line.
"""
from __future__ import annotations

import datetime
import html
import re
from pathlib import Path

from .diagnostics import Diagnostic, warning
from .yamlfile import load_yaml, read_text

Locations = dict[str, list[tuple[str, int]]]  # url -> [(path, line), ...] in reading order

_START = re.compile(r"https?://", re.IGNORECASE)
_WHOLE = re.compile(r"https?://\S+", re.IGNORECASE)
_COMMENT = re.compile(r"\{##.*?##\}", re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_TRAILING = ".,;:!?*_'\""


def find_links(root: Path) -> tuple[Locations, list[Diagnostic]]:
    """Every external URL of the chapters and tables, and the problems met reading them."""
    found: Locations = {}
    problems: list[Diagnostic] = []
    for path in sorted((root / "chapters").glob("*/*.md")):
        rel = path.relative_to(root).as_posix()
        text, trouble = read_text(path, rel, "C001")
        problems += trouble
        for url, line in urls_in_markdown(text or ""):
            _add(found, url, rel, line)
    for path in _table_files(root):
        rel = path.relative_to(root).as_posix()
        doc, trouble = load_yaml(path, rel, "T001")
        problems += trouble
        if doc is not None:
            for value, where in _strings(doc.data, ()):
                for url in urls_in_value(value):
                    _add(found, url, rel, doc.line(where))
    return found, problems


def stale_sources(root: Path, max_age_days: int, today: datetime.date) -> list[Diagnostic]:
    """A warning for each table source whose ``checked`` date is more than ``max_age_days`` old."""
    problems = []
    for path in sorted((root / "tables").glob("*.yaml")):
        rel = path.relative_to(root).as_posix()
        doc, _ = load_yaml(path, rel, "T001")  # a broken table is reported by `check`
        sources = doc.data.get("sources") if doc is not None and isinstance(doc.data, dict) else None
        for index, source in enumerate(sources if isinstance(sources, list) else []):
            if not isinstance(source, dict):
                continue
            checked = _date(source.get("checked"))
            if checked is None or (today - checked).days <= max_age_days:
                continue
            title = source.get("title", f"sources[{index}]")
            problems.append(warning(
                "K004", rel, doc.line(("sources", index, "checked")),
                f"source '{title}' was last checked on {checked.isoformat()}, "
                f"more than {max_age_days} days ago",
                f"check the table against {source.get('url', 'the source')}, "
                "then set 'checked:' to the day you did"))
    return problems


def urls_in_markdown(text: str) -> list[tuple[str, int]]:
    """``(url, line)`` for every external URL in a chapter's text."""
    text = _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    found, fence = [], ""
    for number, line in enumerate(text.split("\n"), 1):
        opener = _FENCE.match(line)
        if fence:
            if opener and opener.group(1)[0] == fence[0] and len(opener.group(1)) >= len(fence):
                fence = ""
            continue
        if opener:
            fence = opener.group(1)
            continue
        line = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)
        found += [(url, number) for url in urls_in_line(line)]
    return found


def urls_in_value(value: str) -> list[str]:
    """The URLs in one YAML string: the whole of it when it is one URL, else those in its Markdown."""
    stripped = value.strip()
    if _WHOLE.fullmatch(stripped):
        return [stripped]
    return [url for url, _ in urls_in_markdown(value)]


def urls_in_line(line: str) -> list[str]:
    """The URLs in one line, each ended by what opened it: ``<``, a quote, ``](``, or nothing."""
    urls, at = [], 0
    while (start := _START.search(line, at)) is not None:
        begin = start.start()
        before = line[begin - 1] if begin else " "
        if before == "<":
            end = _find(line, ">", begin)
        elif before in "\"'":
            end = _find(line, before, begin)
        elif before == "(" and line[:begin - 1].endswith("]"):
            end = _paren_end(line, begin, stop_at_space=True)
        else:
            end = _bare_end(line, begin)
        url = line[begin:end]
        if before in "\"'":
            url = html.unescape(url)
        if len(url) > len(start.group(0)):
            urls.append(url)
        at = max(end, start.end())
    return urls


def _find(line: str, char: str, begin: int) -> int:
    end = line.find(char, begin)
    return len(line) if end < 0 else end


def _paren_end(line: str, begin: int, stop_at_space: bool) -> int:
    """Where a URL ends: at whitespace, or at a ``)`` that closes nothing opened inside it."""
    depth = 0
    for index in range(begin, len(line)):
        char = line[index]
        if stop_at_space and char.isspace():
            return index
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                return index
            depth -= 1
    return len(line)


def _bare_end(line: str, begin: int) -> int:
    end = begin
    while end < len(line) and not line[end].isspace() and line[end] not in "<>\"'`":
        end += 1
    end = min(end, _paren_end(line[:end], begin, stop_at_space=False))
    while end > begin and line[end - 1] in _TRAILING:
        end -= 1
    return end


def _table_files(root: Path) -> list[Path]:
    folder = root / "tables"
    return sorted(folder.glob("*.yaml")) + sorted(folder.glob("*/*.yaml"))


def _strings(data, path: tuple):
    """Every string in a YAML document, with its path (the keys are walked too)."""
    if isinstance(data, str):
        yield data, path
    elif isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str):
                yield key, path + (key,)
            yield from _strings(value, path + (key,))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from _strings(item, path + (index,))


def _date(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


def _add(found: Locations, url: str, rel: str, line: int) -> None:
    where = found.setdefault(url, [])
    if (rel, line) not in where:
        where.append((rel, line))
