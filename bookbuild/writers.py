"""Stage: write an edition's HTML site and EPUB with Pandoc.

Both are written from the edition's checked AST.  The PDF has its own module
(``pdf.py``) because it adds print-only transforms and WeasyPrint.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .ast import visit
from .cache import blob_bytes, digest, get_pickle, place_blob, put_blob, put_pickle, tool_versions
from .fonts import font_face_css, font_files
from .model import API_VERSION, Edition, EditionPart
from .pandoc import write
from .typography import typeset

TEMPLATES = "templates"
_PLAIN_ID = re.compile(r"[A-Za-z0-9:_.-]+")  # written into a link by Pandoc as it is


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


def write_html_site(edition: Edition, out_dir: Path) -> dict[str, str]:
    """A browsable site: index.html with the contents, then a page per chapter.
    Returns each page's sha256 (its file name in ``.cache/blobs/``), by its path in the site.

    A chapter's page depends on its own blocks and on the book's outline (the
    contents, the pager, which page holds each id); pages are remembered under
    both.  While the outline stands, Pandoc is given only the chapters whose
    page is not remembered, with the outline of their neighbours and of the
    chapters they link to; every other page is the remembered one."""
    root, config = edition.book.root, edition.book.config
    downloads = (f'<a href="../{config.slug}.pdf">PDF</a> · <a href="../{config.slug}.epub">EPUB</a>')
    args = metadata_args(edition) + [
        "--template", str(root / TEMPLATES / "site.html"), "--toc", "--toc-depth=2",
        "--split-level=1", "--chunk-template=%i.html", "--wrap=none",
        *words_args(edition), "-V", f"edition-links={downloads}",
        "-V", f"language-links={_language_links(edition)}", "--resource-path", str(root)]
    context = digest(tool_versions(), json.dumps(args), (root / TEMPLATES / "site.html").read_bytes(),
                     *(part.outline_key for part in edition.parts))
    parts = edition.parts
    keys = [digest(context, part.key) for part in parts]
    remembered = {"index.html": _remembered_page(root, digest(context, "index.html"))}
    remembered.update((part.page, _remembered_page(root, key)) for part, key in zip(parts, keys) if part.page)
    stale = {i for i, part in enumerate(parts) if remembered.get(part.page) is None}
    if remembered["index.html"] is None:  # a new outline: every chapter, most by its outline
        given, elsewhere = set(range(len(parts))), {}
    else:
        given, elsewhere = _needed_by(parts, stale)
    if given:
        blocks = [block for i in sorted(given) for block in (parts[i].blocks if i in stale else parts[i].outline)]
        ast = {"pandoc-api-version": API_VERSION, "meta": {}, "blocks": blocks}
        # Read and checked in the sandbox; the writer needs the project's images.
        write(_for_the_site(ast, elsewhere), "chunkedhtml", args + ["-o", str(out_dir)], "html",
              edition.stamp.epoch, sandbox=False)
        (out_dir / "sitemap.json").unlink(missing_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    fresh = [("index.html", digest(context, "index.html"))] if remembered["index.html"] is None else []
    fresh += [(parts[i].page, keys[i]) for i in stale if parts[i].page]
    pages = {}
    for name, key in fresh:
        pages[name] = put_blob(root, (out_dir / name).read_bytes())
        put_pickle(root, "pages", key, pages[name])
    for name, page in remembered.items():
        if page is not None:
            place_blob(root, *page, out_dir / name)
            pages[name] = page[0]
    _copy_images(parts, set(range(len(parts))) - given, root, out_dir)
    css = font_face_css("fonts/") + (root / TEMPLATES / "css" / "screen.css").read_text("utf-8")
    (out_dir / "book.css").write_text(css, "utf-8")
    (out_dir / "fonts").mkdir()
    for font in font_files():
        shutil.copyfile(font, out_dir / "fonts" / font.name)
    return pages


def _remembered_page(root: Path, key: str) -> tuple[str, bytes] | None:
    """A page remembered under ``key``: its sha256 in ``.cache/blobs/`` and its checked content."""
    blob = get_pickle(root, "pages", key)
    data = blob_bytes(root, blob) if isinstance(blob, str) else None
    return (blob, data) if data is not None else None


def _needed_by(parts: tuple[EditionPart, ...], stale: set[int]) -> tuple[set[int], dict[str, str]]:
    """The parts Pandoc must see to write the stale parts' pages: those and their neighbours
    (the pager); and the pages of the ids they link to in other parts, as Pandoc would write
    those links ("page.html#id"), so that it need not be given those parts too.  A part that
    is not one page, or an id that Pandoc might write otherwise, is given instead."""
    if not stale:
        return set(), {}
    holder: dict[str, int] = {}
    for index, part in enumerate(parts):
        for name in part.ids:
            holder.setdefault(name, index)
    needed, targets = set(), []
    for index in stale:
        needed |= {i for i in (index - 1, index, index + 1) if 0 <= i < len(parts)}
        visit(parts[index].blocks, lambda el: targets.append(el["c"][2][0][1:])
              if el["t"] == "Link" and el["c"][2][0].startswith("#") else None)
    elsewhere = {}
    for name in targets:
        if name not in holder or holder[name] in needed:
            continue
        page = parts[holder[name]].page
        if page and _PLAIN_ID.fullmatch(name):
            level1 = name == "sec:" + page.removesuffix(".html")  # the site drops its "sec:" (_for_the_site)
            elsewhere[name] = f"{page}#{name.removeprefix('sec:') if level1 else name}"
        else:
            needed.add(holder[name])
    return needed, {name: page for name, page in elsewhere.items() if holder[name] not in needed}


def _copy_images(parts, absent: set[int], root: Path, out_dir: Path) -> None:
    """The images of the parts Pandoc was not given, where Pandoc puts the others'."""
    for index in absent:
        for url in parts[index].images:
            rel = unquote(urlsplit(url).path)
            if not urlsplit(url).scheme and (root / rel).is_file() and not (out_dir / rel).exists():
                (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(root / rel, out_dir / rel)


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


def _for_the_site(ast: dict, elsewhere: dict[str, str]) -> dict:
    """Chapter pages are named after chapter ids, and 'sec:iec.html' would read
    as a URL scheme; so level-1 ids lose their 'sec:' prefix in the site.
    A link to an id ``elsewhere`` (in a chapter Pandoc is not given) is
    written as Pandoc writes one between pages: to that page, then the id.

    Headings are numbered already; marked unnumbered, they do not also get
    Pandoc's data-number, which counts chapters from the first one it is given."""
    ast = json.loads(json.dumps(ast))  # a copy, five times sooner than copy.deepcopy
    renamed = {}
    for block in ast["blocks"]:
        if block["t"] == "Header" and block["c"][0] == 1 and block["c"][1][0].startswith("sec:"):
            old = block["c"][1][0]
            block["c"][1][0] = renamed[old] = old.removeprefix("sec:")

    def retarget(el):
        if el["t"] == "Link" and el["c"][2][0][1:] in elsewhere and el["c"][2][0].startswith("#"):
            el["c"][2][0] = elsewhere[el["c"][2][0][1:]]
        elif el["t"] == "Link" and el["c"][2][0][1:] in renamed and el["c"][2][0].startswith("#"):
            el["c"][2][0] = "#" + renamed[el["c"][2][0][1:]]
        elif el["t"] == "Header" and "unnumbered" not in el["c"][1][1]:
            el["c"][1][1].append("unnumbered")

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
