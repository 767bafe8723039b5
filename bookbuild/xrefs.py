"""Stage: number sections, tables and figures, then resolve cross-references.

Two passes, as pandoc-tablenos does it: first every anchor in the whole book
is collected and numbered; then every ``@sec:``/``@tbl:``/``@fig:`` citation is
replaced by a link with numbered text in the edition's words.  Links point at
``#id``; Pandoc's EPUB and chunked-HTML writers retarget them to the right
file, and the PDF is one document.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from .ast import link, replace_inlines, span, text_inlines, visit
from .diagnostics import Diagnostic, error
from .model import Anchor
from .sourcelines import anchor_line, find_line

KINDS = ("sec", "tbl", "fig")
NUMBERED_LEVELS = 3
NBSP = "\u00a0"


@dataclass(frozen=True)
class Part:
    """One chapter's blocks, with where they came from."""
    chapter: str
    path: str
    source: str
    blocks: list


@dataclass(frozen=True)
class Numbering:
    """Where numbering stands between two parts: the heading counters and the serials."""
    counters: tuple[int, ...] = (0,) * 6
    tables: int = 0
    figures: int = 0


@dataclass(frozen=True)
class NumberedPart:
    """What numbering one part added: its anchors, every id it holds, and where numbering ends."""
    anchors: dict[str, Anchor]
    ids: tuple[str, ...]
    end: Numbering
    problems: list[Diagnostic]


def number(parts: list[Part], strings: dict) -> tuple[dict[str, Anchor], list[Diagnostic]]:
    """Pass 1: number headings, tables and figures in place; collect anchors."""
    anchors: dict[str, Anchor] = {}
    problems: list[Diagnostic] = []
    all_ids: set[str] = set()
    state = Numbering()
    for part in parts:
        numbered = number_part(part, strings, state, all_ids, anchors)
        anchors.update(numbered.anchors)
        problems += numbered.problems
        state = numbered.end
    return anchors, problems


def number_part(part: Part, strings: dict, start: Numbering, all_ids: set[str],
                anchors: dict[str, Anchor]) -> NumberedPart:
    """Number one part in place, after the parts whose anchors are given.

    ``all_ids`` holds every id of the earlier parts; this part's are added to it."""
    counters = list(start.counters)
    serial = {"tbl": start.tables, "fig": start.figures}
    ids = (all_ids, [])  # every id so far, and those this part adds
    found: dict[str, Anchor] = {}
    problems: list[Diagnostic] = []

    def on_element(el):
        kind = el["t"]
        if kind == "Header":
            level, attr, inlines = el["c"]
            numbered = "unnumbered" not in attr[1] and level <= NUMBERED_LEVELS
            label = ""
            if numbered:
                counters[level - 1] += 1
                counters[level:] = [0] * (6 - level)
                label = ".".join(str(n) for n in counters[:level])
                inlines[:0] = [span(["header-section-number"], [{"t": "Str", "c": label}]),
                               {"t": "Space"}]
            _register(attr, "sec", label, level, part, (anchors, found), ids, problems)
        elif kind == "Table" and el["c"][0][0].startswith("tbl:"):
            serial["tbl"] += 1
            label = str(serial["tbl"])
            _caption_label(el["c"][1], strings["table"], label)
            _register(el["c"][0], "tbl", label, 0, part, (anchors, found), ids, problems)
        elif kind == "Figure" and el["c"][0][0].startswith("fig:"):
            serial["fig"] += 1
            label = str(serial["fig"])
            _caption_label(el["c"][1], strings["figure"], label)
            _register(el["c"][0], "fig", label, 0, part, (anchors, found), ids, problems)
        elif kind in ("Div", "Span", "CodeBlock", "Table", "Figure") and el["c"][0][0]:
            _register(el["c"][0], "", "", 0, part, (anchors, found), ids, problems)

    visit(part.blocks, on_element)
    return NumberedPart(found, tuple(ids[1]),
                        Numbering(tuple(counters), serial["tbl"], serial["fig"]), problems)


