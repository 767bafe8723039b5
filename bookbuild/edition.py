"""Stage: from a loaded book to one language edition, parsed and resolved.

Templating, parsing, numbering and resolving all happen here, and every
problem of every chapter is collected before anything is written.
"""
from __future__ import annotations

from .ast import stringify, visit
from .diagnostics import Diagnostic, error, warning
from .model import Book, Edition
from .pandoc import read_markdown
from .safety import check_part
from .stamp import make_stamp
from .templating import make_environment, render_chapters
from .xrefs import Part, number, resolve


def make_edition(book: Book, lang: str, epoch: int) -> tuple[Edition | None, list[Diagnostic]]:
    stamp = make_stamp(epoch, lang)
    env = make_environment(book.root)
    rendered, problems = render_chapters(book, lang, env)
    front = env.get_template("about.md.j2").render(book=book.config, s=book.strings, updated=stamp.text)
    parts = [Part("about", "templates/about.md.j2", front, read_markdown(front, "templates/about.md.j2")["blocks"])]
    for item in rendered:
        blocks = read_markdown(item.markdown, item.chapter.path)["blocks"]
        part = Part(item.chapter.id, item.chapter.path, item.chapter.source, blocks)
        problems += _check_opening(part)
        problems += check_part(part, book.root)
        parts.append(part)
    if len(rendered) < sum(c.lang == lang for c in book.chapters):
        return None, problems  # references into a chapter that failed would only add noise
    problems += unused_tables(book, rendered, lang)
    anchors, found = number(parts, book.strings)
    problems += found
    parts, found = resolve(parts, anchors, book.strings)
    problems += found
    if any(p.severity == "error" for p in problems):
        return None, problems
    for part in parts:
        visit(part.blocks, _prepare_table)
    ast = {"pandoc-api-version": [1, 23, 1, 1], "meta": {},
           "blocks": [block for part in parts for block in part.blocks]}
    return Edition(book, lang, stamp, ast, anchors), problems


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


def unused_tables(book: Book, rendered, lang: str) -> list[Diagnostic]:
    if lang != book.config.language:
        return []
    used = {name for item in rendered for name in item.tables_used}
    return [warning("T007", table.path, 1, f"table '{name}' is not used by any chapter",
                    f'show it with {{{{ table("{name}") }}}} in a chapter, or delete it')
            for name, table in sorted(book.tables.items()) if name not in used]
