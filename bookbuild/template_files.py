"""The files under ``templates/`` that every build needs, checked before anything is built:
there, readable as UTF-8 text, and, for Pandoc's page templates, writing the text."""
from __future__ import annotations

import re
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
PANDOC_TEMPLATES = ("site.html", "print.html")  # the site's pages and the print HTML (Pandoc)
_BODY = re.compile(r"\$\{?\s*body\b")  # $body$, ${body}, $body/pipe$


def template_text(root: Path, name: str) -> str | None:
    """``templates/<name>`` as text, or None if it is missing or not UTF-8 (B005 says so)."""
    try:
        return (root / "templates" / name).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def check_template_files(root: Path) -> list[Diagnostic]:
    """B005 for each needed file that is missing or is not UTF-8 text; B007 for a page template
    that would leave an edition without its text."""
    problems = []
    for name in NEEDED:
        rel = f"templates/{name}"
        try:
            text = (root / rel).read_bytes().decode("utf-8")
        except (FileNotFoundError, IsADirectoryError):
            problems.append(error("B005", rel, 1, "file not found: every build needs it",
                                  f"restore it from the repository (git checkout -- {rel})"))
        except UnicodeDecodeError as bad:
            data = (root / rel).read_bytes()
            problems.append(error("B005", rel, data.count(b"\n", 0, bad.start) + 1,
                                  f"not UTF-8 text: byte 0x{data[bad.start]:02x} cannot be read",
                                  "save the file as UTF-8"))
        else:
            if name in PANDOC_TEMPLATES and not _BODY.search(text):
                problems.append(error("B007", rel, 1, "this Pandoc template never writes $body$: "
                                      "the edition would have no text", "put $body$ where the chapters go"))
            if name == "print.html":
                problems += _cutting_tags(text, rel)
    return problems


def _cutting_tags(text: str, rel: str) -> list[Diagnostic]:
    """The PDF is laid out chapter by chapter, cut from the print HTML at these tags (pdf_chunks.py)."""
    missing = [tag for tag in ("</head>", "<body>", "</body>") if tag not in text]
    if not missing:
        return []
    return [error("B007", rel, 1, f"the print template lacks {', '.join(missing)}: the PDF is cut into "
                  "chapters between </head>, <body> and </body>",
                  "keep them as the repository's copy writes them: <body> without attributes")]
