"""The footnote area measured by its footnotes (``bookbuild/weasy_footnotes.py``) lays out
pages exactly as WeasyPrint's own measuring does, and measures each footnote once."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bookbuild import weasy_footnotes

# A small page, so that footnotes fill it, some leave for the next page, and calls share lines.
PAGE = """@page { size: 4in 5in; margin: 0.5in; @footnote { border-top: 0.5pt solid; padding-top: 4pt; } }
body { font-size: 10pt; line-height: 1.4; hyphens: auto; }
.footnote { float: footnote; font-size: 7.5pt; line-height: 1.3; }"""


def book(notes_per_paragraph: int = 4, paragraphs: int = 12) -> str:
    words = "the permit application names the province where the applicant will work".split()
    body = []
    for p in range(paragraphs):
        notes = "".join(f'<span class="footnote">Note {p}.{n}: {" ".join(words[: 3 + (p * n) % 9] * (1 + n % 3))} '
                        f"https://www.example.org/{p}/{n}/a-long-path-to-a-page</span> {' '.join(words)} "
                        for n in range(notes_per_paragraph))
        body.append(f"<p>{' '.join(words)} {notes}</p>")
    return f'<html lang="en"><body>{"".join(body)}</body></html>'


def pdf(html: str, css: str) -> tuple[bytes, int]:
    import weasyprint

    document = weasyprint.HTML(string=html).render(stylesheets=[weasyprint.CSS(string=css)])
    return document.write_pdf(), len(document.pages)


@dataclass
class Measuring:
    stock: Callable  # WeasyPrint's own method
    fallbacks: list  # one item each time ours fell back on it


@pytest.fixture
def measuring(monkeypatch):
    """Ours installed, counting the times it falls back on WeasyPrint's own; what was installed
    before is restored after."""
    was = weasy_footnotes._stock is not None
    assert weasy_footnotes.install()
    measuring = Measuring(weasy_footnotes._stock, [])
    monkeypatch.setattr(weasy_footnotes, "_stock", lambda context: measuring.fallbacks.append(1) or
                        measuring.stock(context))
    yield measuring
    monkeypatch.undo()
    if not was:
        weasy_footnotes.uninstall()


def weasyprints_own(measuring: Measuring, html: str, css: str) -> tuple[bytes, int]:
    """The PDF and its page count, laid out with WeasyPrint's own measuring."""
    from weasyprint.layout import LayoutContext

    ours, LayoutContext._update_footnote_area = LayoutContext._update_footnote_area, measuring.stock
    try:
        return pdf(html, css)
    finally:
        LayoutContext._update_footnote_area = ours


def test_plain_footnotes_are_measured_by_their_heights_and_the_pages_are_weasyprints(measuring) -> None:
    """Each time a page's footnotes change, ours and WeasyPrint's measuring leave the same
    height and page bottom; and the PDF is WeasyPrint's own, byte for byte."""
    from weasyprint.layout import LayoutContext

    html = book()
    own, own_pages = weasyprints_own(measuring, html, PAGE)
    assert own_pages >= 4  # footnotes fill pages and move on to the next
    found = []

    def both(context) -> bool:  # ours, then WeasyPrint's from the same state, which is kept
        area = context.current_footnote_area
        before = context.page_bottom, area.height, area.children
        overflow = weasy_footnotes._update_footnote_area(context)
        ours = context.page_bottom, area.height, overflow
        context.page_bottom, area.height, area.children = before
        overflow = measuring.stock(context)
        found.append((len(context.current_page_footnotes), ours, (context.page_bottom, area.height, overflow)))
        return overflow

    LayoutContext._update_footnote_area = both
    try:
        assert pdf(html, PAGE) == (own, own_pages)
    finally:
        LayoutContext._update_footnote_area = weasy_footnotes._update_footnote_area
    assert max(count for count, _, _ in found) >= 5  # pages with many footnotes: WeasyPrint's way is quadratic
    assert [ours for _, ours, _ in found] == [stock for _, _, stock in found]
    assert measuring.fallbacks == []  # ours never fell back on WeasyPrint's
    assert pdf(html, PAGE) == (own, own_pages)  # ours alone


@pytest.mark.parametrize("css", [
    ".footnote { margin-top: 2pt }",  # margins may collapse between footnotes
    ".footnote { margin-bottom: 2pt }",
    "@page { @footnote { max-height: 1in } }",  # the area is bounded: a footnote may overflow it
    ".footnote { float: footnote; footnote-display: inline }",  # footnotes share lines
    "p .footnote::after { content: ''; display: block; height: 3pt }",  # blocks inside a footnote
])
def test_other_footnote_areas_take_weasyprints_way(measuring, css: str) -> None:
    html = book(paragraphs=6)
    own = weasyprints_own(measuring, html, PAGE + css)
    assert pdf(html, PAGE + css) == own
    assert measuring.fallbacks  # WeasyPrint's own measuring


def test_another_weasyprint_keeps_its_own_method(monkeypatch) -> None:
    from weasyprint.layout import LayoutContext

    was = weasy_footnotes._stock
    weasy_footnotes.uninstall()
    try:
        method = LayoutContext._update_footnote_area
        monkeypatch.setattr(weasy_footnotes, "KNOWN_SOURCE", "0" * 64)
        assert not weasy_footnotes.install()
        assert LayoutContext._update_footnote_area is method
        monkeypatch.undo()
        monkeypatch.delattr(LayoutContext, "_update_footnote_area")  # one that measures otherwise
        assert not weasy_footnotes.install()
    finally:
        monkeypatch.undo()
        if was is not None:
            weasy_footnotes.install()
