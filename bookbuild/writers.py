"""Stage: write an edition's HTML site and EPUB with Pandoc.

Both are written from the edition's checked AST.  The PDF has its own module
(``pdf.py``) because it adds print-only transforms and WeasyPrint.
"""
from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

from .ast import visit
from .cache import digest, get_pickle, put_pickle, tool_versions
from .fonts import font_face_css, font_files
from .model import API_VERSION, Edition, EditionPart
from .pandoc import write
from .typography import typeset

TEMPLATES = "templates"


def metadata_args(edition: Edition) -> list[str]:
    config, strings, lang = edition.book.config, edition.book.strings, edition.lang
    fields = [("title", config.title), ("lang", lang), ("date", edition.stamp.iso),
              ("rights", config.license), ("identifier", config.identifier),
              ("toc-title", strings["contents"]), ("subtitle", config.subtitle),
              ("description", config.description)] + [("author", a) for a in config.authors]
    return [arg for key, value in fields if value for arg in ("-M", f"{key}={typeset(value, lang)}")]


def words_args(edition: Edition) -> list[str]:
    """The edition's own words that the page templates show, typeset for its language."""
    config, strings, lang = edition.book.config, edition.book.strings, edition.lang
    fields = [("live-notice", strings["live_notice"]), ("report-issue", strings["report_issue"]),
              ("issues", config.issues), ("pager-label", strings["contents"]),
              ("updated-line", f"{strings['last_updated']}: {edition.stamp.text}")]
    return [arg for key, value in fields for arg in ("-V", f"{key}={typeset(value, lang)}")]


def write_html_site(edition: Edition, out_dir: Path) -> Path:
    """A browsable site: index.html with the contents, then a page per chapter.

    A chapter's page depends on its own blocks and on the rest of the book's
    outline (the contents, the pager, which page holds each id).  Pages are
    remembered under that; Pandoc is given in full only the chapters whose
    page is not remembered, and the outline of the others."""
    root, config = edition.book.root, edition.book.config
    downloads = (f'<a href="../{config.slug}.pdf">PDF</a> · <a href="../{config.slug}.epub">EPUB</a>')
    args = metadata_args(edition) + [
        "--template", str(root / TEMPLATES / "site.html"), "--toc", "--toc-depth=2",
        "--split-level=1", "--chunk-template=%i.html", "--wrap=none",
        *words_args(edition), "-V", f"edition-links={downloads}",
        "-V", f"language-links={_language_links(edition)}", "--resource-path", str(root)]
    context = digest(tool_versions(), json.dumps(args), (root / TEMPLATES / "site.html").read_bytes(),
                     json.dumps([part.outline for part in edition.parts]))
    pages = [(part, _page_name(part), digest(context, part.key)) for part in edition.parts]
    remembered = {key: get_pickle(root, "pages", key) for _, name, key in pages if name}
    blocks = [block for part, name, key in pages
              for block in (part.outline if remembered.get(key) is not None else part.blocks)]
    ast = {"pandoc-api-version": API_VERSION, "meta": {}, "blocks": blocks}
    # Read and checked in the sandbox; the writer needs the project's images.
    write(_with_safe_chunk_ids(ast), "chunkedhtml", args + ["-o", str(out_dir)], "html",
          edition.stamp.epoch, sandbox=False)
    for _, name, key in pages:
        if remembered.get(key) is not None:
            (out_dir / name).write_bytes(remembered[key])
        elif name:
            put_pickle(root, "pages", key, (out_dir / name).read_bytes())
    (out_dir / "sitemap.json").unlink(missing_ok=True)
    css = font_face_css("fonts/") + (root / TEMPLATES / "css" / "screen.css").read_text("utf-8")
    (out_dir / "book.css").write_text(css, "utf-8")
    (out_dir / "fonts").mkdir()
    for font in font_files():
        shutil.copyfile(font, out_dir / "fonts" / font.name)
    return out_dir / "index.html"


def _page_name(part: EditionPart) -> str:
    """The page a part becomes, if it becomes exactly one ("" if not, and it is always written)."""
    openings = []
    visit(part.outline, lambda el: openings.append(el) if el["t"] == "Header" and el["c"][0] == 1 else None)
    first = part.blocks[0] if part.blocks else None
    if len(openings) != 1 or first is not openings[0] and first != openings[0]:
        return ""
    return first["c"][1][0].removeprefix("sec:") + ".html"


def _language_links(edition: Edition) -> str:
    """Links to the same site in the book's other languages, each named in its own language."""
    from .locale_text import language_name

    codes = [edition.book.config.language, *edition.book.languages]
    if len(codes) < 2:
        return ""
    links = []
    for code in codes:
        name = language_name(code)
        if code == edition.lang:
            links.append(f'<span lang="{code}" aria-current="true">{name}</span>')
        else:
            links.append(f'<a href="../../{code}/html/index.html" lang="{code}" hreflang="{code}">{name}</a>')
    return " ".join(links)


def _with_safe_chunk_ids(ast: dict) -> dict:
    """Chapter pages are named after chapter ids, and 'sec:iec.html' would read
    as a URL scheme; so level-1 ids lose their 'sec:' prefix in the site."""
    ast = copy.deepcopy(ast)
    renamed = {}
    for block in ast["blocks"]:
        if block["t"] == "Header" and block["c"][0] == 1 and block["c"][1][0].startswith("sec:"):
            old = block["c"][1][0]
            block["c"][1][0] = renamed[old] = old.removeprefix("sec:")

    def retarget(el):
        if el["t"] == "Link" and el["c"][2][0][1:] in renamed and el["c"][2][0].startswith("#"):
            el["c"][2][0] = "#" + renamed[el["c"][2][0][1:]]

    visit(ast, retarget)
    return ast


def write_epub(edition: Edition, out_file: Path, work: Path) -> Path:
    from .cover import write_cover

    root = edition.book.root
    cover = write_cover(edition, work / "cover.svg")
    features = ("structuralNavigation", "tableOfContents", "readingOrder", "alternativeText",
                "displayTransformability")
    accessibility = ["-M", f"accessibilitySummary={typeset(edition.book.strings['accessibility_summary'], edition.lang)}"]
    accessibility += [arg for feature in features for arg in ("-M", f"accessibilityFeatures={feature}")]
    args = metadata_args(edition) + accessibility + [
        "--toc", "--toc-depth=2", "--split-level=1", "--epub-title-page=true", "--wrap=none",
        "--css", str(root / TEMPLATES / "css" / "epub.css"),
        "--epub-cover-image", str(cover), "--resource-path", str(root), "-o", str(out_file)]
    # The AST was read and checked in the sandbox; the EPUB writer refuses
    # --css and the cover under --sandbox, so it runs without.
    write(edition.ast, "epub3", args, "epub", edition.stamp.epoch, sandbox=False)
    return out_file
