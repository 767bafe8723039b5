"""The cache under .cache/ saves work and never serves a stale edition."""
from __future__ import annotations

import os
import re
import shutil
import time
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import FIXTURES, make_book, run


def summary(result) -> str:
    return re.search(r"\d+ output\(s\), \d+ written and \d+ unchanged", result.stderr).group(0)


def test_nothing_changed_means_no_conversion(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book")
    assert summary(run(root, "build")) == "3 output(s), 3 written and 0 unchanged"
    assert "dist/ is up to date" in run(root, "build").stderr
    # dist/ touched by hand: the build runs again, and takes everything from the cache.
    (root / "dist/en/test-book.epub").unlink()
    assert summary(run(root, "build")) == "3 output(s), 0 written and 3 unchanged"
    assert (root / "dist/en/test-book.epub").is_file()


def test_nothing_changed_still_says_the_last_builds_warnings(tmp_path: Path) -> None:
    """A warning that vanished from the second 'make book' would look fixed."""
    root = make_book(tmp_path / "book", overlay=Path(__file__).parent / "cases" / "T007-unused-table")
    first = run(root, "build", "--format", "html")
    again = run(root, "build", "--format", "html")
    assert "dist/ is up to date" in again.stderr and again.returncode == 0
    warning = "tables/spare.yaml:1: T007 warning: table 'spare' is not used by any chapter"
    assert warning in first.stderr and warning in again.stderr
    assert "0 error(s), 1 warning(s)" in again.stderr


def test_entries_no_build_used_for_days_are_trimmed(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book")
    assert run(root, "build", "--format", "html").returncode == 0
    cache = root / ".cache"
    a_week_ago = time.time() - 7 * 86400
    entries = [p for kind in cache.iterdir() if kind.is_dir() for p in kind.iterdir()]
    for path in entries + [cache / "last-build.json"]:  # as if the last build ran a week ago
        os.utime(path, (a_week_ago, a_week_ago))
    stale = cache / "ast" / ("0" * 64 + ".json")  # what an older version of the book left
    stale.write_text("{}")
    os.utime(stale, (a_week_ago, a_week_ago))
    os.utime(cache / "last-trim", (a_week_ago, a_week_ago))
    chapter = root / "chapters/en/first.md"
    chapter.write_text(chapter.read_text().replace("A paragraph with", "An edited paragraph with"))
    result = run(root, "build", "--format", "html")
    assert re.search(r"\.cache/: deleted \d+ entries .* that no build has used for 5 days", result.stderr)
    assert not stale.exists()
    assert (cache / "last-build.json").is_file()  # state, not an entry
    kept = [p for p in entries if p.exists()]  # the build read these: they are used again
    assert kept and len(kept) < len(entries)  # the site before the edit was not
    # What the build used was kept: with dist/ gone, the site comes back from the cache.
    shutil.rmtree(root / "dist")
    assert summary(run(root, "build", "--format", "html")) == "1 output(s), 0 written and 1 unchanged"
    # At most once a day.
    stale.write_text("{}")
    os.utime(stale, (a_week_ago, a_week_ago))
    chapter.write_text(chapter.read_text().replace("An edited", "A re-edited"))
    assert "deleted" not in run(root, "build", "--format", "html").stderr and stale.exists()


def test_an_output_with_broken_links_is_never_remembered(tmp_path: Path) -> None:
    """Else the same inputs would fetch it from the cache, unchecked, and publish it."""
    root = make_book(tmp_path / "book")
    template = root / "templates/site.html"
    good = template.read_text()
    template.write_text(good.replace("<main>", '<main><a href="#nowhere">a link the template broke</a>'))
    for _ in range(2):
        broken = run(root, "build", "--format", "html")
        assert broken.returncode == 1 and "O001 error: link to missing anchor '#nowhere'" in broken.stderr
        assert not (root / "dist").exists()
    template.write_text(good)
    assert run(root, "build", "--format", "html").returncode == 0


def test_an_edit_appears_in_every_format(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book")
    assert run(root, "build").returncode == 0
    chapter = root / "chapters/en/first.md"
    chapter.write_text(chapter.read_text().replace("A paragraph with", "A freshly edited paragraph with"))
    result = run(root, "build")
    assert summary(result) == "3 output(s), 3 written and 0 unchanged"
    assert "freshly edited" in (root / "dist/en/html/first.html").read_text()
    with zipfile.ZipFile(root / "dist/en/test-book.epub") as epub:
        assert any("freshly edited" in epub.read(n).decode() for n in epub.namelist() if n.endswith(".xhtml"))
    text = " ".join(p.extract_text() for p in PdfReader(root / "dist/en/test-book.pdf").pages)
    assert "freshly edited" in text


def test_after_a_small_edit_only_its_chapter_is_laid_out_and_the_pdf_is_a_cold_builds(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book")
    progress = {"BOOKBUILD_PROGRESS": "1"}
    first = run(root, "build", "--format", "pdf", env=progress).stderr
    chunks = int(re.search(r"en: pdf: \d+ chunk layouts for (\d+) chunks, 2 passes", first).group(1))
    assert chunks == 4  # the front matter, "About this book" and two chapters
    chapter = root / "chapters/en/second.md"
    chapter.write_text(chapter.read_text().replace("come from one file", "come from a single file"))
    edited = run(root, "build", "--format", "pdf", env=progress)
    assert "en: pdf: 1 chunk layout for 4 chunks, 1 pass" in edited.stderr, edited.stderr
    # The first pass started from the last build's pages: it must be what a cold build makes.
    cold = tmp_path / "cold"
    shutil.copytree(root, cold, ignore=shutil.ignore_patterns(".cache", "dist"))
    assert run(cold, "build", "--format", "pdf").returncode == 0
    assert (root / "dist/en/test-book.pdf").read_bytes() == (cold / "dist/en/test-book.pdf").read_bytes()
    text = " ".join(p.extract_text() for p in PdfReader(root / "dist/en/test-book.pdf").pages)
    assert "come from a single file" in re.sub(r"\s+", " ", text)


def test_a_template_change_is_not_served_from_the_cache(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book")
    assert run(root, "build").returncode == 0
    css = root / "templates/css/screen.css"
    css.write_text(css.read_text() + "\n/* changed */\n")
    result = run(root, "build", "--format", "html")
    assert summary(result) == "1 output(s), 1 written and 0 unchanged"
    assert "/* changed */" in (root / "dist/en/html/book.css").read_text()


def test_editing_a_table_reparses_only_the_chapters_that_use_it(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book")
    (root / "tables/spare.yaml").write_text(
        "caption: Spare\ncolumns:\n  - {name: word, label: Word, type: string}\n"
        "sources:\n  - {title: Nowhere, url: 'https://example.org/', checked: 2026-01-01}\nrows:\n  - {word: alpha}\n")
    second = root / "chapters/en/second.md"
    second.write_text(second.read_text() + '\n{{ table("spare") }}\n')
    assert run(root, "check").returncode == 0
    before = set((root / ".cache/ast").iterdir())
    spare = root / "tables/spare.yaml"
    spare.write_text(spare.read_text().replace("alpha", "omega"))
    assert run(root, "check").returncode == 0
    assert len(set((root / ".cache/ast").iterdir()) - before) == 1  # second.md only


def _differences(built: Path, cold: Path) -> list[str]:
    """Files that differ between two dist/ folders, or that only one of them has."""
    files = {p.relative_to(built) for p in built.rglob("*") if p.is_file()}
    files |= {p.relative_to(cold) for p in cold.rglob("*") if p.is_file()}
    return sorted(str(f) for f in files
                  if not (built / f).is_file() or not (cold / f).is_file()
                  or (built / f).read_bytes() != (cold / f).read_bytes())


def test_after_each_kind_of_edit_the_editions_are_those_of_a_cold_build(tmp_path: Path) -> None:
    """Chapters are remembered one by one; what is made from them must not tell."""
    root = make_book(tmp_path / "book", overlay=FIXTURES / "fr")
    config = root / "book.yaml"
    config.write_text(config.read_text().replace("  - second\n", "  - second\n  - third\n  - fourth\n"))
    for name in ("third", "fourth"):
        (root / f"chapters/en/{name}.md").write_text(f"# The {name} chapter {{#sec:{name}}}\n\nPlain prose.\n")
    formats = ("--format", "html", "--format", "epub")
    assert run(root, "build", *formats).returncode == 0
    first, colours = root / "chapters/en/first.md", root / "tables/colours.yaml"
    edits = [
        (first, "A paragraph with", "A freshly edited paragraph with"),  # prose: one chapter again
        (root / "chapters/en/fourth.md", "Plain prose.", "Plain prose, edited."),  # far from the image
        (first, "## A plain section",  # a new section, table and reference: the numbers after them move
         "## An inserted section {#sec:first-inserted}\n\nAs @sec:second-warm shows:\n\n"
         '{{ table("colours", id="tbl:colours-again", caption="Again") }}\n\n## A plain section'),
        (colours, "name: Vermilion", "name: Scarlet"),  # a table: the chapters that show it
    ]
    for number, (path, old, new) in enumerate(edits):
        assert old in path.read_text()
        path.write_text(path.read_text().replace(old, new, 1))
        assert run(root, "build", *formats).returncode == 0
        cold = tmp_path / f"cold-{number}"
        shutil.copytree(root, cold, ignore=shutil.ignore_patterns(".cache", "dist"))
        assert run(cold, "build", *formats).returncode == 0
        assert _differences(root / "dist", cold / "dist") == [], f"after edit {number}"
    assert "Scarlet" in (root / "dist/en/html/first.html").read_text()
    assert "Table\u00a03" in (root / "dist/en/html/second.html").read_text()  # was Table 2


def test_editing_one_chapter_makes_only_that_chapter_again(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book", overlay=FIXTURES / "fr")
    assert run(root, "build", "--format", "html").returncode == 0
    remembered = {kind: set((root / ".cache" / kind).iterdir()) for kind in ("resolved", "pages", "blobs")}
    first = root / "chapters/en/first.md"
    stale = (root / "dist/fr/html/first.html").read_text().count("translation-notice stale")
    first.write_text(first.read_text().replace("Paint comes in colours", "Paint comes in many colours"))
    assert run(root, "build", "--format", "html").returncode == 0
    assert "many colours" in (root / "dist/en/html/first.html").read_text()
    # The French section is now out of date: its page gains a notice, the book's outline stays.
    assert (root / "dist/fr/html/first.html").read_text().count("translation-notice stale") == stale + 1
    # first.md in each language, and nothing else; each site is remembered as the list of its
    # files, each file once (blobs/): of the sites' files, only the two new pages were stored.
    for kind, before in remembered.items():
        assert len(set((root / ".cache" / kind).iterdir()) - before) == 2, kind


def test_an_output_whose_files_left_the_cache_is_made_again(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book")
    assert run(root, "build", "--format", "html").returncode == 0
    site = _files(root / "dist")
    shutil.rmtree(root / "dist")
    shutil.rmtree(root / ".cache" / "blobs")  # as a trim or a hand might
    assert summary(run(root, "build", "--format", "html")) == "1 output(s), 1 written and 0 unchanged"
    assert _files(root / "dist") == site
    shutil.rmtree(root / "dist")  # and it was remembered again
    assert summary(run(root, "build", "--format", "html")) == "1 output(s), 0 written and 1 unchanged"
    assert _files(root / "dist") == site


def test_a_page_written_to_in_place_is_not_served_again(tmp_path: Path) -> None:
    """An unchanged page is put in the site as a hard link to its stored copy (.cache/blobs/):
    writing to dist/'s file in place writes to that copy too, which is then never used."""
    root = make_book(tmp_path / "book")
    first = root / "chapters/en/first.md"
    assert run(root, "build", "--format", "html").returncode == 0
    first.write_text(first.read_text().replace("A paragraph with", "An edited paragraph with"))
    assert run(root, "build", "--format", "html").returncode == 0
    page = root / "dist/en/html/second.html"
    good = page.read_bytes()
    assert page.stat().st_nlink > 1  # the stored copy, linked
    with open(page, "r+b") as handle:  # as an editor that keeps hard links does
        handle.write(b"<!-- edited by hand -->")
    first.write_text(first.read_text().replace("An edited paragraph", "A twice edited paragraph"))
    assert run(root, "build", "--format", "html").returncode == 0
    assert page.read_bytes() == good
    with open(page, "r+b") as handle:  # the whole site, from the cache this time
        handle.write(b"<!-- edited by hand -->")
    shutil.rmtree(root / "dist")
    assert run(root, "build", "--format", "html").returncode == 0
    assert page.read_bytes() == good
    cold = tmp_path / "cold"
    shutil.copytree(root, cold, ignore=shutil.ignore_patterns(".cache", "dist"))
    assert run(cold, "build", "--format", "html").returncode == 0
    assert _differences(root / "dist", cold / "dist") == []


def test_a_translation_with_every_section_does_not_parse_its_source(tmp_path: Path) -> None:
    """Its sections replace all of the source's: after an edit of the source, only the source
    edition parses it (the French one templates it differently: its table is in French)."""
    root = make_book(tmp_path / "book", overlay=FIXTURES / "fr")
    assert run(root, "build", "--format", "html").returncode == 0
    parsed = set((root / ".cache/ast").iterdir())
    first = root / "chapters/en/first.md"
    first.write_text(first.read_text().replace("Paint comes in colours", "Paint comes in many colours"))
    assert run(root, "build", "--format", "html").returncode == 0
    assert len(set((root / ".cache/ast").iterdir()) - parsed) == 1
    french = (root / "dist/fr/html/first.html").read_text()
    assert "La peinture existe" in french and "many colours" not in french
    # Without its first section, the French chapter needs the source's text again.
    translation = root / "chapters/fr/first.md"
    text = translation.read_text()
    translation.write_text(text[:text.index("## Les couleurs")] + text[text.index("## Une section"):])
    assert run(root, "build", "--format", "html").returncode == 0
    french = (root / "dist/fr/html/first.html").read_text()
    assert "Paint comes in many colours" in french and "translation-notice untranslated" in french


def _files(folder: Path) -> dict[Path, bytes]:
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_cache_entry_lost_during_the_build_is_reported(tmp_path: Path) -> None:
    from bookbuild.diagnostics import BuildFailed
    from bookbuild.model import EditionPart

    part = EditionPart("first", "0" * 64, [], root=tmp_path)
    with pytest.raises(BuildFailed) as failed:
        part.blocks
    assert [d.format() for d in failed.value.diagnostics] == [
        f".cache/resolved-blocks/{'0' * 64}.pickle:1: O002 error: this cache entry was removed while "
        "the book was being built\n    hint: build again"]


def test_a_file_found_valid_is_not_checked_again_until_it_changes(tmp_path: Path) -> None:
    """book.yaml and each language's strings are checked against their schema once; the
    verdict is remembered under their content, so a later build need not import jsonschema."""
    root = make_book(tmp_path / "book")
    assert run(root, "check").returncode == 0
    again = run(root, "check", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert again.returncode == 0 and "jsonschema" not in again.stderr
    config = root / "book.yaml"
    config.write_text(config.read_text() + "colour: red\n")
    broken = run(root, "check")
    assert broken.returncode == 2
    assert "book.yaml:" in broken.stderr and "B002 error: unknown key 'colour'" in broken.stderr


def test_after_an_edit_links_to_chapters_pandoc_is_not_given_are_written_as_it_writes_them(tmp_path: Path) -> None:
    """After an edit, Pandoc writes the edited chapter's page given only its neighbours (for the
    pager); a link to another chapter is written beforehand as Pandoc writes links between pages."""
    from bookbuild.model import EditionPart
    from bookbuild.writers import _needed_by

    root = make_book(tmp_path / "book")
    config = root / "book.yaml"
    config.write_text(config.read_text() + "  - third\n  - fourth\n")
    (root / "chapters/en/third.md").write_text("# The third chapter {#sec:third}\n\nA short one.\n")
    fourth = root / "chapters/en/fourth.md"
    fourth.write_text("# The fourth chapter {#sec:fourth}\n\nSee @sec:first, @sec:first-data and @tbl:colours.\n")
    assert run(root, "build", "--format", "html").returncode == 0
    fourth.write_text(fourth.read_text().replace("See", "Look at"))
    assert run(root, "build", "--format", "html").returncode == 0
    page = (root / "dist/en/html/fourth.html").read_text()
    assert "Look at" in page
    for href in ("first.html#first", "first.html#sec:first-data", "first.html#tbl:colours"):
        assert f'href="{href}"' in page, href
    cold = tmp_path / "cold"
    shutil.copytree(root, cold, ignore=shutil.ignore_patterns(".cache", "dist"))
    assert run(cold, "build", "--format", "html").returncode == 0
    assert _files(root / "dist") == _files(cold / "dist")
    # What Pandoc is given for the fourth chapter's page: it and its neighbour, not the first chapter.
    link = {"t": "Link", "c": [["", [], []], [{"t": "Str", "c": "there"}], ["#sec:first-data", ""]]}
    parts = tuple(EditionPart(name, name, [], f"{name}.html", ids=(f"sec:{name}", f"sec:{name}-data"),
                              made=[{"t": "Para", "c": [link]}]) for name in ("first", "second", "third", "fourth"))
    assert _needed_by(parts, {3}) == ({2, 3}, {"sec:first-data": "first.html#sec:first-data"})
