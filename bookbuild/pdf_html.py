"""The print HTML: Pandoc writes it from the edition, with print-only transforms.

Footnotes become CSS footnotes at the foot of the page, every external link
gets its URL in a footnote so a print reader can type it, and
cross-references say "on page N".  Each chapter's HTML is remembered under
its part's key, and the front matter (title pages and contents) under the
book's outline, so after an edit Pandoc writes only the edited chapter and
the front matter.
"""
from __future__ import annotations

import copy
import json
import re

from .ast import replace_inlines, span, stringify
from .cache import digest, get_pickle, put_pickle, tool_versions
from .model import API_VERSION, Edition
from .pandoc import write
from .pdf_chunks import PLACEHOLDER
from .writers import TEMPLATES, metadata_args, words_args

KIND = "print-html"
BODY_ARGS = ["--section-divs", "--wrap=none"]
_ADDRESS = re.compile(r"(https?://)?[\w-]+(\.[\w-]+)+(/\S*)?")  # link text that is a web address
# An empty level-1 heading between chapters, so that each chapter's sections close before the next
_MARKER = re.compile(r'<section id="bookbuild-[a-z0-9-]+" class="level1[^"]*">\s*<h1[^>]*></h1>')


def print_html(edition: Edition) -> str:
    """The edition's whole print HTML, from remembered pieces where it can."""
    from .cover import cover_svg

    root, on_page = edition.book.root, edition.book.strings["on_page"]
    cover = cover_svg(edition).split("?>", 1)[-1].strip()  # inline, without the XML declaration
    args = metadata_args(edition) + ["-V", f"cover={cover}", *words_args(edition),
                                     "--template", str(root / TEMPLATES / "print.html"), "--toc", "--toc-depth=2"]
    template = (root / TEMPLATES / "print.html").read_text("utf-8")
    front_key = digest(tool_versions(), "front", json.dumps(args), template, on_page,
                       *(part.outline_key for part in edition.parts))
    keys = [digest(tool_versions(), "body", on_page, part.key) for part in edition.parts]
    pieces = {key: get_pickle(root, KIND, key) for key in [front_key, *keys]}
    missing = [(key, part) for key, part in zip(keys, edition.parts) if pieces[key] is None]
    if missing:  # one Pandoc run for all of them, each after a marker
        written = _write([b for index, (_, part) in enumerate(missing)
                          for b in [_marker(f"part-{index}"), *print_blocks(part.blocks, on_page)]], BODY_ARGS, edition)
        for (key, _), html in zip(missing, _MARKER.split(written)[1:]):
            pieces[key] = html.strip().removesuffix("</section>").strip("\n") + "\n"
            put_pickle(root, KIND, key, pieces[key])
    if pieces[front_key] is None:
        outlines = print_blocks([b for part in edition.parts for b in part.outline], on_page)
        html = _write([_marker("start"), *outlines, _marker("end")], args + BODY_ARGS, edition)
        marks = list(_MARKER.finditer(html))
        pieces[front_key] = (html[:marks[0].start()], html[marks[-1].end():].removeprefix("\n</section>"))
        put_pickle(root, KIND, front_key, pieces[front_key])
    front, tail = pieces[front_key]
    return front + "".join(pieces[key] for key in keys) + tail


def _write(blocks: list, args: list[str], edition: Edition) -> str:
    ast = {"pandoc-api-version": API_VERSION, "meta": {}, "blocks": blocks}
    return write(ast, "html5", args, "pdf", edition.stamp.epoch)


def _marker(name: str) -> dict:
    return {"t": "Header", "c": [1, [f"bookbuild-{name}", ["unnumbered", "unlisted"], []], []]}


def address(inlines: list) -> list | None:
    """Link text that is a web address ("example.org/faq"), as an ``address`` span that
    is never hyphenated (a reader would type the hyphen) and may break only before a
    dot or after a slash, or None for other link text."""
    text = stringify(inlines)
    if not _ADDRESS.fullmatch(text):
        return None
    pieces = [piece for piece in re.split(r"(?<=[^/]/)(?!/)|(?=\.)", text) if piece]
    breaks = [[{"t": "RawInline", "c": ["html", "<wbr>"]}, {"t": "Str", "c": piece}] for piece in pieces[1:]]
    return [span(["address"], [{"t": "Str", "c": pieces[0]}] + [el for pair in breaks for el in pair])]


def print_blocks(blocks: list, on_page: str) -> list:
    """Blocks for print; a cross-reference's page is filled in per chunk (``pdf_chunks.py``)."""

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
                el["c"][1] = inlines + [span(["xref-page"], [{"t": "Str", "c": f" {on_page}\u00a0{PLACEHOLDER}"}],
                                             attrs=[["data-page-of", url.lstrip("#")]])]
                return [el]
            if url.startswith(("http://", "https://")) and stringify(inlines).strip() != url:
                el["c"][1] = address(inlines) or replace_inlines(inlines, transform)
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

    return replace_inlines(copy.deepcopy(blocks), transform)
