"""A chunk's own page numbers are put in place after its layout, not by laying it out again."""
from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

from pypdf import PdfReader

from conftest import make_book, run

LOREM = ("Paint comes in colours, and the colours come in families that a reader can name "
         "without looking them up, which is why this sentence goes on for a while. ")


def chunk(numbers: dict[str, str], heading_ref: bool = False, start: int = 1) -> str:
    """A chapter of a few pages, numbered from ``start``, that names the page of a table on its
    last page, in a paragraph and in a footnote (and in a heading, if ``heading_ref``)."""
    def ref(name: str) -> str:
        return f'<span class="xref-page" data-page-of="{name}"> on page\u00a0{numbers.get(name, "00")}</span>'

    filler = "".join(f"<p>{LOREM * 4}</p>" for _ in range(14))
    heading = f"<h2>Where the table is{ref('tbl:far')}</h2>" if heading_ref else "<h2>Where the table is</h2>"
    return (f'<html lang="en"><head><title>T</title><style>@page :first {{ counter-reset: page {start}; }}</style>'
            f'</head><body><section id="sec:c" class="level1">'
            f"<h1>Chapter</h1>{heading}<p>The table is{ref('tbl:far')}, as this says.</p>{filler}"
            f'<p>Once more, and in a footnote<span class="footnote">See the table{ref("tbl:far")}.</span>.</p>'
            f'{filler}<div id="tbl:far"><p>Table 1: Far away</p></div></section></body></html>')


def printed(xrefs: dict[str, int] | None = None, toc: dict[str, str] | None = None):
    """What a chunk prints: its cross-references' pages, and its contents' (as printed)."""
    from bookbuild.pdf_chunks import PrintedPages

    return PrintedPages({name: str(page) for name, page in (xrefs or {}).items()}, dict(toc or {}))


def contents(number: str) -> str:
    """Front matter whose contents name a section's page as ``number``, and the section."""
    return (f'<html lang="en"><head><title>T</title></head><body><nav id="TOC"><ul><li>'
            f'<a href="#sec:far" data-page="{number}" id="toc-sec:far">A section far away</a></li></ul></nav>'
            f'<section id="sec:far" class="level1"><h1>Far away</h1><p>{LOREM}</p></section></body></html>')


def draw(document) -> bytes:
    return document.write_pdf(pdf_identifier=b"id", custom_metadata=True, pdf_tags=True)


def pdf_text(pdf: bytes, joined: bool = True):
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    return " ".join(pages) if joined else pages


def test_a_renumbered_layout_draws_what_the_layout_of_its_numbers_draws(base_book: Path) -> None:
    from bookbuild.pdf_layout import anchors_of, render, stylesheet_text
    from bookbuild.pdf_renumber import renumber

    css = stylesheet_text(base_book)
    guessed, _ = render(base_book, chunk({}), css)
    page = anchors_of(guessed)["tbl:far"] + 10  # two digits, as wide as the placeholder's
    assert page >= 13
    assert renumber(guessed, 1, 1, printed(), printed({"tbl:far": page}))
    renumbered = draw(guessed)
    laid_out, _ = render(base_book, chunk({"tbl:far": str(page)}), css)
    assert renumbered == draw(laid_out)
    text = re.sub(r"\s+", " ", pdf_text(renumbered))
    assert text.count(f"on page {page}") == 2 and "on page 00" not in text


def test_renumbering_is_refused_where_it_could_move_anything(base_book: Path) -> None:
    from bookbuild.pdf_layout import render, stylesheet_text
    from bookbuild.pdf_renumber import renumber

    css = stylesheet_text(base_book)
    # A number narrower than the one laid out: the line would break elsewhere.
    document, _ = render(base_book, chunk({}), css)
    assert not renumber(document, 1, 1, printed(), printed({"tbl:far": 7}))
    assert "on page 00" in re.sub(r"\s+", " ", pdf_text(draw(document)))  # left as it was
    # A reference in a heading, which the running head and the outline copy.
    document, _ = render(base_book, chunk({}, heading_ref=True), css)
    assert not renumber(document, 1, 1, printed(), printed({"tbl:far": 12}))
    # An anchor no reference on the pages names.
    document, _ = render(base_book, chunk({}), css)
    assert not renumber(document, 1, 1, printed(), printed({"tbl:nowhere": 12}))
    # Pages numbered from 9 instead of 11: the first page's number is narrower.
    document, _ = render(base_book, chunk({}, start=9), css)
    assert not renumber(document, 9, 11, printed(), printed())
    # A contents entry's page wider than the number laid out.
    document, _ = render(base_book, contents("00"), css)
    assert not renumber(document, 1, 1, printed(toc={"sec:far": "00"}), printed(toc={"sec:far": "123"}))


