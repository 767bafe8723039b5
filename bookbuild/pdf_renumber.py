"""Page numbers put into a chunk WeasyPrint has laid out, without laying it out again.

A chunk is laid out before the pages of its own anchors are known: "Table 1
on page 00"; and sometimes before its first page is known.  Once its layout
says the table is on page 11, the chunk would have to be laid out again only
to print "11".  Yet if "11" is exactly as wide as "00" (the book's figures
are tabular), every line and page breaks where it did: only the text
changes.  So the text is changed in the laid-out boxes, before the PDF is
drawn, and the PDF is the one a layout of the renumbered HTML would draw.
The same goes for the page numbers in the margins (a chapter starts on a
recto wherever it starts, so its pages' sides do not change), and for the
contents' page numbers, laid out before the chapters they name.

Refused (the chunk is then laid out again) when a new number is wider or
narrower than the old, when a reference is not found where it should be, or
when it is inside something that copies its text elsewhere (a heading feeds
the running head and the PDF's outline).
"""
from __future__ import annotations

from .pdf_chunks import INTERNAL, PLACEHOLDER, PrintedPages

XREF_CLASS = "xref-page"
NBSP = "\u00a0"  # "page" and its number are never split over two lines
FOLIO = (("counter()", ("page", "decimal")),)  # a margin box's content: the page's number


def renumber(document, old_start: int, new_start: int, old: PrintedPages, new: PrintedPages) -> bool:
    """Number the laid-out ``document``'s pages from ``new_start`` instead of ``old_start``, and
    change the pages its cross-references and contents print from ``old`` to ``new``.  Returns
    False, with nothing changed, if that could move anything on a page."""
    edits = _folios(document, old_start, new_start)
    changed = {(kind, name): (getattr(old, kind).get(name, PLACEHOLDER), text)
               for kind in ("xrefs", "toc") for name, text in getattr(new, kind).items()
               if getattr(old, kind).get(name, PLACEHOLDER) != text}
    found = set()
    for page in document.pages if changed and edits is not None else ():
        for box, copied in _text_boxes(page._page_box, False):
            kind, name = printed = _page_of(box)
            if printed not in changed:
                continue
            before, after = changed[printed]
            if not (box.text.endswith(NBSP + before) if kind == "xrefs" else box.text == before):
                continue  # the first line of a reference split over two
            if copied:
                return False
            edits.append((box, box.text[:-len(before)] + after))
            found.add(printed)
    if edits is None or found != set(changed) or any(_width(b.text, b.style) != _width(t, b.style) for b, t in edits):
        return False
    for box, text in edits:
        box.text = box.pango_layout.text = text  # the PDF's drawing shapes the text again from these
    return True


def _page_of(box) -> tuple[str, str | None]:
    """Whose page number the text box ends with: a cross-reference's ("xrefs", anchor), in
    "page 11", or a contents entry's ("toc", anchor), the number its link shows after itself
    (``content: leader('. ') attr(data-page)``)."""
    element = box.element
    if element is None:
        return "", None
    if element.get("class") == XREF_CLASS:
        return "xrefs", element.get("data-page-of")
    if box.element_tag.endswith("::after") and element.get("data-page") is not None:
        href = element.get("href", "")
        for prefix in ("#", INTERNAL):
            if href.startswith(prefix):
                return "toc", href[len(prefix):]
    return "", None


def _folios(document, old_start: int, new_start: int) -> list | None:
    """The edits that number the pages from ``new_start``: each page's number in a margin box
    whose content is that number alone; None if a margin box shows it otherwise."""
    edits: list = []
    for number, page in enumerate(document.pages if old_start != new_start else ()):
        margins = folio_boxes(page)
        if margins is None or any([box.text for box in boxes] != [str(old_start + number)] for boxes in margins):
            return None
        edits += [(box, str(new_start + number)) for boxes in margins for box in boxes]
    return edits


def folio_boxes(page) -> list[list] | None:
    """For each of the page's margin boxes whose content is the page's number alone, its text
    boxes; None if a margin box shows the number otherwise ("Page 3", say)."""
    from weasyprint.formatting_structure.boxes import MarginBox

    margins = []
    for margin in page._page_box.children:
        if not isinstance(margin, MarginBox) or not isinstance(margin.style["content"], tuple):
            continue
        if margin.style["content"] == FOLIO:
            margins.append([box for box, _ in _text_boxes(margin, False)])
        elif any(kind in ("counter()", "counters()") and value[0] == "page"
                 for kind, value in margin.style["content"]):
            return None
    return margins


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
