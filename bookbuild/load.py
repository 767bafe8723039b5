"""Stage: gather everything the book is made of, and check it, before writing.

``load(root)`` reads ``book.yaml``, the chapters of every language and the
tables.  It writes nothing.  Problems come back as diagnostics; only a broken
``book.yaml`` stops it early, because nothing else can be found without it.
"""
from __future__ import annotations

from pathlib import Path

from .config import CONFIG_FILE, load_config
from .diagnostics import Diagnostic, error
from .languages import load_languages
from .locale_text import load_strings
from .model import Book, Chapter
from .tables import load_tables
from .yamlfile import read_text

CHAPTERS_DIR = "chapters"


def load(root: Path) -> tuple[Book, list[Diagnostic]]:
    root = root.resolve()
    config = load_config(root)
    strings = load_strings(root, config.language)
    problems: list[Diagnostic] = []
    chapters = []
    for name, line in zip(config.chapters, config.chapter_lines):
        rel = f"{CHAPTERS_DIR}/{config.language}/{name}.md"
        path = root / rel
        if not path.is_file():
            problems.append(error("B003", CONFIG_FILE, line, f"chapter '{name}' has no file {rel}",
                                  f"create {rel}, or remove '{name}' from the chapters list"))
            continue
        text, found = read_text(path, rel, "C001")
        problems += found
        if text is not None:
            chapters.append(Chapter(name, config.language, rel, text, line))
    tables, found = load_tables(root)
    problems += found
    languages, found = load_languages(root, config, tables)
    problems += found
    book = Book(root, config, tuple(chapters), tables, strings, languages)
    return book, problems