def test_the_contents_renumbered_draw_what_a_layout_of_their_pages_draws(base_book: Path) -> None:
    """The front matter is laid out before the chapters' pages are known; a page found later is
    padded to the placeholder's width with a figure space, as wide as a digit."""
    from bookbuild.pdf_layout import render, stylesheet_text
    from bookbuild.pdf_renumber import renumber

    css = stylesheet_text(base_book)
    guessed, _ = render(base_book, contents("00"), css)
    assert renumber(guessed, 1, 1, printed(toc={"sec:far": "00"}), printed(toc={"sec:far": "\u20077"}))
    renumbered = draw(guessed)
    laid_out, _ = render(base_book, contents("\u20077"), css)
    assert renumbered == draw(laid_out)
    assert re.search(r"A section far away[ .]*\u20077", pdf_text(renumbered, joined=False)[0])


def test_pages_numbered_again_draw_what_a_layout_from_their_first_number_draws(base_book: Path) -> None:
    """A chapter laid out before its first page was known: numbered from 11, it starts on page 13."""
    from bookbuild.pdf_layout import anchors_of, render, stylesheet_text
    from bookbuild.pdf_renumber import renumber

    css = stylesheet_text(base_book)
    guessed, _ = render(base_book, chunk({}, start=11), css)
    page = 13 + anchors_of(guessed)["tbl:far"] - 1
    assert renumber(guessed, 11, 13, printed(), printed({"tbl:far": page}))
    laid_out, _ = render(base_book, chunk({"tbl:far": str(page)}, start=13), css)
    renumbered = draw(guessed)
    assert renumbered == draw(laid_out)
    folios = [re.findall(r"\b(\d\d)\b", text) for text in pdf_text(renumbered, joined=False)]
    assert all(str(13 + index) in found for index, found in enumerate(folios)), folios


def test_a_cold_build_lays_out_once_the_contents_and_the_chapters_that_name_only_their_own_pages(
        tmp_path: Path) -> None:
    root = make_book(tmp_path / "book")
    first, second = root / "chapters/en/first.md", root / "chapters/en/second.md"
    first.write_text(first.read_text().replace(
        "The warm ones get\ntheir own view in @sec:second-warm, which shows @tbl:warm-colours.",
        "See @sec:first-plain for a plain section."))
    second.write_text(second.read_text().replace(
        "Back in @sec:first-data we met the colours; see also\n[@tbl:colours; @sec:first-plain].",
        "The warm colours are in @sec:second-warm.").replace(
        "Both tables, @tbl:colours and @tbl:warm-colours, come from one file.", "@tbl:warm-colours comes from a file."))
    result = run(root, "build", "--format", "pdf", env={"BOOKBUILD_PROGRESS": "1"})
    assert result.returncode == 0, result.stderr
    # The contents' pages are put in place once the chapters' are known: nothing is laid out twice.
    assert "en: pdf: 4 chunk layouts for 4 chunks, 1 pass" in result.stderr, result.stderr
    reader = PdfReader(root / "dist/en/test-book.pdf")
    pages = [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages]
    text = " ".join(pages)
    for reference, target in (("Section 1.2", "1.2 A plain section"), ("Section 2.1", "2.1 Warm colours"),
                              ("Table 1", "Table 1: Colours of paint"), ("Table 2", "Table 2: Warm colours only")):
        numbers = set(re.findall(reference.replace(".", r"\.") + r" on page (\d+)", text))
        assert len(numbers) == 1, (reference, numbers)
        assert target in pages[int(numbers.pop()) - 1], reference
    toc = next(page for page in pages if page.startswith("Contents"))
    for title in ("1.2 A plain section", "2.1 Warm colours"):
        number = re.search(re.escape(title) + r"[ .]*?(\d+)\b", toc)
        assert number and title in pages[int(number.group(1)) - 1], (title, toc)
    # What the two passes of a build that knew no page drew, a build that knew them all draws.
    (root / "dist/en/test-book.pdf").rename(tmp_path / "cold.pdf")
    (root / ".cache/pdf-pages").rename(tmp_path / "pdf-pages")
    shutil.rmtree(root / ".cache")
    (root / ".cache").mkdir()
    (tmp_path / "pdf-pages").rename(root / ".cache/pdf-pages")
    again = run(root, "build", "--format", "pdf", env={"BOOKBUILD_PROGRESS": "1"})
    assert "en: pdf: 4 chunk layouts for 4 chunks, 1 pass" in again.stderr, again.stderr
    assert (root / "dist/en/test-book.pdf").read_bytes() == (tmp_path / "cold.pdf").read_bytes()
