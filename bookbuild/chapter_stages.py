"""An edition made chapter by chapter, each step remembered in ``.cache/`` under what it reads.

Every chapter (and the front matter) goes through three steps:

- **prepare**: template, parse, splice the translation, check.  The key covers
  the chapter's text, its translation's, and all that templating reads: the
  book's settings and words, ``templates/``, ``images/`` and the tables.
- **number**: headings, tables and figures are numbered in book order.  The
  key covers the prepared chapter and where numbering stood before it: the
  counters and the ids of the chapters before, not their text.
- **resolve**: cross-references become links; tables and typography are
  finished.  The key covers the numbered chapter and every anchor's number.

So editing one chapter's prose redoes that chapter only; adding a heading
renumbers the chapters after it; a new table number re-resolves the book.
Each result is what a build from scratch makes (``tests/test_cache.py``).
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .ast import stringify, visit
from .cache import digest, get_pickle, has_pickle, put_pickle, tool_versions, tree_digest
from .diagnostics import Diagnostic, has_errors
from .model import Anchor, Book, EditionPart
from .typography import apply_typography
from .xrefs import Numbering, Part, number_part, resolve_part


@dataclass(frozen=True)
class Prepared:
    """A chapter after templating, parsing and checking (its blocks are kept apart)."""
    key: str
    chapter: str
    path: str
    source: str
    problems: list[Diagnostic]
    statuses: list  # its sections' translation states (translated editions only)
    tables_used: tuple[str, ...]
    images: tuple[tuple[str, bool], ...] = ()  # local images it shows, and whether each existed
    failed: bool = False  # templating failed: there are no blocks


def context_key(book: Book, lang: str, texts: dict) -> str:
    """All that templating a chapter reads besides the chapter: one key per edition and build."""
    config = {k: v for k, v in book.config.__dict__.items() if k != "linkcheck"}
    return digest(tool_versions(), lang, repr(config), json.dumps(book.strings, sort_keys=True),
                  tree_digest(book.root / "templates", book.root / "images"),
                  repr(sorted(book.tables.items())), repr(sorted(texts.items())))


def prepare(root: Path, context: str, chapter_id: str, sources: tuple[str, ...], make
            ) -> tuple[Prepared, list | None]:
    """A chapter's prepared form, from the cache or from ``make()`` -> (Part | None, problems,
    statuses, tables_used).  Returns it with its blocks when they were just made."""
    key = digest(context, chapter_id, *sources)
    prepared = get_pickle(root, "prepared", key)
    if prepared is not None and has_pickle(root, "prepared-blocks", key) and \
            all((root / rel).is_file() == there for rel, there in prepared.images):
        return prepared, None  # the checks' verdict on its images still holds
    part, problems, statuses, used = make()
    if part is None:
        return Prepared(key, chapter_id, "", "", problems, statuses, tuple(used), failed=True), None
    prepared = Prepared(key, chapter_id, part.path, part.source, problems, statuses, tuple(used),
                        _local_images(part.blocks, root))
    put_pickle(root, "prepared-blocks", key, part.blocks)
    put_pickle(root, "prepared", key, prepared)
    return prepared, part.blocks


def number_all(root: Path, prepared: list[tuple[Prepared, list | None]], strings: dict
               ) -> tuple[list[tuple[Prepared, str, list | None]], dict[str, Anchor], list[Diagnostic]]:
    """Number every chapter in order.  Returns each chapter with its number key (and its
    numbered blocks when they were just made), every anchor, and the problems."""
    words = json.dumps(strings, sort_keys=True)
    state, state_key = Numbering(), digest("numbering")
    all_ids: set[str] = set()
    anchors: dict[str, Anchor] = {}
    problems: list[Diagnostic] = []
    out = []
    for prep, blocks in prepared:
        key = digest(prep.key, state_key, words)
        numbered = get_pickle(root, "numbered", key)
        numbered = numbered if numbered and has_pickle(root, "numbered-blocks", key) else None
        made = None
        if numbered is None:
            made = blocks if blocks is not None else get_pickle(root, "prepared-blocks", prep.key)
            numbered = number_part(Part(prep.chapter, prep.path, prep.source, made), strings,
                                   state, all_ids, anchors)
            if not numbered.problems:  # a duplicate's message names lines in other chapters
                put_pickle(root, "numbered-blocks", key, made)
                put_pickle(root, "numbered", key, numbered)
        else:
            all_ids.update(numbered.ids)
        anchors.update(numbered.anchors)
        problems += numbered.problems
        state = numbered.end
        state_key = digest(state_key, *numbered.ids, repr(state))
        out.append((prep, key, made))
    return out, anchors, problems


def resolve_all(root: Path, numbered: list[tuple[Prepared, str, list | None]], anchors: dict[str, Anchor],
                strings: dict, lang: str, edition: str) -> tuple[list[EditionPart], list[Diagnostic]]:
    """Resolve every chapter's references and finish it for the writers."""
    numbers = digest(json.dumps(sorted((a.id, a.kind, a.number, a.level) for a in anchors.values())))
    parts: list[EditionPart] = []
    problems: list[Diagnostic] = []
    for prep, number_key, blocks in numbered:
        key = digest(number_key, numbers, lang, edition)
        entry = get_pickle(root, "resolved", key)
        if entry is not None and has_pickle(root, "resolved-blocks", key):
            entry = (dataclasses.replace(entry[0], root=root), entry[1])
        else:
            if blocks is None:
                blocks = get_pickle(root, "numbered-blocks", number_key)
            part, found = resolve_part(Part(prep.chapter, prep.path, prep.source, blocks), anchors,
                                       strings, edition)
            visit(part.blocks, _prepare_table)
            finished = apply_typography(part.blocks, lang)
            shape = outline(finished)
            entry = (EditionPart(prep.chapter, key, shape, page_name(finished, shape), *_outline_facts(shape)), found)
            if not has_errors(found):
                put_pickle(root, "resolved-blocks", key, finished)
                put_pickle(root, "resolved", key, entry)
            entry = (dataclasses.replace(entry[0], made=finished), found)
        parts.append(entry[0])
        problems += entry[1]
    return parts, problems


