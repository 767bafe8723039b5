"""One chunk of the print HTML laid out by WeasyPrint, in-process, and remembered.

A layout is stored in ``.cache/pdf-chunks`` under the digest of the chunk's
HTML with its page numbers masked, the stylesheet, ``templates/`` and
``images/`` and the tool versions, so a chunk whose text did not change is
never laid out again: where it drew its numbers is remembered with it, and
the join puts other numbers in their place (``pdf_numbers.py``).
"""
from __future__ import annotations

import functools
import html as htmlmod
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .cache import digest, put_pickle, tool_versions
from .fonts import font_dir, font_face_css
from .pdf_chunks import Shown, shown_numbers, without_numbers

KIND = "pdf-chunks"
_FONT_COPIES: list[tuple[int, Path]] = []  # (the process, its folder) for each font configuration made
STYLESHEET = Path("templates") / "css" / "print.css"


@dataclass(frozen=True)
class ChunkLayout:
    pdf: bytes | None  # None if only measured: its numbers were guesses, it will be laid out again
    pages: int
    anchors: dict[str, int]  # anchor -> page within the chunk, from 1
    refused: tuple[str, ...]  # URLs the fetcher refused: the chunk is not usable
    shown: Shown = Shown(1, ())  # the page numbers its HTML printed
    numbers: tuple = ()  # where its PDF draws them (``weasy_numbers.DrawnNumber``)
    fixed: frozenset = frozenset()  # those that cannot be changed in its PDF: (kind, anchor)


def stylesheet_text(root: Path) -> str:
    return font_face_css(font_dir().as_uri() + "/") + (root / STYLESHEET).read_text("utf-8")


def layout_key(html: str, css: str, inputs: str) -> str:
    """The key of a chunk's layout: chunks that differ only in page numbers of the same widths share it."""
    return digest(tool_versions(), "pdf-chunk-masked", css, inputs, without_numbers(html))


def render(root: Path, html: str, css: str):
    """WeasyPrint's layout of one chunk, and the URLs its fetcher refused (the chunk is then unusable)."""
    import weasyprint

    stylesheet, fonts, fetcher = _styling(root, css)
    fetcher.refused.clear()
    document = weasyprint.HTML(string=html, base_url=str(root) + "/", url_fetcher=fetcher).render(
        stylesheets=[stylesheet], font_config=fonts)
    return document, tuple(fetcher.refused)


def anchors_of(document) -> dict[str, int]:
    """Each anchor's page within the laid-out chunk, from 1."""
    anchors: dict[str, int] = {}
    for number, page in enumerate(document.pages, 1):
        for name in page.anchors:  # a section split over pages starts on the first
            anchors.setdefault(name, number)
    return anchors


def finish(root: Path, key: str, document, refused: tuple[str, ...], identifier: bytes, write: bool,
           html: str) -> ChunkLayout:
    """The chunk's layout (of ``html``): its PDF drawn and remembered under ``key`` (unless a
    fetch was refused), with where it draws its page numbers; or, if not ``write``, only its
    measures: its pages and where its anchors fall."""
    from .weasy_numbers import write_noting_numbers

    pdf, numbers, fixed = None, (), frozenset()
    if write:
        pdf, numbers, fixed = write_noting_numbers(document, lambda: document.write_pdf(
            pdf_identifier=identifier, custom_metadata=True, pdf_tags=True))
    layout = ChunkLayout(pdf, len(document.pages), anchors_of(document), refused, shown_numbers(html), numbers, fixed)
    if write and not refused:
        put_pickle(root, KIND, key, layout)
    return layout


@functools.lru_cache(maxsize=4)
def _styling(root: Path, css: str):
    """The stylesheet and its fonts, loaded once per process (call it before forking
    workers, and they inherit it), with the fetcher that serves them."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    from . import weasy_arrays, weasy_footnotes

    weasy_footnotes.install()  # each footnote measured once per page, not once per footnote added
    weasy_arrays.install()  # no C type parsed for each length of array
    fetcher = project_fetcher(root)
    fonts = FontConfiguration()
    stylesheet = weasyprint.CSS(string=css, url_fetcher=fetcher, font_config=fonts)
    folder = getattr(fonts, "_folder", None)
    if folder is not None:
        _FONT_COPIES.append((os.getpid(), Path(folder)))
    return stylesheet, fonts, fetcher


def remove_font_copies() -> None:
    """Remove the copies of the fonts that WeasyPrint made for this process's layouts, in a
    folder of its own in /tmp (0.8 MB).  WeasyPrint removes them when their configuration is
    collected, which never happens in a build: it is kept to the end, and build.py ends without
    Python's clean-up (``os._exit``), so each build left one behind.  Call it at the end of a
    build; a later layout in this process loads the fonts again."""
    import shutil

    mine = [folder for pid, folder in _FONT_COPIES if pid == os.getpid()]  # not the forking process's
    if mine:
        _styling.cache_clear()
        _warm.cache_clear()
        for folder in mine:
            shutil.rmtree(folder, ignore_errors=True)
        _FONT_COPIES[:] = [(pid, folder) for pid, folder in _FONT_COPIES if folder not in mine]


def load_styling(root: Path, langs: Iterable[str] = ()) -> str:
    """Load the book's print stylesheet and fonts now, in this process, and lay out a
    few lines in each language; return the stylesheet.  The workers forked later inherit
    what a first layout loads (hyphenation patterns, faces, cffi's types): 0.2-0.3 s
    that each worker of each pass would spend again."""
    css = stylesheet_text(root)
    _styling(root, css)
    for lang in langs:
        _warm(root, css, lang)
    return css


@functools.lru_cache(maxsize=None)
def _warm(root: Path, css: str, lang: str) -> None:
    words = "Hyphenation, internationalization and responsibilities"
    sample = (f'<html lang="{htmlmod.escape(lang)}"><body><section class="level1"><h1>{words}</h1>'
              f"<p>{words} <em>{words}</em> <strong>{words}</strong> <strong><em>{words}</em></strong> 0123456789"
              f'<span class="footnote">{words}</span></p><table><tr><th>{words}</th><td>{words}</td></tr></table>'
              "</section></body></html>")
    document, _ = render(root, sample, css)
    document.write_pdf(pdf_tags=True)


def project_fetcher(root: Path):
    """A fetcher that serves files inside the project and the font package; nothing else."""
    from weasyprint.urls import URLFetcher

    allowed = [root.resolve(), font_dir().resolve()]

    class ProjectFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("file://"):
                path = Path(url[len("file://"):].split("?")[0].split("#")[0]).resolve()
                if any(path == base or base in path.parents for base in allowed):
                    return super().fetch(url, headers)
            self.refused.append(url)
            raise ValueError(f"refused: {url}")

    fetcher = ProjectFetcher()
    fetcher.refused = []
    return fetcher
