"""After rendering: prove that every internal link of every output resolves.

Authors' typos are caught before writing; this catches pipeline bugs — an
anchor renamed by a writer, a chapter split into the wrong file.
"""
from __future__ import annotations

import posixpath
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .cache import digest, get_pickle, put_pickle
from .diagnostics import Diagnostic, error


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.shape = ""  # a digest of its ids and links

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)
            elif name == "href" and value is not None and tag == "a":
                self.hrefs.append(value)


def _parse(text: str | Path, root: Path | None = None, sha256: str = "") -> _Links:
    """A page's ids and links (of its text, or of the file ``text`` names); remembered under
    ``root/.cache`` by the page's text, or by its file's ``sha256`` if given, with a digest of
    them (its ``shape``)."""
    key = (digest("sha256", sha256) if sha256 else digest(_text(text))) if root else ""
    remembered = get_pickle(root, "page-links", key) if root else None
    parser = _Links()
    if remembered is None:
        parser.feed(_text(text))
        parser.shape = digest(repr(sorted(parser.ids)), repr(parser.hrefs))
        if root:
            put_pickle(root, "page-links", key, (parser.ids, parser.hrefs, parser.shape))
    else:
        parser.ids, parser.hrefs, parser.shape = remembered
    return parser


def _text(text: str | Path) -> str:
    return text.read_text("utf-8") if isinstance(text, Path) else text


def check_pages(pages: dict[str, str | Path], label: str, root: Path | None = None,
                known: dict[str, str] | None = None) -> list[Diagnostic]:
    """``pages`` maps a path (posix, relative) to its HTML or XHTML text, or to its file.  With
    ``root``, the verdict is remembered under every page's ids and links: an edit that changes
    neither (most edits of prose) is not checked link by link again; and a page whose sha256
    ``known`` gives (by its path) is not read when its links are remembered."""
    parsed = {path: _parse(text, root, (known or {}).get(path, "")) for path, text in pages.items()}
    key = digest(label, *(f"{path}\0{page.shape}" for path, page in sorted(parsed.items()))) if root else ""
    problems = get_pickle(root, "link-checks", key) if root else None
    if problems is None:
        problems = _broken_links(parsed, label)
        if root:
            put_pickle(root, "link-checks", key, problems)
    return problems


def _broken_links(parsed: dict[str, _Links], label: str) -> list[Diagnostic]:
    problems = []
    for path, page in sorted(parsed.items()):
        for href in page.hrefs:
            parts = urlsplit(href)
            if parts.scheme or href.startswith("../") or href.startswith("//"):
                continue
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), unquote(parts.path))) \
                if parts.path else path
            if target not in parsed:
                if not parts.path.endswith((".css", ".svg", ".png", ".jpg")):
                    problems.append(error("O001", f"{label}/{path}", 1, f"link to missing page '{href}'"))
                continue
            fragment = unquote(parts.fragment)
            if fragment and fragment not in parsed[target].ids:
                problems.append(error("O001", f"{label}/{path}", 1, f"link to missing anchor '{href}'"))
    return problems


def check_html_site(site: Path, label: str, root: Path | None = None,
                    known: dict[str, str] | None = None) -> list[Diagnostic]:
    """Check the site's pages; ``known`` gives the sha256 of those its writer knows."""
    pages = {p.relative_to(site).as_posix(): p for p in site.rglob("*.html")}
    return check_pages(pages, label, root, known)


def check_epub(epub: Path, label: str) -> list[Diagnostic]:
    with zipfile.ZipFile(epub) as archive:
        pages = {name: archive.read(name).decode("utf-8") for name in archive.namelist()
                 if name.endswith((".xhtml", ".html"))}
    return check_pages(pages, label)


def check_pdf(pdf: Path, label: str) -> list[Diagnostic]:
    import pikepdf

    problems = []
    with pikepdf.open(pdf) as document:
        dests = document.Root.get("/Names", {}).get("/Dests")
        names = set(pikepdf.NameTree(dests).keys()) if dests is not None else set()
        for number, page in enumerate(document.pages, 1):
            for annot in page.obj.get("/Annots", ()):
                if annot.get("/Subtype") != "/Link":
                    continue
                action, dest = annot.get("/A"), annot.get("/Dest")
                if action is not None:
                    if action.get("/S") == "/URI":
                        continue
                    dest = action.get("/D")
                if dest is None:
                    problems.append(error("O001", label, number, "a link on this page has no destination"))
                elif isinstance(dest, pikepdf.String) and str(dest) not in names:
                    problems.append(error("O001", label, number, f"link to missing destination '{dest}'"))
    return problems


def check_output(output, target: Path, root: Path | None = None,
                 known: dict[str, str] | None = None) -> list[Diagnostic]:
    """Check one output just built at ``target``; a site's unchanged pages are read from
    ``root/.cache`` (``known``: the sha256 of the site's pages that its writer knows)."""
    if output.format == "html":
        return check_html_site(target, f"dist/{output.lang}/html", root, known)
    if output.format == "epub":
        return check_epub(target, f"dist/{output.path}")
    return check_pdf(target, f"dist/{output.path}")
