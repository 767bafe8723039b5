"""Stage: from a loaded book to one language edition, parsed and resolved.

Templating, parsing, numbering and resolving all happen here, and every
problem of every chapter is collected before anything is written.  A
translated edition is spliced section by section: translated sections where
they exist, the source text with a notice where they do not.
"""
from __future__ import annotations

import dataclasses
import functools
import re

from . import chapter_stages as stages
from .ast import stringify
from .cache import digest, tool_versions
from .diagnostics import BuildFailed, Diagnostic, error, has_errors, warning
from .locale_text import Formatter
from .model import Book, Chapter, Edition
from .pandoc import read_markdown
from .safety import check_part
from .sourcelines import find_line
from .stamp import make_stamp
from .templating import make_environment, render_chapter, render_template
from .translation import MISSING, TRANSLATED, chapter_status, splice, translation_warnings
from .xrefs import Part


def edition_book(book: Book, lang: str) -> Book:
    """The book as a reader of ``lang`` sees it: its title and its words."""
    if lang == book.config.language:
        return book
    language = book.languages[lang]
    config = dataclasses.replace(book.config, title=language.title, subtitle=language.subtitle,
                                 description=language.description)
    return dataclasses.replace(book, config=config, strings=language.strings)


def make_edition(book: Book, lang: str, epoch: int) -> tuple[Edition | None, list[Diagnostic]]:
    stamp = make_stamp(epoch, lang)
    local = edition_book(book, lang)
    env = make_environment(book.root)
    fmt = Formatter(lang, local.strings)
    texts = book.languages[lang].table_texts if lang in book.languages else {}
    try:
        front = render_template(env, "about.md.j2", book=local.config, s=local.strings, updated=stamp.text)
    except BuildFailed as failed:
        return None, failed.diagnostics
    front_blocks = read_markdown(front, "templates/about.md.j2", book.root)["blocks"]
    prepared = [(stages.Prepared(digest("front", tool_versions(), front), "about", "templates/about.md.j2",
                                 front, [], [], ()), front_blocks)]
    context = stages.context_key(local, lang, texts)
    translations = local.languages[lang].chapters if lang in local.languages else {}
    for chapter in book.chapters:
        theirs = translations.get(chapter.id)
        sources = (chapter.path, chapter.source) + ((theirs.path, theirs.source) if theirs else ())
        prepared.append(stages.prepare(book.root, context, chapter.id, sources,
                                       lambda chapter=chapter: _prepare(env, local, chapter, fmt, texts)))
    problems = [p for prep, _ in prepared for p in prep.problems]
    statuses = [s for prep, _ in prepared for s in prep.statuses]
    if any(prep.failed for prep, _ in prepared) or has_errors(problems):
        return None, problems  # references into a chapter that failed would only add noise
    # Percent of sections up to date, rounded down: 99.9% is not 100%.
    completeness = 100 * _current(statuses) // len(statuses) if statuses else 100
    if lang == book.config.language:
        problems += unused_tables(book, {t for prep, _ in prepared for t in prep.tables_used})
    elif completeness < book.config.translation_minimum:
        return None, problems + [warning(
            "L003", "book.yaml", book.languages[lang].config_line,
            f"the '{lang}' edition is left out: {completeness}% of its sections are up to date, "
            f"translation_minimum is {book.config.translation_minimum}%")]
    numbered, anchors, found = stages.number_all(book.root, prepared, local.strings)
    problems += found
    parts, found = stages.resolve_all(book.root, numbered, anchors, local.strings, lang,
                                      "" if lang == book.config.language else lang)
    problems += found
    if has_errors(problems):
        return None, problems
    return Edition(local, lang, stamp, tuple(parts), anchors, completeness), problems


def _prepare(env, local: Book, chapter: Chapter, fmt, texts):
    """Template, parse and check one chapter; splice its translation over it.

    Returns (its part or None if templating failed, problems, section statuses, tables used)."""
    rendered, problems = render_chapter(env, local, chapter, fmt, texts)
    if rendered is None:
        return None, problems, [], ()

    @functools.cache
    def source_part() -> Part:
        return Part(chapter.id, chapter.path, chapter.source,
                    read_markdown(rendered.markdown, chapter.path, local.root)["blocks"])

    translated = fmt.lang != local.config.language
    opening_id = _plain_opening(rendered.markdown) if translated else None
    # Of the source: a translation is spliced by its sections.  A source that opens plainly
    # passes this check, and is read only if the translation lacks some of it.
    opening = [] if opening_id else _check_opening(source_part())
    statuses: list = []
    if translated and not opening:
        part, found, statuses = _translated(env, local, chapter, source_part, opening_id, fmt, texts)
        problems += found
        opening = _check_opening(part)
    else:
        part = source_part()
    problems += opening
    problems += check_part(part, local.root)
    return part, problems, statuses, rendered.tables_used


