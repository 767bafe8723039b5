"""Load the translations declared in ``book.yaml``: words, chapters, table texts."""
from __future__ import annotations

from pathlib import Path

from babel import Locale, UnknownLocaleError

from .config import CONFIG_FILE, BookConfig
from .diagnostics import BuildFailed, Diagnostic, error
from .locale_text import STRINGS_DIR, load_strings
from .model import Chapter, Language, Table
from .schema import validate
from .table_text import load_table_texts
from .yamlfile import load_yaml, read_text

EDITION_FILE = "edition.yaml"
EDITION_SCHEMA = {"type": "object", "additionalProperties": False,
                  "properties": {k: {"type": "string"} for k in ("title", "subtitle", "description")}}


def load_languages(root: Path, config: BookConfig, tables: dict[str, Table]
                   ) -> tuple[dict[str, Language], list[Diagnostic]]:
    languages, problems = {}, []
    for code, line in zip(config.translations, config.translation_lines):
        language, found = load_language(root, config, code, line, tables)
        problems += found
        if language is not None:
            languages[code] = language
    return languages, problems


def load_language(root: Path, config: BookConfig, code: str, line: int, tables
                  ) -> tuple[Language | None, list[Diagnostic]]:
    try:
        Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return None, [error("L001", CONFIG_FILE, line, f"unknown language code '{code}'",
                            "use an ISO 639 code such as fr, es or pt-BR")]
    if code == config.language:
        return None, [error("L001", CONFIG_FILE, line, f"'{code}' is the source language, not a translation")]
    if not (root / STRINGS_DIR / f"{code}.yaml").is_file():
        return None, [error("L001", CONFIG_FILE, line, f"language '{code}' has no {STRINGS_DIR}/{code}.yaml",
                            f"run: python build.py new-language {code}")]
    try:
        strings = load_strings(root, code)
    except BuildFailed as failed:
        return None, failed.diagnostics
    problems: list[Diagnostic] = []
    meta = {}
    rel = f"chapters/{code}/{EDITION_FILE}"
    if (root / rel).is_file():
        doc, found = load_yaml(root / rel, rel, "B001")
        problems += found
        if doc is not None:
            found = validate(EDITION_SCHEMA, doc, rel, code="B002", root=root)
            problems += found
            meta = doc.data if not found and isinstance(doc.data, dict) else {}
    chapters = {}
    for name in config.chapters:
        rel = f"chapters/{code}/{name}.md"
        if (root / rel).is_file():
            text, found = read_text(root / rel, rel, "C001")
            problems += found
            if text is not None:
                chapters[name] = Chapter(name, code, rel, text)
    texts, found = load_table_texts(root, code, tables)
    problems += found
    language = Language(code, strings, meta.get("title", config.title), meta.get("subtitle", config.subtitle),
                        meta.get("description", config.description), chapters, texts, line)
    return language, problems
