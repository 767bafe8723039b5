"""Page numbers put into a chunk WeasyPrint has laid out, without laying it out again.

A chunk is laid out before the pages of its own anchors are known: "Table 1
on page 00"; and sometimes before its first page is known.  Once its layout
says the table is on page 11, the chunk would have to be laid out again only
to print "11".  Yet if "11" is exactly as wide as "00" (the book's figures
are tabular), every line and page breaks where it did: only the text
changes.  So the text is changed in the laid-out boxes, before the PDF is
drawn, and the PDF is the one a layout of the renumbered HTML would draw.
The same goes for the page numbers in the margins (a chapter starts on a
recto wherever it starts, so its pages' sides do not change).

Refused (the chunk is then laid out again) when a new number is wider or
narrower than the old, when a reference is not found where it should be, or
when it is inside something that copies its text elsewhere (a heading feeds
the running head and the PDF's outline).
"""
from __future__ import annotations

from .pdf_chunks import PLACEHOLDER

XREF_CLASS = "xref-page"
NBSP = "\u00a0"  # "page" and its number are never split over two lines
FOLIO = (("counter()", ("page", "decimal")),)  # a margin box's content: the page's number


def renumber(document, old_start: int, new_start: int, old: dict[str, int], new: dict[str, int]) -> bool:
    """Number the laid-out ``document``'s pages from ``new_start`` instead of ``old_start``, and
    change each cross-reference to an anchor in ``new`` from its number in ``old`` (or the
    placeholder) to its number in ``new``.  Returns False, with nothing changed, if that could
    move anything on a page."""
    edits = _folios(document, old_start, new_start)
    changed = {name: (str(old.get(name, PLACEHOLDER)), str(page)) for name, page in new.items()
               if str(old.get(name, PLACEHOLDER)) != str(page)}
    found = set()
    for page in document.pages if changed and edits is not None else ():
        for box, copied in _text_boxes(page._page_box, False):
            element = box.element
            if element is None or element.get("class") != XREF_CLASS or element.get("data-page-of") not in changed:
                continue
            before, after = changed[element.get("data-page-of")]
            if not box.text.endswith(NBSP + before):
                continue  # the first line of a reference split over two
            if copied:
                return False
            edits.append((box, box.text[:-len(before)] + after))
            found.add(element.get("data-page-of"))
    if edits is None or found != set(changed) or any(_width(b.text, b.style) != _width(t, b.style) for b, t in edits):
        return False
    for box, text in edits:
        box.text = box.pango_layout.text = text  # the PDF's drawing shapes the text again from these
    return True


def _folios(document, old_start: int, new_start: int) -> list | None:
    """The edits that number the pages from ``new_start``: each page's number in a margin box
    whose content is that number alone; None if a margin box shows it otherwise."""
    from weasyprint.formatting_structure.boxes import MarginBox

    edits: list = []
    for number, page in enumerate(document.pages if old_start != new_start else ()):
        for margin in page._page_box.children:
            if not isinstance(margin, MarginBox) or not isinstance(margin.style["content"], tuple):
                continue
            if margin.style["content"] == FOLIO:
                boxes = [box for box, _ in _text_boxes(margin, False)]
                if [box.text for box in boxes] != [str(old_start + number)]:
                    return None
                edits += [(box, str(new_start + number)) for box in boxes]
            elif any(kind in ("counter()", "counters()") and value[0] == "page"
                     for kind, value in margin.style["content"]):
                return None  # "Page 3", say: not a number alone
    return edits


def _text_boxes(box, copied: bool):
    """Each text box under ``box``, and whether an ancestor copies its text elsewhere."""
    from weasyprint.formatting_structure.boxes import TextBox

    style = getattr(box, "style", None)
    if style is not None and not copied:
        strings = () if style["string_set"] == "none" else [v for _, values in style["string_set"] for v in values]
        label = () if style["bookmark_level"] == "none" else style["bookmark_label"]
        copied = any(kind != "string" for kind, _ in [*strings, *label])  # content(), attr(), counter()...
    if isinstance(box, TextBox):
        yield box, copied
    for child in getattr(box, "children", ()):
        yield from _text_boxes(child, copied)


def _width(text: str, style) -> float:
    from weasyprint.text.line_break import create_layout, line_size

    layout = create_layout(text, style, None, None, 0)  # kept alive while its line is read
    line, _ = layout.get_first_line()
    return line_size(line, style)[0]
