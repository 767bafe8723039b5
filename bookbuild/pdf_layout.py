"""One chunk of the print HTML laid out by WeasyPrint, in-process, and remembered.

A layout is stored in ``.cache/pdf-chunks`` under the digest of the chunk's
HTML, the stylesheet, ``templates/`` and ``images/`` and the tool versions,
so a chunk whose text and numbers did not change is never laid out again.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from .cache import digest, put_pickle, tool_versions
from .fonts import font_dir, font_face_css

KIND = "pdf-chunks"
STYLESHEET = Path("templates") / "css" / "print.css"


@dataclass(frozen=True)
class ChunkLayout:
    pdf: bytes | None  # None if only measured: its numbers were guesses, it will be laid out again
    pages: int
    anchors: dict[str, int]  # anchor -> page within the chunk, from 1
    refused: tuple[str, ...]  # URLs the fetcher refused: the chunk is not usable


def stylesheet_text(root: Path) -> str:
    return font_face_css(font_dir().as_uri() + "/") + (root / STYLESHEET).read_text("utf-8")


def layout_key(html: str, css: str, inputs: str) -> str:
    return digest(tool_versions(), "pdf-chunk", css, inputs, html)


def lay_out(root: Path, key: str, html: str, css: str, identifier: bytes, write: bool = True) -> ChunkLayout:
    """Lay out one chunk, write its PDF and remember it (unless a fetch was refused);
    or, if not ``write``, only measure it: its pages and where its anchors fall."""
    import weasyprint

    stylesheet, fonts, fetcher = _styling(root, css)
    fetcher.refused.clear()
    document = weasyprint.HTML(string=html, base_url=str(root) + "/", url_fetcher=fetcher).render(
        stylesheets=[stylesheet], font_config=fonts)
    anchors: dict[str, int] = {}
    for number, page in enumerate(document.pages, 1):
        for name in page.anchors:  # a section split over pages starts on the first
            anchors.setdefault(name, number)
    pdf = document.write_pdf(pdf_identifier=identifier, custom_metadata=True, pdf_tags=True) if write else None
    layout = ChunkLayout(pdf, len(document.pages), anchors, tuple(fetcher.refused))
    if write and not layout.refused:
        put_pickle(root, KIND, key, layout)
    return layout


@functools.lru_cache(maxsize=4)
def _styling(root: Path, css: str):
    """The stylesheet and its fonts, loaded once per process (call it before forking
    workers, and they inherit it), with the fetcher that serves them."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    fetcher = project_fetcher(root)
    fonts = FontConfiguration()
    return weasyprint.CSS(string=css, url_fetcher=fetcher, font_config=fonts), fonts, fetcher


def load_styling(root: Path) -> str:
    """Load the book's print stylesheet and fonts now, in this process; return the stylesheet."""
    css = stylesheet_text(root)
    _styling(root, css)
    return css


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
