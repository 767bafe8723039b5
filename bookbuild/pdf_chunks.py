"""The print HTML cut into chunks that WeasyPrint lays out one by one.

The front matter is one chunk and each chapter (a level-1 section) another.
A chunk is laid out as if it stood where it stands in the whole book: its
first page number, the footnote count before it and the running head's book
title are given to it in a ``<style>``; cross-references and the contents
name pages found by an earlier layout; a link to an anchor in another chunk
is written ``bookbuild-dest:ID``, which the merge turns back into an internal
link.  Each chapter starts on a recto, so a chunk's layout does not depend
on where it starts, only its numbers do.
"""
from __future__ import annotations

import html as htmlmod
import re
from dataclasses import dataclass

INTERNAL = "bookbuild-dest:"  # the merge makes these links internal again
PLACEHOLDER = "00"  # a page number no layout has found yet
FIGURE_SPACE = "\u2007"  # as wide as a digit (the book's figures are tabular)
CHARS_PER_PAGE = 3500  # of print HTML, in a chapter of this book's 6 x 9 in pages: a first guess

_SECTION = re.compile(r'<section id="([^"]*)" class="level1')
_ID = re.compile(r'\sid="([^"]+)"')
_HREF = re.compile(r'href="#([^"]+)"')
_XREF_PAGE = re.compile(r'(<span class="xref-page" data-page-of="([^"]+)">[^<]*?)(\d+)</span>')
_TOC_LINK = re.compile(r'<a href="#([^"]+)" id="toc-')
_FOOTNOTE = re.compile(r'<span class="(?:footnote|url-note)"')
# The numbers a chunk's HTML prints (``shown_numbers``): its first page, in its <style>, ...
_START = re.compile(r"@page :first \{ counter-reset: page (\d+); \}\s*</style>\s*</head>")
# ... and each contents entry's page, once ``chunk_html`` has written it (and _XREF_PAGE)
_SHOWN_TOC = re.compile(r'<a href="(?:#|' + re.escape(INTERNAL) + r')([^"]+)" data-page="([^"]*)" id="toc-')


@dataclass(frozen=True)
class Chunk:
    name: str  # its chapter's id ("" for the front matter)
    body: str  # this chunk's part of <body>
    ids: frozenset[str]  # the anchors it holds
    footnotes: int  # how many footnotes it has
    xrefs: frozenset[str]  # the anchors whose page its cross-references print
    toc: frozenset[str]  # the anchors whose page its contents print


@dataclass(frozen=True)
class CutBook:
    head: str  # from <!DOCTYPE> to </head>, without the closing tag
    title: str
    chunks: tuple[Chunk, ...]


def cut(html: str) -> CutBook:
    """The print HTML as front matter, then one chunk per chapter."""
    head_end = html.index("</head>")
    body_start = html.index("<body>") + len("<body>")
    body_end = html.rindex("</body>")
    found = list(_SECTION.finditer(html, body_start, body_end))
    cuts = [(m.start(), m.group(1)) for m in found]
    if not cuts or cuts[0][0] > body_start:
        cuts.insert(0, (body_start, ""))
    bounds = [at for at, _ in cuts] + [body_end]
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    return CutBook(html[:head_end], htmlmod.unescape(title.group(1)) if title else "", tuple(
        Chunk(name, html[a:b], frozenset(_ID.findall(html, a, b)), len(_FOOTNOTE.findall(html, a, b)),
              frozenset(m.group(2) for m in _XREF_PAGE.finditer(html, a, b)), frozenset(_TOC_LINK.findall(html, a, b)))
        for (_, name), a, b in zip(cuts, bounds, bounds[1:])))


@dataclass(frozen=True)
class PrintedPages:
    """How a chunk prints the pages of the anchors it names (anchor -> text)."""
    xrefs: dict[str, str]  # in its cross-references ("Table 1 on page 11")
    toc: dict[str, str]  # in its contents


def printed_pages(book: CutBook, index: int, pages: dict[str, int]) -> PrintedPages:
    """The pages chunk ``index`` prints, given each anchor's page (the placeholder where none is
    known).  The contents' numbers are padded with figure spaces to the width of the widest, as
    LaTeX sets them in a box of fixed width: their leaders end in one column, and the page a
    later layout finds takes the place of the one laid out (``pdf_renumber``)."""
    chunk = book.chunks[index]
    known = [pages[name] for name in chunk.toc if name in pages]
    width = max(len(PLACEHOLDER), len(str(max(known) if known else _guessed_last_page(book))))
    return PrintedPages({name: str(pages.get(name, PLACEHOLDER)) for name in chunk.xrefs},
                        {name: str(pages[name]).rjust(width, FIGURE_SPACE) if name in pages else "0" * width
                         for name in chunk.toc})


def _guessed_last_page(book: CutBook) -> int:
    return round(sum(len(chunk.body) for chunk in book.chunks) / CHARS_PER_PAGE)


def chunk_html(book: CutBook, index: int, first_page: int, pages: dict[str, int]) -> str:
    """Chunk ``index`` as a document of its own, numbered from ``first_page``."""
    chunk = book.chunks[index]
    footnotes = sum(c.footnotes for c in book.chunks[:index])
    style = (f'html {{ counter-reset: footnote {footnotes}; string-set: book-title "{_css_string(book.title)}"; }}\n'
             f"@page :first {{ counter-reset: page {first_page}; }}\n") if index else ""
    printed = printed_pages(book, index, pages)
    body = _XREF_PAGE.sub(lambda m: m.group(1) + printed.xrefs[m.group(2)] + "</span>", chunk.body)
    body = _TOC_LINK.sub(lambda m: f'<a href="#{m.group(1)}" data-page="{printed.toc[m.group(1)]}" id="toc-', body)
    body = _HREF.sub(lambda m: m.group(0) if m.group(1) in chunk.ids else f'href="{INTERNAL}{m.group(1)}"', body)
    return f"{book.head}<style>\n{style}</style>\n</head>\n<body>{body}</body>\n</html>\n"


@dataclass(frozen=True)
class Shown:
    """The page numbers a chunk's HTML prints."""
    start: int  # its first page's
    numbers: tuple[tuple[str, str, str], ...]  # (kind, anchor, text) for each it prints, in order


def shown_numbers(html: str) -> Shown:
    start = _START.search(html)
    numbers = [(match.start(), "xrefs", match.group(2), match.group(3)) for match in _XREF_PAGE.finditer(html)]
    numbers += [(match.start(), "toc", match.group(1), match.group(2)) for match in _SHOWN_TOC.finditer(html)]
    return Shown(int(start.group(1)) if start else 1, tuple(number[1:] for number in sorted(numbers)))


def without_numbers(html: str) -> str:
    """The chunk's HTML with each page number it prints masked, figure by figure: chunks that
    differ only in their numbers, and not in their numbers' widths, are laid out alike."""
    def mask(match, group: int) -> str:
        start, end = match.span(group)
        return match.group(0)[:start - match.start()] + "#" * (end - start) + match.group(0)[end - match.start():]

    html = _START.sub(lambda m: mask(m, 1), html)
    html = _XREF_PAGE.sub(lambda m: mask(m, 3), html)
    return _SHOWN_TOC.sub(lambda m: mask(m, 2), html)


def _css_string(text: str) -> str:
    """``text`` inside a CSS string, inside a <style> element: no quote, backslash or "<" left bare."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace("\n", " ")
