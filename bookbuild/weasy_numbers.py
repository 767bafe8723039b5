"""Where WeasyPrint draws a chunk's page numbers, so that another number can take their place.

A chunk prints page numbers: its folios, its cross-references' "page 11",
and, in the front matter, the contents' pages.  When an edit moves a later
page, those numbers change and nothing else on the chunk's pages does, as
long as each new number is as wide as the old (the book's figures are
tabular).  So, while WeasyPrint draws the chunk, this notes which
text-showing operator of which page draws each number, and which glyph each
figure would be; the join (``pdf_numbers.py``) then puts the new figures'
glyphs in place of the old, in the chunk's PDF, instead of laying it out again.

The font subsets are given every figure (and the figure space, which pads
the contents' numbers) in the numbers' fonts, with their widths and their
text, so a PDF whose numbers were changed is the one a new layout would draw.

A number is noted only if all is as this expects, checked on what was drawn:
the figures shaped one glyph each, in one font, all as wide; the number's
glyphs at the end of the last operator that drew its text box; on the page's
own content, not in a group.  Otherwise it is left out, and a chunk whose
left-out number must change is laid out again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .pdf_chunks import FIGURE_SPACE
from .pdf_renumber import NBSP, _page_of, _text_boxes, folio_boxes

FIGURES = "0123456789"
SHOW = re.compile(rb"\] TJ(?=\n|$)")  # how pydyf ends the operator that shows a glyph array


@dataclass(frozen=True)
class DrawnNumber:
    kind: str  # "folio", "xrefs" (a cross-reference's page) or "toc" (a contents entry's)
    name: str  # the anchor whose page it prints ("" for a folio)
    page: int  # the chunk's page it is on, from 0
    show: int  # which glyph-array operator (TJ) of the page's content ends with it, from 0
    text: str  # as drawn
    glyphs: tuple[tuple[str, int], ...]  # each character it may be made of, and its glyph


def write_noting_numbers(document, write) -> tuple[bytes, tuple[DrawnNumber, ...], frozenset]:
    """``write()`` the laid-out ``document``'s PDF; return it, where it drew its page numbers,
    and the numbers it printed that cannot be changed in it: ("folio", "") for its folios,
    else (kind, anchor)."""
    import weasyprint.document
    import weasyprint.draw.text as text_module

    wanted, fixed = _number_boxes(document)
    streams: list = []  # each page's content, in order
    drawn: dict[int, tuple] = {}  # id(box) -> (stream, items before its end, glyphs)
    shaped: dict = {}  # the figures' shapings, by style
    draw_first_line, paint = text_module.draw_first_line, weasyprint.document.Page.paint

    def noting_paint(page, stream, scale=1):
        streams.append(stream)
        return paint(page, stream, scale)

    def noting_first_line(stream, textbox, *args):
        target = wanted.get(id(textbox))
        glyphs = _give_figures(stream, textbox, target[0], shaped) if target else None
        emojis = draw_first_line(stream, textbox, *args)
        if target and glyphs:
            drawn[id(textbox)] = (stream, len(stream.stream), glyphs)
        return emojis

    text_module.draw_first_line, weasyprint.document.Page.paint = noting_first_line, noting_paint
    try:
        pdf = write()
    finally:
        text_module.draw_first_line, weasyprint.document.Page.paint = draw_first_line, paint
    counted: dict[int, list[int]] = {}

    def shows_before(stream) -> list[int]:  # as the join counts them, in the content pydyf writes
        if id(stream) not in counted:
            counts = counted[id(stream)] = [0]
            for item in stream.stream:
                counts.append(counts[-1] + len(SHOW.findall(_bytes(item))))
        return counted[id(stream)]

    numbers = []
    for key, (kind, name, page, text) in wanted.items():
        number = _as_drawn(kind, name, page, text, drawn.get(key), streams, shows_before)
        if number is None:
            fixed.add((kind, "" if kind == "folio" else name))
        else:
            numbers.append(number)
    return pdf, tuple(sorted(numbers, key=lambda n: (n.page, n.show))), frozenset(fixed)


def _number_boxes(document) -> tuple[dict[int, tuple[str, str, int, str]], set]:
    """The text boxes that print page numbers: id(box) -> (kind, anchor, page, number); and the
    numbers that cannot be changed (copied into a running head or the outline, or a margin box
    that prints its page's number with other text)."""
    wanted, fixed = {}, set()
    for index, page in enumerate(document.pages):
        margins = folio_boxes(page)
        if margins is None:
            fixed.add(("folio", ""))
        wanted.update((id(box), ("folio", "", index, box.text)) for boxes in margins or () for box in boxes)
        for box, copied in _text_boxes(page._page_box, False):
            kind, name = _page_of(box)
            if not kind:
                continue
            if kind == "xrefs" and NBSP not in box.text or kind == "toc" and not any(c.isdigit() for c in box.text):
                continue  # the first line of a reference split over two (" ", "on"), or a leader's dots
            number = box.text.rpartition(NBSP)[2] if kind == "xrefs" else box.text
            if copied or not number.strip(FIGURE_SPACE).isdigit():
                fixed.add((kind, name))
            else:
                wanted[id(box)] = (kind, name, index, number)
    return wanted, fixed


# The properties a text's shaping reads (WeasyPrint's ``Layout.setup`` and ``set_text``)
_SHAPING = ("direction", "font_language_override", "lang", "font_family", "font_style", "font_stretch",
            "font_weight", "font_size", "font_variation_settings", "font_kerning", "font_variant_ligatures",
            "font_variant_position", "font_variant_caps", "font_variant_numeric", "font_variant_alternates",
            "font_variant_east_asian", "font_feature_settings", "letter_spacing", "word_spacing")


def _give_figures(stream, textbox, kind: str, shaped: dict) -> dict[str, int] | None:
    """Each character a number of ``kind`` may be made of, and its glyph in ``textbox``'s font,
    added to the PDF font's subset; None if they are not one glyph each, in one font, all as
    wide whatever their neighbours (no kerning between figures, or between a figure and the
    no-break space before a cross-reference's number).  ``shaped`` keeps the shapings of one
    document, by style."""
    from weasyprint.text.ffi import FROM_UNITS, pango

    key = (kind, id(textbox.style.font_config), *(repr(textbox.style[name]) for name in _SHAPING))
    if key not in shaped:
        shaped[key] = _shape_figures(textbox.style, kind)
    if shaped[key] is None:
        return None
    glyphs, pango_font, _ = shaped[key]
    font, font_size = stream.add_font(pango_font)
    if pango.pango_version() < 14802 or font.png or font.bitmap:
        return None
    widths = set()
    for char, glyph in glyphs.items():
        if glyph not in font.widths:  # as draw_first_line finds a glyph's width
            pango.pango_font_get_glyph_extents(pango_font, glyph, stream.ink_rect, stream.logical_rect)
            font.widths[glyph] = round(stream.logical_rect.width * 1000 * FROM_UNITS / font_size)
        font.to_unicode.setdefault(glyph, char)
        widths.add(font.widths[glyph])
    return glyphs if len(widths) == 1 else None


def _shape_figures(style, kind: str):
    """(each character's glyph, the font, the layout that holds it) for the characters of a
    number of ``kind``, shaped with every pair of them side by side; None unless each is one
    glyph, in one font, with one width wherever it stands, and every figure as wide."""
    from weasyprint.text.ffi import ffi, pango
    from weasyprint.text.line_break import create_layout

    alphabet = FIGURES + (FIGURE_SPACE if kind == "toc" else "")
    pairs = alphabet + (NBSP if kind == "xrefs" else "")
    sample = "".join(a + b for a in pairs for b in pairs)
    layout = create_layout(sample, style, None, None, 0)
    line, _ = layout.get_first_line()
    run = line.runs[0]
    if run == ffi.NULL or run.next != ffi.NULL:
        return None
    item = run.data
    shaped = [(g.glyph, g.geometry.width, g.geometry.x_offset, g.geometry.y_offset)
              for g in item.glyphs.glyphs[0:item.glyphs.num_glyphs]]
    if len(shaped) != len(sample) or any(glyph & pango.PANGO_GLYPH_UNKNOWN_FLAG or x or y
                                         for glyph, _, x, y in shaped):
        return None
    found: dict[str, set] = {}
    for char, (glyph, width, _, _) in zip(sample, shaped):
        found.setdefault(char, set()).add((glyph, width))
    if any(len(kinds) != 1 for kinds in found.values()) or len({next(iter(found[c]))[1] for c in alphabet}) != 1:
        return None
    return {char: next(iter(found[char]))[0] for char in alphabet}, item.item.analysis.font, layout


def _as_drawn(kind: str, name: str, page: int, text: str, drawn, streams: list, shows_before) -> DrawnNumber | None:
    """The number, if it was drawn as expected: on its page's own content, its glyphs at the
    end of the last glyph array drawn for its box, each followed by the same adjustment.
    ``shows_before(stream)[i]``: how many glyph arrays the stream's first i items show."""
    if drawn is None or page >= len(streams) or drawn[0] is not streams[page]:
        return None
    stream, end, glyphs = drawn
    last = _bytes(stream.stream[end - 1]) if end else b""
    if not last.endswith(b"] TJ") or any(char not in glyphs for char in text):
        return None
    tail = glyphs_in(last[last.rindex(b"["):])[-len(text):]
    if [g.glyph for g in tail] != [glyphs[char] for char in text] or len({g.after for g in tail}) != 1:
        return None
    return DrawnNumber(kind, name, page, shows_before(stream)[end] - 1, text, tuple(sorted(glyphs.items())))


def _bytes(item) -> bytes:
    return item if isinstance(item, bytes) else str(item).encode()  # as pydyf writes it


_TOKEN = re.compile(rb"<([0-9a-fA-F]*)>|(-?[0-9.]+)")


@dataclass
class Glyph:
    """A glyph of a glyph array (``[<0012 0034> -5 <0056>] TJ``), as written."""
    at: int  # where its four hex digits start in the array
    glyph: int
    after: bytes | None = None  # the adjustment written after it, if any


def glyphs_in(array: bytes) -> list[Glyph]:
    found: list[Glyph] = []
    for match in _TOKEN.finditer(array):
        if match.group(1) is not None:
            start, hexes = match.start(1), match.group(1)
            found += [Glyph(start + at, int(hexes[at:at + 4], 16)) for at in range(0, len(hexes), 4)]
        elif found and found[-1].after is None:
            found[-1].after = match.group(2)
    return found
