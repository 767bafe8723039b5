"""Other page numbers put into a chunk's drawn PDF, instead of laying the chunk out again.

An edit that adds a page moves every later page: each later chunk then
starts on another page, and its cross-references to later chapters print
other pages.  A chunk's layout is remembered under its HTML with these
numbers masked (``pdf_chunks.without_numbers``), so it is found again; and
where it drew each number (``weasy_numbers.py``) is remembered with it.  When
the chunks are joined, each number that differs from the one drawn gets the
new figures' glyphs in place of the old, in its page's content stream.  A new
number as wide as the old leaves every line where it was, so the page is the
one a new layout would draw, byte for byte (``tests/test_pdf_numbers.py``).

A chunk whose numbers cannot all be changed this way (a new number wider or
narrower than the old, or one not noted where it was drawn) is laid out again.
"""
from __future__ import annotations

import zlib
from collections import Counter

from .pdf_chunks import Shown


def changes(layout, wanted: Shown) -> dict | None:
    """For each number drawn in the chunk's PDF (``layout.numbers``) that differs from what it
    should print (``wanted``), its new text; None if one cannot be changed in the PDF, so the
    chunk must be laid out again: its HTML is not the same but for its numbers, or a number
    that differs was not noted where it was drawn, or is not as wide as the one drawn."""
    laid = layout.shown
    if [number[:2] for number in laid.numbers] != [number[:2] for number in wanted.numbers]:
        return None
    texts = {(kind, name): text for kind, name, text in wanted.numbers}
    differing = {(kind, name) for (kind, name, old), (_, _, new) in zip(laid.numbers, wanted.numbers) if old != new}
    if differing & layout.fixed or (wanted.start != laid.start and ("folio", "") in layout.fixed):
        return None
    # Every place the HTML prints a number that differs must have been noted where it was drawn.
    printed = Counter(number[:2] for number in laid.numbers)
    noted = Counter((number.kind, number.name) for number in layout.numbers)
    if any(noted[key] != printed[key] for key in differing):
        return None
    edits = {}
    for number in layout.numbers:
        new = str(wanted.start + number.page) if number.kind == "folio" else texts[number.kind, number.name]
        if new != number.text:
            glyphs = dict(number.glyphs)
            if len(new) != len(number.text) or any(char not in glyphs for char in new):
                return None
            edits[number] = new
    return edits


def show(pages, edits: dict) -> None:
    """Put each drawn number's new text (``edits``, from ``changes``) into the chunk's ``pages``
    (pikepdf's), glyph for glyph, keeping each content stream compressed as WeasyPrint does."""
    from pikepdf import Name

    from .weasy_numbers import SHOW, glyphs_in

    by_page: dict[int, list] = {}
    for number, new in edits.items():
        by_page.setdefault(number.page, []).append((number, new))
    for page, numbers in by_page.items():
        contents = pages[page].obj.Contents
        data = bytearray(contents.read_bytes())
        ends = [match.end() for match in SHOW.finditer(data)]
        for number, new in numbers:
            end = ends[number.show]
            begin = data.rindex(b"[", 0, end)
            drawn = glyphs_in(bytes(data[begin:end]))[-len(number.text):]
            glyphs = dict(number.glyphs)
            if [g.glyph for g in drawn] != [glyphs[c] for c in number.text]:
                raise ValueError(f"page {page + 1}: the number {number.text!r} is not where it was drawn")
            for g, char in zip(drawn, new):
                data[begin + g.at:begin + g.at + 4] = b"%04x" % glyphs[char]
        compressor = zlib.compressobj(level=9)  # as pydyf compresses
        contents.write(compressor.compress(bytes(data)) + compressor.flush(), filter=Name.FlateDecode)
