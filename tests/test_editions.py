"""The built editions, read back: PDF text, outline and fonts; EPUB XHTML; HTML anchors."""
from __future__ import annotations

import hashlib
import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

from pypdf import PdfReader

NBSP = "\u00a0"


def pdf_text(root: Path, slug: str) -> tuple[PdfReader, str]:
    reader = PdfReader(root / "dist" / "en" / f"{slug}.pdf")
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    """Extracted text with words rejoined across hyphenated line ends."""
    text = re.sub(r"[\u2010\u00ad-]\n", "", text)
    return re.sub(r"\s+", " ", text.replace(NBSP, " "))


def outline_titles(outline) -> list[str]:
    titles = []
    for item in outline:
        titles += outline_titles(item) if isinstance(item, list) else [item["/Title"]]
    return titles


def epub_pages(root: Path, slug: str) -> dict[str, str]:
    with zipfile.ZipFile(root / "dist" / "en" / f"{slug}.epub") as archive:
        return {n: archive.read(n).decode() for n in archive.namelist() if n.endswith(".xhtml")}


class Ids(HTMLParser):
    def __init__(self, text):
        super().__init__()
        self.ids, self.hrefs = set(), []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and "href" in attrs:
            self.hrefs.append(attrs["href"])


# --- the base fixture book ---------------------------------------------------

def test_manifest_lists_every_output(base_book: Path) -> None:
    manifest = json.loads((base_book / "dist" / "manifest.json").read_text())
    entries = {(e["language"], e["format"]): e for e in manifest["editions"]}
    assert set(entries) == {("en", "html"), ("en", "epub"), ("en", "pdf")}
    assert entries[("en", "pdf")]["path"] == "en/test-book.pdf"
    assert entries[("en", "html")]["path"] == "en/html/index.html"
    dist = base_book / "dist"
    for entry in entries.values():
        assert re.fullmatch(r"[0-9a-f]{64}", entry["sha256"])
        if entry["format"] != "html":
            data = (dist / entry["path"]).read_bytes()
            assert (entry["bytes"], entry["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
    # A site's sha256 is that of its files' listing as `sha256sum` prints it, sorted by path.
    site = dist / "en/html"
    files = sorted((p for p in site.rglob("*") if p.is_file()), key=lambda p: p.relative_to(site).as_posix())
    listing = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(site).as_posix()}\n"
                      for p in files)
    assert entries[("en", "html")]["sha256"] == hashlib.sha256(listing.encode()).hexdigest()
    assert entries[("en", "html")]["bytes"] == sum(p.stat().st_size for p in files)


def test_pdf_holds_numbered_tables_references_and_pages(base_book: Path) -> None:
    reader, text = pdf_text(base_book, "test-book")
    text = flat(text)
    assert "Table 1: Colours of paint" in text
    assert "Table 2: Warm colours only" in text
    for row in ("Vermilion 1 warm", "Cobalt 2 cool", "Slate 4 neutral, cool"):
        assert row in text
    # The filtered view is sorted by name and shows only warm colours.
    warm = text.split("Table 2: Warm colours only")[1]
    assert warm.index("Amber") < warm.index("Vermilion") and "Cobalt" not in warm.split("Sources")[0]
    # Cross-references say where they point, with the page in print.
    assert re.search(r"listed in Table 1 on page \d+", text)
    assert re.search(r"Section 2\.1 on page \d+", text)
    assert re.search(r"Table 1 on page \d+ and Section 1\.2 on page \d+", text)
    assert re.search(r"in Figure 1 on page \d+", text) and "Figure 1: Vermilion, cobalt and amber" in text
    # External URLs are printed for a print reader; the live-document notice is there.
    assert "https://example.org/paint" in text
    assert "This is a live document" in text and "https://example.org/issues" in text