def _register(attr, kind, label, level, part, anchors: tuple[dict, dict], ids: tuple[set, list],
              problems) -> None:
    """Record an id.  ``anchors`` is (earlier parts' anchors, this part's, which receives
    it); ``ids`` is (every id so far, this part's), and both receive it."""
    earlier, own = anchors
    all_ids, added = ids
    ident = attr[0]
    if not ident:
        return
    prefix = ident.split(":", 1)[0] if ":" in ident else ""
    if ident in all_ids:
        if prefix in KINDS:
            first = own.get(ident) or earlier.get(ident)
            where = f" (first at {first.path}:{first.line})" if first else ""
            after = first.line if first and first.path == part.path else 0
            problems.append(error("X002", part.path, anchor_line(part.source, ident, after),
                                  f"duplicate id '{ident}'{where}",
                                  "every section, table and figure id must be unique in the book"))
        else:  # an automatic id that collides across chapters: make it unique
            n = 1
            while f"{ident}-{n}" in all_ids:
                n += 1
            attr[0] = ident = f"{ident}-{n}"
            all_ids.add(ident)
            added.append(ident)
        return
    all_ids.add(ident)
    added.append(ident)
    if prefix in KINDS and (prefix == kind or kind == ""):
        own[ident] = Anchor(ident, prefix, label, level, part.path, part.chapter,
                            anchor_line(part.source, ident))


def _caption_label(caption, word: str, label: str) -> None:
    blocks = caption[1]
    prefix = [span(["caption-label"], [{"t": "Str", "c": f"{word}{NBSP}{label}:"}]), {"t": "Space"}]
    if blocks and blocks[0]["t"] in ("Plain", "Para"):
        blocks[0]["c"][:0] = prefix
    else:
        blocks.insert(0, {"t": "Plain", "c": prefix[:1]})


def resolve(parts: list[Part], anchors: dict[str, Anchor], strings: dict, edition: str = ""
            ) -> tuple[list[Part], list[Diagnostic]]:
    """Pass 2: replace cross-reference citations by numbered links."""
    resolved, problems = [], []
    for part in parts:
        done, found = resolve_part(part, anchors, strings, edition)
        resolved.append(done)
        problems += found
    return resolved, problems


def resolve_part(part: Part, anchors: dict[str, Anchor], strings: dict, edition: str = ""
                 ) -> tuple[Part, list[Diagnostic]]:
    """Pass 2 for one part: its citations become numbered links to ``anchors``.

    ``edition`` names a translated edition in messages: a target can exist in
    the source and still be missing from a translation."""
    where = f" in the '{edition}' edition" if edition else ""
    problems: list[Diagnostic] = []
    cited: dict[str, int] = {}  # how often each id has been cited so far

    def line_of(ident: str, nth: int) -> int:
        """The line of the ``nth`` citation of ``ident`` (from 1): looked up for a diagnostic
        only, as it reads the chapter line by line."""
        line = 0
        for _ in range(nth):
            line = find_line(part.source, "@" + ident, after=line)
        return line

    def on_cite(el):
        if el["t"] != "Cite":
            return None
        links = []
        for citation in el["c"][0]:
            ident = citation["citationId"]
            cited[ident] = cited.get(ident, 0) + 1
            line = functools.partial(line_of, ident, cited[ident])
            prefix = ident.split(":", 1)[0] if ":" in ident else ""
            if prefix not in KINDS:
                problems.append(error("X003", part.path, line(),
                                      f"'@{ident}' is not a cross-reference",
                                      r"use @sec:, @tbl: or @fig:, or write \@ for a literal @"))
                continue
            anchor = anchors.get(ident)
            if anchor is None:
                problems.append(error("X001", part.path, line(), f"unknown cross-reference target '{ident}'{where}",
                                      _suggest(ident, anchors)))
                continue
            links.append(link(["xref"], text_inlines(_words(anchor, strings)), "#" + ident))
        return _join(links, strings) if links else el["c"][1]

    return Part(part.chapter, part.path, part.source, replace_inlines(part.blocks, on_cite)), problems


def _words(anchor: Anchor, strings: dict) -> str:
    if anchor.kind == "sec":
        word = strings["chapter"] if anchor.level == 1 else strings["section"]
    else:
        word = strings["table"] if anchor.kind == "tbl" else strings["figure"]
    return f"{word}{NBSP}{anchor.number}" if anchor.number else word


def _join(links: list[dict], strings: dict) -> list[dict]:
    out: list[dict] = []
    for index, item in enumerate(links):
        if index:
            last = index == len(links) - 1
            out += [{"t": "Str", "c": ","}] if not last and len(links) > 2 else []
            out += [{"t": "Space"}] + ([{"t": "Str", "c": strings["and"]}, {"t": "Space"}] if last else [])
        out.append(item)
    return out


def _suggest(ident: str, anchors: dict[str, Anchor]) -> str:
    import difflib

    close = difflib.get_close_matches(ident, list(anchors), n=1)
    return f"did you mean '{close[0]}'?" if close else ""
