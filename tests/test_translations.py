"""Translations: staleness per section, fallback with notices in every format,
French typography, the status command and the new-language scaffold."""
from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

from pypdf import PdfReader

from bookbuild.translation import MISSING, STALE, TRANSLATED, chapter_status
from conftest import FIXTURES, make_book, run

NNBSP = "\u202f"
SOURCE = (FIXTURES / "base/chapters/en/first.md").read_text()
FRENCH = (FIXTURES / "fr/chapters/fr/first.md").read_text()


def states(source: str, translated: str | None) -> dict[str, str]:
    return {s.id: s.state for s in chapter_status(source, translated)}


def test_fixture_translation_states() -> None:
    assert states(SOURCE, FRENCH) == {"sec:first": TRANSLATED, "sec:first-data": TRANSLATED,
                                      "sec:first-plain": STALE}
    assert set(states(SOURCE, None).values()) == {MISSING}


def test_editing_one_paragraph_makes_only_its_section_stale() -> None:
    edited = SOURCE.replace("Paint comes in colours", "Paint comes in many colours")
    assert states(edited, FRENCH) == {"sec:first": TRANSLATED, "sec:first-data": STALE,
                                      "sec:first-plain": STALE}


def test_trivial_edits_do_not_make_anything_stale() -> None:
    edited = SOURCE.replace("\n\n", "\n\n\n").replace("footnote.[^one]", "footnote.[^one]   ") \
        .replace("{## A comment that Pandoc never sees. ##}", "{## Another comment. ##}")
    assert states(edited, FRENCH) == states(SOURCE, FRENCH)


def test_french_edition_is_in_the_manifest(bilingual_book: Path) -> None:
    manifest = json.loads((bilingual_book / "dist/manifest.json").read_text())
    paths = {e["path"] for e in manifest["editions"] if e["language"] == "fr"}
    assert paths == {"fr/html/index.html", "fr/test-book.epub", "fr/test-book.pdf"}


def test_html_has_translation_notices_and_french_typography(bilingual_book: Path) -> None:
    site = bilingual_book / "dist/fr/html"
    first, second = (site / "first.html").read_text(), (site / "second.html").read_text()
    assert '<html lang="fr">' in first
    assert "Tableau\u00a01" in first and "Couleurs de peinture" in first and ">Vermillon</td>" in first
    assert f"Question{NNBSP}: «{NNBSP}pourquoi pas{NNBSP}?{NNBSP}»" in first
    assert f"parce que{NNBSP}!" in first
    # The stale section says so; the untranslated chapter falls back to English, marked.
    assert "translation-notice stale" in first
    assert "Cette section n’a pas encore été traduite" in second or \
           "Cette section n'a pas encore été traduite" in second
    assert '<div class="source-text" lang="en">' in second and "Back in" in second
    assert "colours; see also" in second  # English text keeps English punctuation


def test_epub_has_notices_and_typography(bilingual_book: Path) -> None:
    with zipfile.ZipFile(bilingual_book / "dist/fr/test-book.epub") as epub:
        text = "".join(epub.read(n).decode() for n in epub.namelist() if n.endswith(".xhtml"))
        opf = epub.read("EPUB/content.opf").decode()
    assert "<dc:language>fr</dc:language>" in opf and "Livre d&#39;essai" in opf
    assert f"Question{NNBSP}:" in text and "translation-notice stale" in text
    assert "translation-notice untranslated" in text


def test_pdf_has_notices_typography_and_french_words(bilingual_book: Path) -> None:
    reader = PdfReader(bilingual_book / "dist/fr/test-book.pdf")
    text = re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in reader.pages))
    assert reader.trailer["/Root"]["/Lang"] == "fr"
    assert "Table des matières" in text
    assert re.search(r"Tableau 1 à la page \d+", text)
    # The source has "Question:" and "pas?": the space before each was inserted by the pipeline.
    assert re.search(r"Question\s: «\spourquoi pas\s\?\s»", text)
    assert "Cette section n'a pas encore été traduite" in text
    assert "Le texte anglais de cette section a changé" in text or "a changé depuis" in text
    assert "15 janvier 2024" in text  # dates in French, from Babel


def test_translations_command_reports_and_diffs(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book", overlay=FIXTURES / "fr")
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "v1"], check=True)
    report = run(root, "translations")
    assert report.returncode == 0
    assert "fr (français): 2 translated (40%), 1 stale (20%), 2 missing (40%)" in report.stdout
    assert "stale    sec:first-plain (line 13)" in report.stdout
    # Accept the current source, then change one source paragraph and commit it.
    assert run(root, "translations", "fr", "--accept", "sec:first-plain").returncode == 0
    first = root / "chapters/en/first.md"
    first.write_text(first.read_text().replace("Paint comes in colours", "Paint comes in many colours"))
    subprocess.run([*git, "commit", "-qam", "v2"], check=True)
    report = run(root, "translations", "fr", "--diff")
    assert "3 translated" not in report.stdout and "stale    sec:first-data" in report.stdout
    assert "-Paint comes in colours, listed in @tbl:colours. The warm ones get" in report.stdout
    assert "+Paint comes in many colours, listed in @tbl:colours. The warm ones get" in report.stdout
    assert "sec:first-plain" not in report.stdout


def test_new_language_builds_at_once_with_fallbacks(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book", overlay=FIXTURES / "fr")
    scaffold = run(root, "new-language", "es")
    assert scaffold.returncode == 0, scaffold.stderr
    assert "translations: [fr, es]" in (root / "book.yaml").read_text()
    for made in ("templates/strings/es.yaml", "chapters/es/edition.yaml", "chapters/es/first.md"):
        assert (root / made).is_file()
    report = run(root, "translations", "es")
    assert "es (español): 0 translated (0%), 0 stale (0%), 5 missing (100%)" in report.stdout
    build = run(root, "build", "--format", "html")
    assert build.returncode == 0, build.stderr
    page = (root / "dist/es/html/first.html").read_text()
    assert '<html lang="es">' in page and "translation-notice untranslated" in page
    cover = (root / "dist/es/cover.svg").read_text()  # drawn for it: no image to make
    assert ">ESPAÑOL<" in cover and 'xml:lang="es"' in cover
    downloads = (root / "dist/index.html").read_text()
    spanish = downloads[downloads.index('<article class="edition" lang="es"'):]
    assert "0\u00a0% of its sections are translated and up to date" in spanish  # its words: a copy of en's
    assert run(root, "new-language", "es").returncode == 2  # already there
    assert run(root, "new-language", "zz").returncode == 2  # not a language