def test_pdf_is_a_book(base_book: Path) -> None:
    reader, text = pdf_text(base_book, "test-book")
    assert len(reader.pages) >= 8  # cover, title, colophon, contents, about, two chapters
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (432, 648)  # 6 x 9 in
    assert outline_titles(reader.outline) == [
        "About this book", "1 The first chapter", "1.1 Colours in data", "1.2 A plain section",
        "2 The second chapter", "2.1 Warm colours"]
    meta = reader.metadata
    assert meta.title == "Test Book" and meta.author == "Ada Tester"
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert reader.pages[0].extract_text().startswith("ENGLISH\nTest Book")  # the cover
    assert reader.pages[1].extract_text() == ""  # inside the cover, so the title page is a recto
    assert reader.pages[2].extract_text().startswith("Test Book\nA fixture")
    assert "Contents" in reader.pages[4].extract_text()
    fonts = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, font["/BaseFont"]
            fonts.add(str(font["/BaseFont"]).split("+")[-1])
    assert any(name.startswith("Source-Serif-Pro") for name in fonts), fonts


def test_pdf_page_references_point_at_the_right_page(base_book: Path) -> None:
    reader, text = pdf_text(base_book, "test-book")
    pages = [flat(page.extract_text()) for page in reader.pages]
    text = flat(text)
    for reference, target in (("Section 2.1", "2.1 Warm colours"), ("Table 1", "Table 1: Colours of paint"),
                              ("Table 2", "Table 2: Warm colours only"), ("Section 1.2", "1.2 A plain section"),
                              ("Figure 1", "Figure 1: Vermilion")):
        numbers = set(re.findall(reference.replace(".", r"\.") + r" on page (\d+)", text))
        assert len(numbers) == 1, (reference, numbers)
        assert target in pages[int(numbers.pop()) - 1], reference
    # The contents give the pages too.
    contents = pages[4]
    chapter_two = int(re.search(r"2 The second chapter[ .]+(\d+)", contents).group(1))
    assert pages[chapter_two - 1].startswith("2 The second chapter")


def test_pdf_internal_links_have_destinations(base_book: Path) -> None:
    reader = PdfReader(base_book / "dist" / "en" / "test-book.pdf")
    names = set(reader.named_destinations)
    internal = 0
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            action = annot.get("/A")
            if action is not None and action.get_object().get("/S") == "/URI":
                continue
            dest = annot.get("/Dest") or (action.get_object().get("/D") if action else None)
            internal += 1
            assert dest is not None and (not isinstance(dest, str) or dest in names)
    assert internal >= 8


def test_pdf_joined_from_chapters_reads_as_one_book(base_book: Path) -> None:
    """The PDF is laid out chapter by chapter and joined: it must read as one document."""
    import pikepdf

    reader, _ = pdf_text(base_book, "test-book")
    pages = [flat(page.extract_text()) for page in reader.pages]
    openings = [n for n, text in enumerate(pages, 1) if re.match(r"(\d )?(About this book|The \w+ chapter)", text)]
    assert openings == [7, 9, 11]  # each on a recto, after a blank verso where needed
    assert all(pages[n - 2] == "" for n in openings)
    for n in openings:  # a chapter's first page has its number at the foot and no running head
        assert pages[n - 1].endswith(f" {n}") and "Test Book" not in pages[n - 1]
    # Footnotes are numbered through the book, not from 1 in each chapter.
    notes = [int(m) for m in re.findall(r"(\d+)\. https://", " ".join(pages[8:]))]
    assert notes == sorted(notes) and len(set(notes)) == len(notes) and notes[-1] > 3, notes
    with pikepdf.open(base_book / "dist" / "en" / "test-book.pdf") as pdf:
        tree = pdf.Root.StructTreeRoot
        assert len(tree.K) == 1 and tree.K[0].S == "/Document"
        keys = dict(pikepdf.NumberTree(tree.ParentTree).items())
        tagged = set()
        for number, page in enumerate(pdf.pages):
            assert int(page.obj.StructParents) == number
            marked = keys[number]
            tagged |= {number} if len(marked) else set()
            for annot in page.obj.get("/Annots", ()):  # no link is left pointing outside the book
                assert not str(annot.get("/A", {}).get("/URI", "")).startswith("bookbuild-dest:")
        assert tagged == {n for n, text in enumerate(pages) if text}  # every page but the blank ones