def _current(statuses) -> int:
    return sum(s.state == TRANSLATED for s in statuses)


def _translated(env, local: Book, source: Chapter, source_part, opening_id: str | None, fmt, texts):
    """Splice one chapter's translation over its source (``source_part()``), section by section.
    The source is not read when its every section is translated (or stale) and nothing comes
    before its first section: it opens with its heading ``opening_id``.

    Returns the spliced part, its problems, and each section's status."""
    translation = local.languages[fmt.lang].chapters.get(source.id)
    statuses = chapter_status(source.source, translation.source if translation else None)
    if translation is None or all(s.state == MISSING for s in statuses):
        blocks = splice(source_part().blocks, [], statuses, local.strings, local.config.language)
        return Part(source.id, source.path, source.source, blocks), [], statuses
    rendered, problems = render_chapter(env, local, translation, fmt, texts)
    if rendered is None:
        return source_part(), problems, statuses
    theirs = read_markdown(rendered.markdown, translation.path, local.root)["blocks"]
    problems += translation_warnings(source, translation, statuses)
    headings = {block["c"][1][0] for block in theirs if block["t"] == "Header"}
    whole = any(s.id == opening_id for s in statuses) and \
        all(s.state != MISSING and s.id in headings for s in statuses)
    blocks = splice([] if whole else source_part().blocks, theirs, statuses, local.strings, local.config.language)
    return Part(source.id, translation.path, translation.source, blocks), problems, statuses


# A chapter's Markdown that opens (after blank lines only) with '# Title {#sec:id}' and nothing
# else on that line, not indented: its AST opens with that level-1 heading.  No brace, backslash
# or '<' in the title, so no other attribute or a comment can hide there.
_PLAIN_OPENING = re.compile(r"(?:[ \t]*\n)*# [^\n{}\\<]*[^\s{}\\<] \{#(sec:[\w:.-]+)\}[ \t]*(?:\n|$)")
_SITE_PAGE_ID = re.compile(r"#sec:(?:index|about)(?![\w:.-])")


def _plain_opening(markdown: str) -> str | None:
    """The id of the heading a chapter's Markdown opens with, if its text shows that it passes
    ``_check_opening`` (a level-1 'sec:' heading first, no page name taken); else None."""
    found = _PLAIN_OPENING.match(markdown)
    return found.group(1) if found and not _SITE_PAGE_ID.search(markdown) else None


SITE_PAGES = {"index": "its contents page", "about": "its front matter"}  # no chapter may take their names


def _check_opening(part: Part) -> list[Diagnostic]:
    first = part.blocks[0] if part.blocks else None
    if first and first["t"] == "Header" and first["c"][0] == 1 and first["c"][1][0].startswith("sec:"):
        return _check_page_names(part)
    got = f"'{stringify(first)[:40]}'" if first else "an empty chapter"
    return [error("C002", part.path, 1, f"a chapter must open with '# Title {{#sec:id}}', got {got}")]


def _check_page_names(part: Part) -> list[Diagnostic]:
    """A level-1 heading becomes the site page named after its id: sec:index would replace the contents."""
    taken = [block["c"][1][0] for block in part.blocks if block["t"] == "Header" and block["c"][0] == 1
             and block["c"][1][0].removeprefix("sec:") in SITE_PAGES]
    return [error("C006", part.path, find_line(part.source, "{#" + name), f"the id '{name}' would name the site's "
                  f"{name.removeprefix('sec:')}.html, which is {SITE_PAGES[name.removeprefix('sec:')]}",
                  f"choose another id, e.g. {{#{name}-chapter}}") for name in taken]


def unused_tables(book: Book, used: set[str]) -> list[Diagnostic]:
    return [warning("T007", table.path, 1, f"table '{name}' is not used by any chapter",
                    f'show it with {{{{ table("{name}") }}}} in a chapter, or delete it')
            for name, table in sorted(book.tables.items()) if name not in used]
