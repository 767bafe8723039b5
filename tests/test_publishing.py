"""Readers and publishing: the download page, the cover, builds split by
language and merged again, the release files, and the forge's workflow."""
from __future__ import annotations

import hashlib
import html.parser
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlparse

import yaml
from pypdf import PdfReader

from conftest import REPO, run

ARTIFACTS = REPO / ".test-artifacts"  # screenshots, kept for a human to look at


class _Page(html.parser.HTMLParser):
    """Every link and image of a page, and each edition's block of text."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.images: list[dict] = []
        self.editions: dict[str, str] = {}
        self.dates: dict[str, str] = {}
        self._edition: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "article":
            self._edition = attrs["lang"]
            self.editions[self._edition] = ""
        elif tag == "a":
            self.links.append(attrs["href"])
        elif tag == "img":
            self.images.append(attrs)
        elif tag == "time" and self._edition:
            self.dates[self._edition] = attrs["datetime"]

    def handle_endtag(self, tag):
        if tag == "article":
            self._edition = None

    def handle_data(self, data):
        if self._edition:
            self.editions[self._edition] += data


def _squash(text: str) -> str:
    """Runs of ASCII white space as one space (no-break spaces are kept: they are typography)."""
    return re.sub(r"[ \t\n]+", " ", text).strip()


def _page(dist: Path) -> _Page:
    page = _Page()
    page.feed((dist / "index.html").read_text("utf-8"))
    return page


def test_download_page_lists_every_edition_with_sizes_and_digests(bilingual_book: Path) -> None:
    dist = bilingual_book / "dist"
    page = _page(dist)
    assert list(page.editions) == ["en", "fr"]  # the original first
    for lang in ("en", "fr"):
        text = _squash(page.editions[lang])
        for fmt in ("pdf", "epub"):
            data = (dist / lang / f"test-book.{fmt}").read_bytes()
            assert f"{lang}/test-book.{fmt}" in page.links
            assert hashlib.sha256(data).hexdigest() in text
        assert f"{lang}/html/index.html" in page.links  # read it online
        assert page.dates[lang] == "2025-11-25"  # when it was last updated
    assert "Last updated: November 25, 2025" in _squash(page.editions["en"])
    assert "The original edition" in page.editions["en"]
    french = _squash(page.editions["fr"])
    assert "40\u00a0% de ses sections sont traduites et à jour" in french  # 2 of 5 sections
    assert "Dernière mise à jour\u202f: 25 novembre 2025" in french
    assert "Lire en ligne" in french and "Signaler un problème" in french
    assert page.links.count("https://example.org/issues") == 2  # report a problem, per edition
    assert [img["src"] for img in page.images] == ["en/cover.svg", "fr/cover.svg"]
    assert [img["alt"] for img in page.images] == ["Cover of Test Book", "Couverture de Livre d'essai"]


def test_download_page_in_chromium(bilingual_book: Path) -> None:
    dist = (bilingual_book / "dist").resolve()
    ARTIFACTS.mkdir(exist_ok=True)
    node_modules = REPO / ".tools" / "node_modules"
    assert (node_modules / "puppeteer-core").is_dir(), "run 'make tools' (make test does)"
    env = {**os.environ, "NODE_PATH": str(node_modules),
           "PUPPETEER_EXECUTABLE_PATH": shutil.which("chromium") or "/usr/bin/chromium"}
    proc = subprocess.run(["node", str(REPO / "tests" / "browser.js"), (dist / "index.html").as_uri(),
                           str(ARTIFACTS / "download-page")],
                          capture_output=True, text=True, env=env, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    for width, found in seen.items():
        local = [link for link in found["links"] if link.startswith("file:")]
        external = {link for link in found["links"] if not link.startswith("file:")}
        assert len(local) == 8 and external == {"https://example.org/issues"}
        for link in local:
            path = Path(unquote(urlparse(link).path))
            assert path.is_file() and dist in path.parents, link
        assert [image["loaded"] for image in found["images"]] == [True, True], width
        assert "Test Book" in found["text"]
    assert not seen["390"]["overflows"], "the page must fit a phone's width"
    for width in (390, 1100):
        assert (ARTIFACTS / f"download-page-{width}.png").stat().st_size > 10_000


def test_one_cover_serves_the_epub_the_pdf_and_the_download_page(bilingual_book: Path) -> None:
    dist = bilingual_book / "dist"
    for lang, language, title in (("en", "ENGLISH", "Test Book"), ("fr", "FRANÇAIS", "Livre d")):
        cover = (dist / lang / "cover.svg").read_text("utf-8")
        assert f">{language}<" in cover and f">{title}" in cover
        with zipfile.ZipFile(dist / lang / "test-book.epub") as epub:
            opf = epub.read("EPUB/content.opf").decode()
            item = re.search(r'<item [^>]*properties="cover-image"[^>]*>', opf).group(0)
            href = re.search(r'href="([^"]+)"', item).group(1)
            assert epub.read(f"EPUB/{href}").decode() == cover
        first_page = PdfReader(dist / lang / "test-book.pdf").pages[0].extract_text()
        assert language in first_page and title.split()[0] in first_page


def test_building_languages_apart_and_merging_gives_the_same_dist(bilingual_book: Path, tmp_path: Path) -> None:
    """What the forge's matrix does: one build per language, then make index."""
    merged = tmp_path / "merged" / "dist"
    for lang in ("en", "fr"):
        copy = tmp_path / lang
        shutil.copytree(bilingual_book, copy, ignore=shutil.ignore_patterns("dist", "last-build.json"))
        result = run(copy, "build", "--lang", lang)
        assert result.returncode == 0, result.stderr
        assert sorted(p.name for p in (copy / "dist").iterdir() if p.is_dir()) == [lang]
        shutil.copytree(copy / "dist" / lang, merged / lang)
    shutil.copy(bilingual_book / "book.yaml", merged.parent)
    shutil.copytree(bilingual_book / "templates", merged.parent / "templates")
    result = run(merged.parent, "index")
    assert result.returncode == 0, result.stderr
    full = bilingual_book / "dist"
    for name in ("index.html", "manifest.json"):
        assert (merged / name).read_text() == (full / name).read_text(), name