def test_pdf_breaks_a_web_address_before_a_dot_and_never_hyphenates_it(base_book: Path, tmp_path: Path,
                                                                       monkeypatch) -> None:
    """A web address as link text (a table's website column shows the host) breaks
    where a reader can tell, not with a hyphen the reader would type."""
    import tempfile

    import pypandoc
    import weasyprint

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # WeasyPrint's copies of the fonts

    from bookbuild.model import API_VERSION
    from bookbuild.pdf_html import print_blocks
    from bookbuild.pdf_layout import stylesheet_text

    link = {"t": "Link", "c": [["", [], []], [{"t": "Str", "c": "gointernational.ca"}], ["https://gointernational.ca", ""]]}
    blocks = print_blocks([{"t": "Plain", "c": [link]}], "on page")
    cell = pypandoc.convert_text(json.dumps({"pandoc-api-version": API_VERSION, "meta": {}, "blocks": blocks}),
                                 "html5", format="json", extra_args=["--wrap=none"])
    assert '<span class="address">gointernational<wbr>.ca</span>' in cell
    # In a cell narrower than the address, as in the French edition's table of organizations.
    html = f'<html lang="fr"><body><table><tr><td style="width: 40pt">{cell}</td><td>x</td></tr></table></body></html>'
    pdf = weasyprint.HTML(string=html, base_url=str(base_book) + "/").write_pdf(
        stylesheets=[weasyprint.CSS(string=stylesheet_text(base_book))])
    __import__("gc").collect()  # WeasyPrint removes them when their configuration is collected, now
    text = PdfReader(__import__("io").BytesIO(pdf)).pages[0].extract_text()
    assert "gointernational\n.ca" in text, text  # was "gointerna-\ntional.ca"


def test_epub_holds_rows_and_links_across_files(base_book: Path) -> None:
    pages = epub_pages(base_book, "test-book")
    everything = "".join(pages.values())
    assert re.search(r'<td data-label="Colour">Vermilion</td>', everything)
    assert re.search(r'<td data-label="Colour">Slate</td>', everything)
    assert "Table" + NBSP + "2:" in everything
    assert re.search(r'<figure id="fig:palette">\s*<img src="\.\./media/file\d\.svg"\s+alt="Vermilion, cobalt and amber side by side"', everything)
    ids = {name: Ids(text).ids for name, text in pages.items()}
    second = next(name for name, text in pages.items() if 'id="sec:second"' in text)
    links = Ids(pages[second]).hrefs
    table_link = next(h for h in links if h.endswith("#tbl:colours"))
    target_file, _, anchor = table_link.partition("#")
    assert target_file and target_file != Path(second).name  # points into the first chapter's file
    assert anchor in ids[str(Path(second).parent / target_file)]


def test_html_site_has_contents_pages_and_anchors(base_book: Path) -> None:
    site = base_book / "dist" / "en" / "html"
    index = (site / "index.html").read_text()
    assert '<html lang="en">' in index and 'name="viewport"' in index
    assert 'href="first.html#first"' in index and 'href="second.html#second"' in index
    first = Ids((site / "first.html").read_text())
    assert {"first", "sec:first-data", "tbl:colours"} <= first.ids
    second_text = (site / "second.html").read_text()
    assert 'href="first.html#tbl:colours"' in second_text
    assert '<td data-label="Colour">Amber</td>' in second_text
    assert ">Cobalt</td>" not in second_text
    assert "https://example.org/issues" in second_text  # the footer on every page
    assert '<img src="images/palette.svg"' in second_text and (site / "images" / "palette.svg").is_file()
    assert 'href="#fig:palette"' in second_text


# --- the real book -------------------------------------------------------------

