"""Stage: the download page, ``dist/index.html``, listing every language edition.

Each built edition leaves two small files beside its PDF, EPUB and site:
``<lang>/cover.svg`` and ``<lang>/edition.json`` (its title, date, how much of
it is translated, and its words).  The page is drawn from those and from the
files themselves, so it can be redrawn from any dist/ folder, including one
merged from editions built on different machines (``build.py index``).
"""
from __future__ import annotations

import json
from pathlib import Path

from babel.numbers import format_percent
from babel.units import format_unit

from .cache import atomic_write
from .locale_text import language_name
from .model import Edition
from .templating import make_environment, render_template
from .typography import typeset

PAGE = "index.html"
INFO = "edition.json"
COVER = "cover.svg"
TEMPLATE = "downloads.html.j2"
FORMATS = {"pdf": "PDF", "epub": "EPUB", "html": "HTML"}


def edition_info(edition: Edition) -> dict:
    """What the download page says about one edition, in that edition's language."""
    config, strings, lang = edition.book.config, edition.book.strings, edition.lang
    source = lang == config.language
    percent = format_percent(edition.completeness / 100, locale=lang)
    status = strings["original_edition"] if source else strings["up_to_date"].format(percent=percent)
    words = {key: typeset(strings[key], lang) for key in ("downloads", "read_online", "report_problem")}
    words["last_updated"] = typeset(strings["last_updated"] + ":", lang)
    return {
        "language": lang, "name": language_name(lang), "source": source,
        "title": typeset(config.title, lang), "subtitle": typeset(config.subtitle, lang),
        "updated": edition.stamp.iso, "updated_text": edition.stamp.text,
        "completeness": edition.completeness, "status": typeset(status, lang),
        "cover_alt": typeset(strings["cover_of"].format(title=config.title), lang),
        "issues": config.issues, "words": words,
    }


def write_edition_files(edition: Edition, folder: Path) -> list[str]:
    """Write the edition's cover and description into ``folder``; return their names."""
    from .cover import write_cover

    folder.mkdir(parents=True, exist_ok=True)
    write_cover(edition, folder / COVER)
    text = json.dumps(edition_info(edition), indent=2, sort_keys=True, ensure_ascii=False)
    (folder / INFO).write_text(text + "\n", "utf-8")
    return [COVER, INFO]


def collect_editions(base: Path, manifest: dict) -> list[dict]:
    """What the download page shows of each edition found in ``base``, the original first."""
    editions = []
    for info_file in sorted(base.glob(f"*/{INFO}")):
        info = json.loads(info_file.read_text("utf-8"))
        lang = info["language"]
        entries = {e["format"]: e for e in manifest["editions"] if e["language"] == lang}
        files = [file_entry(info, fmt, entries[fmt]["path"], entries[fmt]["bytes"], entries[fmt]["sha256"])
                 for fmt in FORMATS if fmt in entries]
        if files:
            editions.append({**info, "files": files, "cover": f"{lang}/{COVER}", "home": files[-1]["path"]})
    return sorted(editions, key=lambda e: (not e["source"], e["language"]))


def file_entry(info: dict, fmt: str, path: str, size: int, sha256: str, archive: bool = False) -> dict:
    """One line of an edition's files.  The HTML site is read in place, unless it comes as a zip."""
    if fmt == "html" and not archive:
        text, download = f"{info['words']['read_online']} (HTML)", False
    else:
        text, download = FORMATS[fmt] + (" (zip)" if archive else ""), True
    return {"format": fmt, "text": text, "download": download, "path": path, "sha256": sha256,
            "size": _size(size, info["language"])}


def render_page(root: Path, editions: list[dict]) -> str:
    """The page's HTML.  It borrows its typeface from the first site beside it, if any."""
    sites = [f["path"] for e in editions for f in e["files"] if f["format"] == "html" and not f["download"]]
    fonts = sites[0].rsplit("/", 1)[0] if sites else None
    env = make_environment(root)
    env.autoescape = True  # an HTML page, unlike the Markdown chapter templates
    return render_template(env, TEMPLATE, editions=editions, page=editions[0], fonts=fonts)


def write_download_page(base: Path, root: Path, manifest: dict) -> Path | None:
    """Draw ``base/index.html`` from the editions found in ``base``."""
    editions = collect_editions(base, manifest)
    page = base / PAGE
    if not editions:
        page.unlink(missing_ok=True)
        return None
    atomic_write(page, render_page(root, editions))  # index.html may be a hard link into the live dist/
    return page


def _size(size: int, lang: str) -> str:
    """A file size in the reader's language: "1.2 MB", "1,2 Mo"."""
    if size >= 1_000_000:
        return format_unit(size / 1_000_000, "digital-megabyte", length="short", format="#,##0.0", locale=lang)
    return format_unit(max(1, round(size / 1000)), "digital-kilobyte", length="short", locale=lang)
