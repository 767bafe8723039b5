"""The validators gate (make validate): every edition passes, and each check can fail."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from bookbuild.validate import ace_available, check_epub, check_html, check_pdf, validate_dist


@pytest.mark.parametrize("which", ["real_book", "bilingual_book"])
def test_every_edition_passes_every_validator(which: str, request) -> None:
    root = request.getfixturevalue(which)
    assert [d.format() for d in validate_dist(root / "dist")] == []


def test_ace_is_installed_for_make_test() -> None:
    # make test installs it (make tools); without it the gate would silently shrink.
    assert ace_available()


def test_vnu_reports_invalid_html(tmp_path: Path) -> None:
    site = tmp_path / "dist" / "en" / "html"
    site.mkdir(parents=True)
    (site / "index.html").write_text("<!DOCTYPE html><html lang=en><title>x</title><p><div></p>")
    found = [d.format() for d in check_html([site], tmp_path / "dist")]
    assert found and all(" V002 error: v.Nu: " in line for line in found)
    assert found[0].startswith("dist/en/html/index.html:1:")


def test_epubcheck_reports_a_broken_epub(base_book: Path, tmp_path: Path) -> None:
    source = next((base_book / "dist" / "en").glob("*.epub"))
    broken = tmp_path / "dist" / "broken.epub"
    broken.parent.mkdir()
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(broken, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename.endswith("content.opf"):
                data = data.replace(b"<dc:language>en</dc:language>", b"")
            new.writestr(item, data)
    found = [d.format() for d in check_epub(broken)]
    assert any("V001 error: EPUBCheck" in line for line in found), found


def test_pdf_checks_catch_an_untagged_pdf(tmp_path: Path) -> None:
    import weasyprint

    pdf = tmp_path / "dist" / "plain.pdf"
    pdf.parent.mkdir()
    weasyprint.HTML(string="<h1>Hello</h1>").write_pdf(pdf)
    messages = {d.message for d in check_pdf(pdf, "en", tmp_path / "dist")}
    assert {"the PDF is not tagged", "document language is None, expected 'en'",
            "the PDF has no title"} <= messages