def test_real_book_has_both_tables_complete(real_book: Path) -> None:
    _, text = pdf_text(real_book, "fleeing-to-canada")
    text = flat(text)
    assert "Table 1: Organizations" in text and "Table 2: TEER" in text
    for teer in ("Management occupations", "Bakers", "Home child care providers",
                 "Landscaping and grounds maintenance labourers"):
        assert teer in text
    for org in ("InterExchange", "JENZA (SWAP)", "Stepwest", "Mennonite Central Committee"):
        assert org in text
    assert "Editor's note" in text or "Editor’s note" in text
    assert "https://codeberg.org/tokugawa-behr/Fleeing-to-Canada/issues" in text
    pages = epub_pages(real_book, "fleeing-to-canada")
    everything = "".join(pages.values())
    assert "Computer network and web technicians" in everything
    assert "codeberg.org/tokugawa-behr/Fleeing-to-Canada/issues" in everything


def test_real_book_references_a_long_section_by_its_first_page(real_book: Path) -> None:
    reader, text = pdf_text(real_book, "fleeing-to-canada")
    pages = [flat(page.extract_text()) for page in reader.pages]
    number = int(re.search(r"Section 1\.2 on page (\d+)", flat(text)).group(1))
    assert "1.2 IEC and Recognized Organizations" in pages[number - 1]


def test_real_book_running_heads_name_the_book_and_the_chapter(real_book: Path) -> None:
    """Chapters are laid out apart from the title page, which sets the book's title: each must still show it."""
    reader, _ = pdf_text(real_book, "fleeing-to-canada")
    pages = [flat(page.extract_text()) for page in reader.pages]
    chapter = next(n for n, text in enumerate(pages, 1) if text.startswith("1 International Experience Canada"))
    assert f"{chapter + 1} Fleeing to Canada" in pages[chapter]  # a verso: page number, book
    assert f"1 International Experience Canada {chapter + 2}" in pages[chapter + 1]  # a recto: chapter, number


def test_real_book_table_captions_stay_with_their_tables(real_book: Path) -> None:
    """A caption at the foot of a page, its table overleaf, is a stranded caption:
    the page a table's link leads to must show the table's caption."""
    tables = 0
    for lang in ("en", "fr"):
        reader = PdfReader(real_book / "dist" / lang / "fleeing-to-canada.pdf")
        for name, destination in reader.named_destinations.items():
            if name.startswith("tbl:"):
                tables += 1
                page = reader.pages[reader.get_destination_page_number(destination)].extract_text()
                assert re.search(r"^Table(?:au)? \d+\s?:", page, re.M), (lang, name)
    assert tables >= 4  # two tables in each language


def test_real_book_prints_every_footnote(real_book: Path) -> None:
    """Each footnote and web address the print HTML holds is at the foot of a page, numbered
    in order (WeasyPrint can drop a footnote it pushes to the next page: see
    bench/footnote_target_counter.py)."""
    from bookbuild.cli import gather
    from bookbuild.pdf_chunks import cut
    from bookbuild.pdf_html import print_html

    for edition in gather(real_book).editions:
        expected = sum(chunk.footnotes for chunk in cut(print_html(edition)).chunks)
        reader = PdfReader(real_book / "dist" / edition.lang / "fleeing-to-canada.pdf")
        printed = [int(n) for page in reader.pages for n in re.findall(r"^(\d+)\. ", page.extract_text(), re.M)]
        assert printed == list(range(1, expected + 1)), (edition.lang, expected, printed)


def test_real_book_french_edition_uses_official_terms(real_book: Path) -> None:
    reader = PdfReader(real_book / "dist" / "fr" / "fleeing-to-canada.pdf")
    text = flat("\n".join(page.extract_text() for page in reader.pages))
    for term in ("Expérience internationale Canada", "organisation", "FEER", "Jeunes professionnels",
                 "Classification nationale des professions", "Tableau 2"):
        assert term in text, term