def test_languages_and_unknown_language(bilingual_book: Path) -> None:
    listed = run(bilingual_book, "languages")
    assert listed.returncode == 0 and json.loads(listed.stdout) == ["en", "fr"]
    unknown = run(bilingual_book, "build", "--lang", "de")
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr
    assert "--lang de: the book's languages are en, fr" in unknown.stderr


def test_release_files_are_complete_and_reproducible(bilingual_book: Path, tmp_path: Path) -> None:
    root = tmp_path / "book"
    shutil.copytree(bilingual_book, root)
    assert run(root, "release").returncode == 0
    out = root / "release"
    names = sorted(p.name for p in out.iterdir())
    assert names == ["SHA256SUMS", "test-book-all-editions.zip", "test-book-download-page.html",
                     "test-book-en-cover.svg", "test-book-en-html.zip", "test-book-en.epub", "test-book-en.pdf",
                     "test-book-fr-cover.svg", "test-book-fr-html.zip", "test-book-fr.epub", "test-book-fr.pdf"]
    # The release's own download page links to the files beside it, with their digests.
    page = _Page()
    page.feed((out / "test-book-download-page.html").read_text("utf-8"))
    local = [link for link in page.links + [i["src"] for i in page.images] if "://" not in link]
    assert local and all((out / link).is_file() for link in local)
    assert "test-book-fr-html.zip" in page.links
    zipped = hashlib.sha256((out / "test-book-fr-html.zip").read_bytes()).hexdigest()
    assert zipped in page.editions["fr"]
    sums = dict(reversed(line.split("  ")) for line in (out / "SHA256SUMS").read_text().splitlines())
    assert set(sums) == set(names) - {"SHA256SUMS"}
    for name, digest in sums.items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    with zipfile.ZipFile(out / "test-book-all-editions.zip") as whole:
        assert whole.namelist()[0] == "test-book/index.html"
        assert "test-book/fr/test-book.pdf" in whole.namelist()
    first = (out / "SHA256SUMS").read_text()
    assert run(root, "release").returncode == 0
    assert (out / "SHA256SUMS").read_text() == first  # byte for byte, every file


def test_release_without_editions_says_so(tmp_path: Path) -> None:
    shutil.copytree(REPO / "tests" / "fixtures" / "base", tmp_path / "book")
    result = run(tmp_path / "book", "release")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "there is no dist/ to release: build the book first (make book)" in result.stderr


def test_workflow_steps_are_the_readme_commands() -> None:
    """The forge runs only commands a reader of the README runs, on every push,
    with one job per language; a tag attaches the release files."""
    workflow = yaml.safe_load((REPO / ".forgejo" / "workflows" / "book.yml").read_text())
    readme = (REPO / "README.md").read_text()
    makefile = (REPO / "Makefile").read_text()
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads 'on' as true
    assert "push" in triggers
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    commands = [step["run"] for step in steps if "run" in step]
    targets = set()
    for command in commands:
        made = re.search(r"\bmake (?:-s )?([a-z-]+)((?: [a-z-]+)*)", command)
        assert made, f"a step must be a make command: {command}"
        for target in [made.group(1), *made.group(2).split()]:
            targets.add(target)
            assert re.search(rf"^{target}:|^[a-z ]*\b{target}\b[a-z ]*:", makefile, re.M), target
            assert f"make {target}" in readme, f"the README must document 'make {target}'"
    assert {"test", "book", "languages", "index", "release"} <= targets
    matrix = workflow["jobs"]["edition"]["strategy"]["matrix"]["lang"]
    assert "needs.languages.outputs.list" in matrix
    assert any("LANGS=${{ matrix.lang }}" in c for c in commands)
    release = [s for s in steps if "forgejo-release" in s.get("uses", "")]
    assert release and "refs/tags/" in release[0]["if"] and release[0]["with"]["release-dir"] == "release/"
