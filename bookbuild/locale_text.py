"""Words and formats of an edition's language.

UI strings ("Table", "on page", the live-document notice) come from
``templates/strings/<lang>.yaml``; dates and numbers are formatted by Babel.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_decimal

from .diagnostics import BuildFailed
from .schema import validate
from .yamlfile import load_yaml

STRINGS_DIR = "templates/strings"
KEYS = ("table", "tables", "section", "sections", "chapter", "chapters", "figure", "figures",
        "on_page", "and", "contents", "last_updated", "live_notice", "report_issue", "yes", "no",
        "sources", "checked", "dated", "notes", "edition", "about_title", "footnotes",
        "untranslated", "stale", "accessibility_summary", "downloads", "read_online",
        "report_problem", "original_edition", "up_to_date", "cover_of")

SCHEMA = {"type": "object", "additionalProperties": False, "required": list(KEYS),
          "properties": {k: {"type": "string"} for k in KEYS}}


def load_strings(root: Path, lang: str) -> dict[str, str]:
    rel = f"{STRINGS_DIR}/{lang}.yaml"
    doc, problems = load_yaml(root / rel, rel, "B001")
    if doc is None:
        raise BuildFailed(problems)
    problems = validate(SCHEMA, doc, rel, code="B002", root=root)
    if problems:
        raise BuildFailed(problems)
    return dict(doc.data)


@dataclass(frozen=True)
class Formatter:
    lang: str
    strings: dict

    def date(self, day: datetime.date) -> str:
        return format_date(day, format="long", locale=self.lang)

    def number(self, value) -> str:
        return format_decimal(value, locale=self.lang)

    def yes_no(self, value: bool) -> str:
        return self.strings["yes"] if value else self.strings["no"]


def language_name(code: str) -> str:
    """A language's name in that language, capitalised: "English", "Français"."""
    from babel import Locale

    name = Locale.parse(code.replace("-", "_")).get_display_name(code)
    return name[:1].upper() + name[1:]
