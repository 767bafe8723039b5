"""Stage: from a loaded book to one language edition, parsed and resolved.

Templating, parsing, numbering and resolving all happen here, and every
problem of every chapter is collected before anything is written.  A
translated edition is spliced section by section: translated sections where
they exist, the source text with a notice where they do not.
"""
from __future__ import annotations

import dataclasses

from .ast import stringify, visit
from .diagnostics import Diagnostic, error, has_errors, warning
from .locale_text import Formatter
from .model import Book, Chapter, Edition
from .pandoc import read_markdown
from .safety import check_part
from .stamp import make_stamp
from .templating import make_environment, render_chapter
from .translation import MISSING, TRANSLATED, chapter_status, splice, translation_warnings
from .typography import apply_typography
from .xrefs import Part, number, resolve


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
    front = env.get_template("about.md.j2").render(book=local.config, s=local.strings, updated=stamp.text)
    parts = [Part("about", "templates/about.md.j2", front, read_markdown(front, "templates/about.md.j2", book.root)["blocks"])]
    problems: list[Diagnostic] = []
    used: set[str] = set()
    statuses: list = []  # every section's translation status, for the policy
    for chapter in book.chapters:
        rendered, found = render_chapter(env, local, chapter, fmt, texts)
        problems += found
        if rendered is None:
            continue
        used.update(rendered.tables_used)
        part = Part(chapter.id, chapter.path, chapter.source,
                    read_markdown(rendered.markdown, chapter.path, book.root)["blocks"])
        opening = _check_opening(part)  # of the source: a translation is spliced by its sections
        if lang != book.config.language and not opening:
            part, found, chapter_statuses = _translated(env, local, chapter, part, fmt, texts)
            problems += found
            statuses += chapter_statuses
            opening = _check_opening(part)
        problems += opening
        problems += check_part(part, book.root)
        parts.append(part)
    if len(parts) - 1 < len(book.chapters) or has_errors(problems):
        return None, problems  # references into a chapter that failed would only add noise
    # Percent of sections up to date, rounded down: 99.9% is not 100%.
    completeness = 100 * _current(statuses) // len(statuses) if statuses else 100
    if lang == book.config.language:
        problems += unused_tables(book, used)
    elif completeness < book.config.translation_minimum:
        return None, problems + [warning(
            "L003", "book.yaml", book.languages[lang].config_line,
            f"the '{lang}' edition is left out: {completeness}% of its sections are up to date, "
            f"translation_minimum is {book.config.translation_minimum}%")]
    anchors, found = number(parts, local.strings)
    problems += found
    parts, found = resolve(parts, anchors, local.strings, "" if lang == book.config.language else lang)
    problems += found
    if has_errors(problems):
        return None, problems
    blocks = [block for part in parts for block in part.blocks]
    visit(blocks, _prepare_table)
    blocks = apply_typography(blocks, lang)
    ast = {"pandoc-api-version": [1, 23, 1, 1], "meta": {}, "blocks": blocks}
    return Edition(local, lang, stamp, ast, anchors, completeness), problems


def _current(statuses) -> int:
    return sum(s.state == TRANSLATED for s in statuses)


def _translated(env, local: Book, source: Chapter, source_part: Part, fmt, texts):
    """Splice one chapter's translation over its source, section by section.

    Returns the spliced part, its problems, and each section's status."""
    translation = local.languages[fmt.lang].chapters.get(source.id)
    statuses = chapter_status(source.source, translation.source if translation else None)
    if translation is None or all(s.state == MISSING for s in statuses):
        blocks = splice(source_part.blocks, [], statuses, local.strings, local.config.language)
        return Part(source.id, source.path, source.source, blocks), [], statuses
    rendered, problems = render_chapter(env, local, translation, fmt, texts)
    if rendered is None:
        return source_part, problems, statuses
    theirs = read_markdown(rendered.markdown, translation.path, local.root)["blocks"]
    problems += translation_warnings(source, translation, statuses)
    blocks = splice(source_part.blocks, theirs, statuses, local.strings, local.config.language)
    return Part(source.id, translation.path, translation.source, blocks), problems, statuses


def _prepare_table(el) -> None:
    """Let each format lay out table columns by their content (Pandoc would
    otherwise fix widths from the Markdown source's line lengths), and label
    each body cell with its column, so a phone can show a row as a card."""
    if el["t"] != "Table":
        return
    for spec in el["c"][2]:
        spec[1] = {"t": "ColWidthDefault"}
    head_rows = el["c"][3][1]
    labels = [stringify(cell[4]) for cell in head_rows[-1][1]] if head_rows else []
    for body in el["c"][4]:
        for row in body[3]:
            for label, cell in zip(labels, row[1]):
                cell[0][2].append(["data-label", label])


def _check_opening(part: Part) -> list[Diagnostic]:
    first = part.blocks[0] if part.blocks else None
    if first and first["t"] == "Header" and first["c"][0] == 1 and first["c"][1][0].startswith("sec:"):
        return []
    got = f"'{stringify(first)[:40]}'" if first else "an empty chapter"
    return [error("C002", part.path, 1, f"a chapter must open with '# Title {{#sec:id}}', got {got}")]


def unused_tables(book: Book, used: set[str]) -> list[Diagnostic]:
    return [warning("T007", table.path, 1, f"table '{name}' is not used by any chapter",
                    f'show it with {{{{ table("{name}") }}}} in a chapter, or delete it')
            for name, table in sorted(book.tables.items()) if name not in used]
