"""The post-render link check (O001) catches what a pipeline bug would break."""
from __future__ import annotations

from bookbuild.outputs_check import check_pages
from conftest import make_book, run


def test_broken_anchor_and_missing_page_are_reported() -> None:
    pages = {
        "text/ch001.xhtml": '<h1 id="sec:a">A</h1><a href="ch002.xhtml#tbl:x">T</a>'
                            '<a href="ch003.xhtml#sec:c">C</a><a href="#sec:a">self</a>',
        "text/ch002.xhtml": '<table id="tbl:y"></table><a href="https://example.org/#x">web</a>',
    }
    found = [d.format() for d in check_pages(pages, "dist/en/book.epub")]
    assert found == [
        "dist/en/book.epub/text/ch001.xhtml:1: O001 error: link to missing anchor 'ch002.xhtml#tbl:x'",
        "dist/en/book.epub/text/ch001.xhtml:1: O001 error: link to missing page 'ch003.xhtml#sec:c'",
    ]


def test_sound_pages_pass() -> None:
    pages = {"a.html": '<p id="x"></p><a href="b.html#y">b</a>', "b.html": '<a id="y" href="a.html#x">a</a>'}
    assert check_pages(pages, "site") == []


def test_a_verdict_is_remembered_under_the_pages_ids_and_links(tmp_path, monkeypatch) -> None:
    from bookbuild import outputs_check

    pages = {"a.html": '<p id="x">Old prose.</p><a href="b.html#y">b</a>', "b.html": '<a id="y" href="a.html#x">a</a>'}
    assert check_pages(pages, "site", tmp_path) == []
    checked = []
    monkeypatch.setattr(outputs_check, "_broken_links", lambda *args: checked.append(args) or [])
    pages["a.html"] = pages["a.html"].replace("Old prose.", "New prose.")
    assert check_pages(pages, "site", tmp_path) == [] and not checked  # same ids and links: remembered
    monkeypatch.undo()
    pages["a.html"] = pages["a.html"].replace("b.html#y", "b.html#z")  # a link changed: checked again
    assert [d.message for d in check_pages(pages, "site", tmp_path)] == ["link to missing anchor 'b.html#z'"]
    assert [d.message for d in check_pages(pages, "other", tmp_path)] == ["link to missing anchor 'b.html#z'"]


def test_a_site_page_whose_sha256_the_writer_gives_is_read_only_once(tmp_path) -> None:
    from bookbuild.outputs_check import check_html_site

    site = tmp_path / "site"
    site.mkdir()
    (site / "a.html").write_text('<p id="x"></p><a href="b.html#y">b</a>')
    (site / "b.html").write_text('<a id="y" href="a.html#x">a</a>')
    known = {"a.html": "a" * 64, "b.html": "b" * 64}
    assert check_html_site(site, "site", tmp_path, known) == []
    (site / "a.html").write_text('<p id="x"></p><a href="b.html#z">b</a>')  # not read again: its sha256 says it is as it was
    assert check_html_site(site, "site", tmp_path, known) == []
    known["a.html"] = "c" * 64  # a new page: read
    assert [d.message for d in check_html_site(site, "site", tmp_path, known)] == ["link to missing anchor 'b.html#z'"]


def test_explain_prints_the_code(tmp_path) -> None:
    result = run(tmp_path, "check", "--explain", "T003")
    assert result.returncode == 0
    assert result.stdout.startswith("T003: A cell does not match its column's declared type")
    unknown = run(tmp_path, "check", "--explain", "Z999")
    assert unknown.returncode == 2 and "unknown code" in unknown.stderr


def test_usage_error_exits_2_without_traceback(tmp_path) -> None:
    result = run(tmp_path, "frobnicate")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    missing = run(tmp_path / "nowhere", "check")
    assert missing.returncode == 2
    assert missing.stderr.startswith("book.yaml:1: B001 error: file not found")


def test_clean_book_checks_clean(tmp_path) -> None:
    root = make_book(tmp_path / "book")
    result = run(root, "check")
    assert (result.returncode, result.stderr) == (0, "")


def test_pdf_link_to_a_missing_destination_is_reported(tmp_path) -> None:
    import pikepdf
    import weasyprint

    from bookbuild.outputs_check import check_pdf

    pdf = tmp_path / "book.pdf"
    weasyprint.HTML(string='<h1 id="a">A</h1><p><a href="#a">here</a> and <a href="#a">there</a></p>').write_pdf(pdf)
    assert check_pdf(pdf, "dist/en/book.pdf") == []
    with pikepdf.open(pdf, allow_overwriting_input=True) as document:
        document.pages[0].obj.Annots[1].Dest = pikepdf.String("gone")
        document.save(pdf)
    assert [d.format() for d in check_pdf(pdf, "dist/en/book.pdf")] == [
        "dist/en/book.pdf:1: O001 error: link to missing destination 'gone'"]
