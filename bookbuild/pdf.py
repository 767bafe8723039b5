"""Stage: write the PDF.  Pandoc writes print HTML; WeasyPrint, in-process, lays it out.

Print-only transforms: footnotes become CSS footnotes at the foot of the
page, every external link gets its URL in a footnote so a print reader can
type it, and cross-references say "on page N".
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

from .ast import replace_inlines, span, stringify, visit
from .diagnostics import BuildFailed, error
from .fonts import font_dir, font_face_css
from .model import Edition
from .pandoc import write
from .writers import TEMPLATES, metadata_args, words_args


PLACEHOLDER = "00"  # a cross-reference's page before the first layout knows it
PAGES_CACHE = Path(".cache") / "pdf-pages"  # per language: each anchor's page in the last build
MAX_PASSES = 3


def print_ast(edition: Edition, pages: dict[str, int]) -> dict:
    """The edition's AST for print; cross-references name their page from ``pages``."""
    ast = copy.deepcopy(edition.ast)
    on_page = edition.book.strings["on_page"]

    def transform(el):
        kind = el["t"]
        if kind == "Note":
            inlines = []
            for block in el["c"]:
                if inlines:
                    inlines.append({"t": "Space"})
                inlines.extend(block["c"] if block["t"] in ("Para", "Plain") else [])
            return [span(["footnote"], replace_inlines(inlines, inline_url))]
        if kind == "Link":
            attr, inlines, (url, _) = el["c"]
            if "xref" in attr[1]:
                page = pages.get(url.lstrip("#"), PLACEHOLDER)
                el["c"][1] = inlines + [span(["xref-page"], [{"t": "Str", "c": f" {on_page}\u00a0{page}"}])]
                return [el]
            if url.startswith(("http://", "https://")) and stringify(inlines).strip() != url:
                el["c"][1] = replace_inlines(inlines, transform)
                return [el, span(["url-note"], [{"t": "Str", "c": url}])]
        return None

    def inline_url(el):
        """Inside a footnote a URL follows its link text, in parentheses."""
        if el["t"] == "Link" and el["c"][2][0].startswith(("http://", "https://")):
            url = el["c"][2][0]
            if stringify(el["c"][1]).strip() != url:
                return [el, {"t": "Str", "c": " ("}, span(["url"], [{"t": "Str", "c": url}]),
                        {"t": "Str", "c": ")"}]
        return None

    ast["blocks"] = replace_inlines(ast["blocks"], transform)
    return ast


def print_html(edition: Edition, pages: dict[str, int] | None = None) -> str:
    from .cover import cover_svg

    book = edition.book
    cover = cover_svg(edition).split("?>", 1)[-1].strip()  # inline, without the XML declaration
    args = metadata_args(edition) + ["-V", f"cover={cover}",
        "--template", str(book.root / TEMPLATES / "print.html"), "--toc", "--toc-depth=2",
        "--section-divs", "--wrap=none",
        *words_args(edition)]
    return write(print_ast(edition, pages or {}), "html5", args, "pdf", edition.stamp.epoch)


def _refusal(url: str, root: Path, edition: Edition):
    """S002 for a URL WeasyPrint was refused, pointing at the stylesheet line that asked for it."""
    from .sourcelines import find_line

    css = root / TEMPLATES / "css" / "print.css"
    text = css.read_text("utf-8")
    if url in text:
        where, line = "templates/css/print.css", find_line(text, url)
    else:
        where, line = f"dist/{edition.lang}/{edition.book.config.slug}.pdf", 1
    return error("S002", where, line, f"refused to fetch {url}", "the PDF may use only files inside the project")


def _cites(edition: Edition) -> bool:
    """Whether the edition has cross-references at all (else one layout is enough)."""
    found = []
    visit(edition.ast, lambda el: found.append(el) if el["t"] == "Link" and "xref" in el["c"][0][1] else None)
    return bool(found)


def write_pdf(edition: Edition, out_file: Path) -> int:
    """Lay out and write the edition's PDF; return how many layouts it took."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

    root = edition.book.root
    allowed = [root.resolve(), font_dir().resolve()]
    refused: list[str] = []

    class ProjectFetcher(URLFetcher):
        """Serves files inside the project and the font package; nothing else."""

        def fetch(self, url, headers=None):
            if url.startswith("file://"):
                path = Path(url[len("file://"):].split("?")[0].split("#")[0]).resolve()
                if any(path == base or base in path.parents for base in allowed):
                    return super().fetch(url, headers)
            refused.append(url)
            raise ValueError(f"refused: {url}")

    css = font_face_css(font_dir().as_uri() + "/") + \
        (root / TEMPLATES / "css" / "print.css").read_text("utf-8")
    fonts = FontConfiguration()
    stylesheet = weasyprint.CSS(string=css, url_fetcher=ProjectFetcher(), font_config=fonts)
    # Cross-references say "on page N".  CSS target-counter() can do it, but
    # every forward reference makes WeasyPrint re-lay out the pages after it:
    # 4x slower on a 230-page book, and worse as books grow.  So, as LaTeX
    # does, a first layout finds the pages and a second writes them in; a
    # third runs only if the numbers moved something.  (The contents keep
    # target-counter: its entries come before their targets and cost little.)
    # The first layout starts from the pages the last build found: after an
    # edit that moved nothing, that layout is already right, and the only one.
    targets = set(edition.anchors)
    remembered = edition.book.root / PAGES_CACHE / f"{edition.lang}.json"
    pages = _remembered_pages(remembered, targets)
    layouts = 0
    for _ in range(MAX_PASSES):
        layouts += 1
        document = None  # let the last layout go first: two of a long book side by side double the memory
        document = weasyprint.HTML(string=print_html(edition, pages), base_url=str(root) + "/",
                                   url_fetcher=ProjectFetcher()).render(stylesheets=[stylesheet], font_config=fonts)
        found: dict[str, int] = {}
        for number, page in enumerate(document.pages, 1):
            for name in page.anchors:  # a section split over pages starts on the first
                if name in targets:
                    found.setdefault(name, number)
        if found == pages or not _cites(edition):
            break
        pages = found
    if refused:
        raise BuildFailed([_refusal(url, root, edition) for url in refused])
    document.write_pdf(out_file, pdf_identifier=edition.book.config.identifier.encode(),
                       custom_metadata=True, pdf_tags=True)
    _remember_pages(remembered, found)
    return layouts


def _remembered_pages(path: Path, targets: set[str]) -> dict[str, int]:
    """The anchors' pages in the last build, as a first guess (checked by the layout)."""
    try:
        pages = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(pages, dict):
        return {}
    return {k: v for k, v in pages.items() if k in targets and isinstance(v, int)}


def _remember_pages(path: Path, pages: dict[str, int]) -> None:
    from .cache import atomic_write

    atomic_write(path, json.dumps(pages, sort_keys=True))
