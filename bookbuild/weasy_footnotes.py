"""WeasyPrint's footnote area, measured once per footnote instead of once per footnote added.

While it lays out a page, WeasyPrint (66-70) lays out the page's whole footnote
area again each time a footnote joins the page or leaves it
(``LayoutContext._update_footnote_area``), only to learn its height, the room
left for the text.  A page with n footnotes lays out n(n+1)/2 of them: the real
book's web-address notes put up to 15 on a page, and this was a third of its
layout.

When the area is a plain stack, its height is the sum of its footnotes'
heights: the area's height is auto and unbounded, and each footnote is a block
of lines with no vertical margins, which cannot collapse with its neighbours.
Then each footnote is laid out once per page, alone in a copy of the area, and
the heights are summed.  Anything else (a max-height on ``@footnote``, footnotes
with margins or with blocks inside, columns) takes WeasyPrint's own way.  Each
page's final footnote area is laid out by WeasyPrint as before: only the
measuring changes.  The PDFs are byte for byte WeasyPrint's own
(``tests/test_pdf_footnotes.py``).

``install()`` replaces the method only if its source is the one this was written
against; another WeasyPrint keeps its own.
"""
from __future__ import annotations

import hashlib
import inspect
from math import inf

# sha256 of the source of LayoutContext._update_footnote_area, the same in WeasyPrint 66 to 70
KNOWN_SOURCE = "2e317e4b066fb80cb369a41cd6f054a127722f9961c18ef4d6e1eef93673c4c1"
_stock = None  # WeasyPrint's own method, once replaced


def install() -> bool:
    """Measure footnote areas by their footnotes from now on, in this process (and those it
    forks); return whether WeasyPrint's method was the one known, and so replaced."""
    global _stock
    from weasyprint.layout import LayoutContext

    if _stock is not None:
        return True
    method = getattr(LayoutContext, "_update_footnote_area", None)
    try:
        source = inspect.getsource(method)
    except (OSError, TypeError):  # gone, or installed without its source
        return False
    if hashlib.sha256(source.encode()).hexdigest() != KNOWN_SOURCE:
        return False
    _stock = method
    LayoutContext._update_footnote_area = _update_footnote_area
    return True


def uninstall() -> None:
    global _stock
    from weasyprint.layout import LayoutContext

    if _stock is not None:
        LayoutContext._update_footnote_area, _stock = _stock, None


def _update_footnote_area(context) -> bool:
    """What WeasyPrint's method does (set the area's height and move the page's bottom above
    it; return whether the last footnote overflows the area), from the footnotes' heights."""
    area, footnotes = context.current_footnote_area, context.current_page_footnotes
    if context.in_column or not footnotes or not _unbounded(area.style):
        return _stock(context)
    heights = [_height(context, area, footnote) for footnote in footnotes]
    if None in heights:
        return _stock(context)
    if area.height != "auto":
        context.page_bottom += area.margin_height()
    area.children = footnotes
    area.height = sum(heights)
    context.page_bottom -= area.margin_height()
    return False  # an unbounded area holds its last footnote


def _unbounded(style) -> bool:
    """Whether the area's height is its content's, whatever that is."""
    return (style["height"] == "auto" and getattr(style["max_height"], "value", None) == inf
            and (style["min_height"] == "auto" or getattr(style["min_height"], "value", None) == 0))


def _height(context, area, footnote) -> float | None:
    """The footnote's height in this page's area, laid out alone once per page; None if it is
    not a block of lines without vertical margins (its height then depends on its neighbours)."""
    from weasyprint.formatting_structure import boxes, build
    from weasyprint.layout.block import block_level_layout

    page_area, known = getattr(context, "_footnote_heights", (None, {}))
    if page_area is not area:  # a new page, or the page made again
        known = {}
        context._footnote_heights = (area, known)
    if id(footnote) in known:
        return known[id(footnote)][1]
    height = None
    if isinstance(footnote, boxes.BlockBox):  # not "footnote-display: inline", which shares lines
        alone = build.create_anonymous_boxes(area.copy_with_children([footnote]).deepcopy())
        laid = block_level_layout(context, alone, -inf, None, area.page)[0]
        child = laid.children[0] if len(laid.children) == 1 else None
        if (child is not None and child.margin_top == 0 and child.margin_bottom == 0
                and all(isinstance(line, boxes.LineBox) for line in child.children)):
            height = laid.height
    known[id(footnote)] = (footnote, height)  # the footnote kept, so that its id is not reused
    return height