def outline(blocks: list) -> list:
    """What the rest of the book needs of a chapter: its headings (for the contents and the
    pager), an empty element per id (for links into it) and its images' files (which the
    HTML writer copies).  Nothing else, so that an edit elsewhere in the chapter, a new
    translation notice or an image's new alt text leaves the book's outline as it was."""
    out = []
    for block in blocks:
        if block["t"] == "Header":
            out.append(block)
        elif block["t"] == "Div" and any(_in_outline(el) for el in _elements(block["c"][1])):
            out.append({"t": "Div", "c": [[block["c"][0][0], [], []], outline(block["c"][1])]})
        else:
            for el in _elements(block):
                if el["t"] == "Image":
                    out.append({"t": "Plain", "c": [{"t": "Image", "c": [["", [], []], [], [el["c"][2][0], ""]]}]})
                if element_id(el):
                    out.append({"t": "Div", "c": [[element_id(el), [], []], []]})
    return out


def _outline_facts(shape: list) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """What the writers look up in every chapter's outline, found once: its key, its ids, its images."""
    ids: list[str] = []
    images: list[str] = []

    def note(el: dict) -> None:
        if element_id(el):
            ids.append(element_id(el))
        if el["t"] == "Image":
            images.append(el["c"][2][0])

    visit(shape, note)
    return digest(json.dumps(shape)), tuple(ids), tuple(images)


def _in_outline(el: dict) -> bool:
    return el["t"] in ("Header", "Image") or bool(element_id(el))


def _elements(node) -> list[dict]:
    found: list[dict] = []
    visit(node, lambda el: found.append(el) if _in_outline(el) else None)
    return found


def page_name(blocks: list, shape: list) -> str:
    """The site page a part becomes, if it opens with its one level-1 heading ("" if not)."""
    openings = []
    visit(shape, lambda el: openings.append(el) if el["t"] == "Header" and el["c"][0] == 1 else None)
    if len(openings) != 1 or not blocks or blocks[0] != openings[0]:
        return ""
    return openings[0]["c"][1][0].removeprefix("sec:") + ".html"


def element_id(el: dict) -> str:
    """The id an element carries ("" if none)."""
    content = el.get("c")
    if el["t"] in ("Div", "Span", "CodeBlock", "Table", "Figure", "Code", "Link", "Image"):
        return content[0][0]
    return content[1][0] if el["t"] == "Header" else ""


def _local_images(blocks: list, root: Path) -> tuple[tuple[str, bool], ...]:
    found = []

    def on_image(el):
        if el["t"] == "Image":
            url = el["c"][2][0]
            if not urlsplit(url).scheme:
                rel = unquote(urlsplit(url).path)
                found.append((rel, (root / rel).is_file()))

    visit(blocks, on_image)
    return tuple(found)


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
