"""A chunk whose page numbers changed gets the new ones in its drawn PDF when the chunks are
joined (``pdf_numbers.py``), not a new layout; and what it gets is what a new layout draws."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from conftest import FIXTURES, make_book, run
from test_pdf_numbers import chunk as numbered_chunk
from test_pdf_numbers import draw, pdf_text

PARAGRAPH = " ".join(["The applicant sends the permit application to the office of the province."] * 14)


def chunk(far: str, start: int, heading_ref: bool = False, style: str = "") -> str:
    """``test_pdf_numbers``'s chapter of a few pages, numbered from ``start``, that names the
    page of a table on its last page twice (once in a footnote), as ``far``."""
    return numbered_chunk({"tbl:far": far}, heading_ref, start).replace("<style>", f"<style>{style}")


def laid_out(root: Path, html: str):
    """The chunk laid out and drawn as a build draws it, with where it drew its numbers."""
    from bookbuild.pdf_chunks import shown_numbers
    from bookbuild.pdf_layout import ChunkLayout, anchors_of, render, stylesheet_text
    from bookbuild.weasy_numbers import write_noting_numbers

    document, _ = render(root, html, stylesheet_text(root))
    pdf, numbers, fixed = write_noting_numbers(document, lambda: draw(document))
    return ChunkLayout(pdf, len(document.pages), anchors_of(document), (), shown_numbers(html), numbers, fixed)


def joined(layout, html: str | None = None) -> bytes:
    """The chunk alone, joined as a build joins chunks, showing the numbers of ``html``."""
    from bookbuild.pdf_chunks import shown_numbers
    from bookbuild.pdf_merge import merge_parts
    from bookbuild.pdf_numbers import changes, show

    edits = changes(layout, shown_numbers(html)) if html else {}
    assert edits is not None
    return merge_parts([layout.pdf], b"id", prepare=lambda _, part: show(part.pages, edits))


def test_numbers_put_in_at_the_join_draw_what_a_layout_of_them_draws(base_book: Path) -> None:
    from bookbuild.pdf_chunks import shown_numbers, without_numbers
    from bookbuild.pdf_numbers import changes

    old_html = chunk("00", start=11)
    old = laid_out(base_book, old_html)
    assert old.pages >= 3 and not old.fixed
    assert sorted({n.kind for n in old.numbers}) == ["folio", "xrefs"]
    page = 13 + old.anchors["tbl:far"] - 1  # the chapter moved two pages on
    new_html = chunk(str(page), start=13)
    assert without_numbers(new_html) == without_numbers(old_html)  # so a build finds the old layout
    assert len(changes(old, shown_numbers(new_html))) == 2 + old.pages  # the references and the folios
    fresh = laid_out(base_book, new_html)
    assert joined(old, new_html) == joined(fresh)
    pages = [re.sub(r"\s+", " ", text) for text in pdf_text(joined(old, new_html), joined=False)]
    assert " ".join(pages).count(f"on page {page}") == 2 and "on page 00" not in " ".join(pages)
    assert all(str(13 + index) in re.findall(r"\b\d\d\b", text) for index, text in enumerate(pages)), pages


def test_the_contents_numbers_with_figure_spaces_are_put_in_at_the_join(base_book: Path) -> None:
    from test_pdf_numbers import contents as front

    old = laid_out(base_book, front("00"))
    assert [(n.kind, n.text) for n in old.numbers if n.kind == "toc"] == [("toc", "00")]
    assert joined(old, front("\u20077")) == joined(laid_out(base_book, front("\u20077")))
    assert re.search(r"A section far away[ .]*\u20077", pdf_text(joined(old, front("\u20077")), joined=False)[0])


def test_a_number_that_cannot_be_put_in_at_the_join_needs_a_new_layout(base_book: Path) -> None:
    from bookbuild.pdf_chunks import shown_numbers, without_numbers
    from bookbuild.pdf_numbers import changes

    def can_show(layout, html: str) -> bool:
        return changes(layout, shown_numbers(html)) is not None

    old = laid_out(base_book, chunk("00", start=8))
    assert can_show(old, chunk("00", start=8)) and can_show(old, chunk("99", start=8))
    # Narrower or wider than the number drawn: the lines would break elsewhere.
    assert not can_show(old, chunk("7", start=8)) and not can_show(old, chunk("100", start=8))
    assert without_numbers(chunk("7", start=8)) != without_numbers(chunk("00", start=8))
    # Numbered from 9, its second page would be 10, wider than the 9 drawn there.
    assert not can_show(old, chunk("00", start=9))
    # A number printed where it is not drawn, so not noted: one cannot tell what else is not.
    hidden = chunk("00", start=8).replace("<p>Once more", '<p style="display: none">Once more')
    assert not can_show(laid_out(base_book, hidden), hidden.replace("page\u00a000", "page\u00a099"))
    # Another chunk's numbers.
    assert not can_show(old, chunk("00", start=8).replace("tbl:far", "tbl:near"))
    # A reference in a heading, which the running head and the outline copy.
    in_heading = laid_out(base_book, chunk("00", start=11, heading_ref=True))
    assert ("xrefs", "tbl:far") in in_heading.fixed
    assert not can_show(in_heading, chunk("11", start=11, heading_ref=True))
    assert can_show(in_heading, chunk("00", start=13, heading_ref=True))  # its folios can change
    # Proportional figures: another figure may be wider or narrower.
    style = "html { font-variant-numeric: proportional-nums; }\n"
    proportional = laid_out(base_book, chunk("00", start=11, style=style))
    assert proportional.numbers == () and proportional.fixed == {("xrefs", "tbl:far"), ("folio", "")}
    assert not can_show(proportional, chunk("11", start=11, style=style))
    assert not can_show(proportional, chunk("00", start=13, style=style))
    assert can_show(proportional, chunk("00", start=11, style=style))


def test_an_edit_that_moves_later_pages_lays_out_only_the_edited_chapter(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book", overlay=FIXTURES / "fr")
    assert run(root, "build", "--format", "pdf").returncode == 0
    first = root / "chapters/en/first.md"
    first.write_text(first.read_text() + "\n\n" + "\n\n".join([PARAGRAPH] * 6) + "\n")
    edited = run(root, "build", "--format", "pdf", env={"BOOKBUILD_PROGRESS": "1"})
    assert edited.returncode == 0, edited.stderr
    assert "en: pdf: 1 chunk layout for 4 chunks, 1 pass" in edited.stderr, edited.stderr
    assert "en: wrote pdf (4 chunks joined, 3 renumbered)" in edited.stderr, edited.stderr
    # The French edition is made again (its source changed), but not its PDF.
    assert "fr: pdf: 0 chunk layouts for 4 chunks, 1 pass" in edited.stderr, edited.stderr
    assert "fr: wrote pdf (4 chunks, as joined before)" in edited.stderr, edited.stderr
    # The later chapter and the contents moved: they print new pages, as a cold build would.
    for lang in ("en", "fr"):
        shutil.copy(root / f"dist/{lang}/test-book.pdf", tmp_path / f"{lang}.pdf")
    shutil.rmtree(root / ".cache")
    cold = run(root, "build", "--format", "pdf", env={"BOOKBUILD_PROGRESS": "1"})
    assert "en: pdf: 6 chunk layouts for 4 chunks, 2 passes" in cold.stderr, cold.stderr
    for lang in ("en", "fr"):
        assert (root / f"dist/{lang}/test-book.pdf").read_bytes() == (tmp_path / f"{lang}.pdf").read_bytes(), lang
