"""The files under ``templates/`` that every build needs, checked before anything is built."""
from __future__ import annotations

from pathlib import Path

from .diagnostics import Diagnostic, error

NEEDED = (  # what reads each
    "about.md.j2",  # the "About this book" front matter (Jinja2)
    "table.md.j2",  # each table a chapter shows (Jinja2)
    "cover.svg.j2",  # the EPUB's and the PDF's cover (Jinja2)
    "downloads.html.j2",  # dist/index.html, the download page (Jinja2)
    "site.html",  # the site's pages (Pandoc)
    "print.html",  # the HTML WeasyPrint lays out (Pandoc)
    "css/screen.css",
    "css/epub.css",
    "css/print.css",
)


def missing_templates(root: Path) -> list[Diagnostic]:
    return [error("B005", f"templates/{name}", 1, "file not found: every build needs it",
                  f"restore it from the repository (git checkout -- templates/{name})")
            for name in NEEDED if not (root / "templates" / name).is_file()]
