"""Translations, section by section: which parts are current, stale or missing.

A chapter is split into sections at its headings that carry a ``{#sec:...}``
id.  Each translated section records the hash of the source section it
translates, in a comment under its heading::

    ## Vacances-travail {#sec:iec-working-holiday}
    {## source: 3f2a9c1b0d4e ##}

When the source section changes, its hash changes and only that translated
section goes stale.  Whitespace and template comments do not count.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

HEADING = re.compile(r"^#{1,6}\s.*\{[^}]*#(sec:[\w:.-]+)[^}]*\}\s*$")
MARKER = re.compile(r"\{##\s*source:\s*([\w-]+)\s*##\}")
COMMENT = re.compile(r"\{##.*?##\}", re.S)

TRANSLATED, STALE, MISSING = "translated", "stale", "missing"


@dataclass(frozen=True)
class Section:
    id: str
    line: int  # line of its heading
    text: str  # heading and body, as written


@dataclass(frozen=True)
class SectionStatus:
    id: str
    state: str  # translated, stale or missing
    current: str  # hash of the source section now
    recorded: str  # hash the translation says it translates ("" if none)
    line: int  # line of the heading in the translation (0 if missing)


def split_sections(source: str) -> list[Section]:
    sections: list[Section] = []
    current: list[str] = []
    ident, start = None, 0
    for number, line in enumerate(source.splitlines(), 1):
        match = HEADING.match(line)
        if match:
            if ident:
                sections.append(Section(ident, start, "\n".join(current)))
            ident, start, current = match.group(1), number, []
        if ident:
            current.append(line)
    if ident:
        sections.append(Section(ident, start, "\n".join(current)))
    return sections


def section_hash(section: Section) -> str:
    text = COMMENT.sub("", section.text)
    lines = [line.rstrip() for line in text.splitlines()]
    normal = re.sub(r"\n{2,}", "\n\n", "\n".join(lines)).strip()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:12]


def chapter_status(source: str, translated: str | None) -> list[SectionStatus]:
    theirs = {s.id: s for s in split_sections(translated or "")}
    statuses = []
    for section in split_sections(source):
        current = section_hash(section)
        mine = theirs.get(section.id)
        if mine is None:
            statuses.append(SectionStatus(section.id, MISSING, current, "", 0))
            continue
        marker = MARKER.search(mine.text)
        recorded = marker.group(1) if marker else ""
        state = TRANSLATED if recorded == current else STALE
        statuses.append(SectionStatus(section.id, state, current, recorded, mine.line))
    return statuses


def extra_sections(source: str, translated: str) -> list[Section]:
    """Sections of a translation that its source does not have."""
    ids = {s.id for s in split_sections(source)}
    return [s for s in split_sections(translated) if s.id not in ids]


def accept(source: str, translated: str, ids: set[str] | None) -> str:
    """Record the current source hash in the translation's sections ``ids`` (all if None)."""
    hashes = {s.id: section_hash(s) for s in split_sections(source)}
    out = []
    lines = translated.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        out.append(line)
        match = HEADING.match(line)
        if match and match.group(1) in hashes and (ids is None or match.group(1) in ids):
            marker = f"{{## source: {hashes[match.group(1)]} ##}}"
            if index + 1 < len(lines) and MARKER.search(lines[index + 1]):
                index += 1  # replace the old marker
            out.append(marker)
        index += 1
    return "\n".join(out) + ("\n" if translated.endswith("\n") else "")


def splice(source_blocks: list, their_blocks: list, statuses: list[SectionStatus], strings: dict,
           source_lang: str) -> list:
    """The translated chapter: their sections where present, the source's with a notice where not."""
    ids = {s.id for s in statuses}
    mine, theirs = _by_section(source_blocks, ids), _by_section(their_blocks, ids)
    blocks = list(mine.get(None, []))
    for status in statuses:
        if status.state == MISSING or status.id not in theirs:
            header, *body = mine.get(status.id, [None])
            fallback = [_notice("untranslated", strings["untranslated"])]
            if body:
                fallback.append({"t": "Div", "c": [["", ["source-text"], [["lang", source_lang]]], body]})
            blocks += ([header] if header else []) + fallback
        else:
            header, *body = theirs[status.id]
            notice = [_notice("stale", strings["stale"])] if status.state == STALE else []
            blocks += [header, *notice, *body]
    return blocks


def _by_section(blocks: list, ids: set[str]) -> dict:
    sections: dict = {}
    current = None
    for block in blocks:
        if block["t"] == "Header" and block["c"][1][0] in ids:
            current = block["c"][1][0]
        sections.setdefault(current, []).append(block)
    return sections


def _notice(kind: str, text: str) -> dict:
    from .ast import text_inlines

    return {"t": "Div", "c": [["", ["translation-notice", kind], [["role", "note"]]],
                              [{"t": "Para", "c": text_inlines(text)}]]}


_REFS = re.compile(r"@((?:sec|tbl|fig):[\w:.-]*\w)")
_TABLES = re.compile(r"""table\(\s*["']([\w-]+)["']""")


def translation_warnings(source, translation, statuses: list[SectionStatus]) -> list:
    """L002/L004: what a translated chapter lacks, or has extra, compared with its source."""
    from .diagnostics import warning

    problems = []
    theirs = {s.id: s for s in split_sections(translation.source)}
    for section in split_sections(source.source):
        mine = theirs.get(section.id)
        if mine is None:
            problems.append(warning("L002", translation.path, 1,
                                    f"section '{section.id}' of {source.path} is not in the translation",
                                    "readers see the original text with a notice until it is translated"))
            continue
        for pattern, what in ((_TABLES, "table"), (_REFS, "reference to")):
            for name in sorted(set(pattern.findall(section.text)) - set(pattern.findall(mine.text))):
                problems.append(warning("L002", translation.path, mine.line,
                                        f"section '{section.id}' lacks the {what} '{name}' that its source has"))
    for extra in extra_sections(source.source, translation.source):
        problems.append(warning("L004", translation.path, extra.line,
                                f"section '{extra.id}' is not in the source {source.path}",
                                "a translation keeps the source's section ids"))
    return problems
