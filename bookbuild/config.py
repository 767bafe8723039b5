"""The book's metadata, declared once in ``book.yaml`` and validated."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import BuildFailed, Diagnostic, error
from .schema import validate
from .yamlfile import load_yaml

CONFIG_FILE = "book.yaml"

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["title", "authors", "language", "license", "identifier", "issues", "slug", "chapters"],
    "properties": {
        "title": {"type": "string", "minLength": 1},
        "subtitle": {"type": "string"},
        "description": {"type": "string"},
        "authors": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
        "language": {"type": "string", "pattern": "^[a-z]{2,3}(-[A-Z]{2})?$"},
        "license": {"type": "string", "minLength": 1},
        "identifier": {"type": "string", "pattern": "^urn:(uuid|isbn):[0-9A-Za-z-]+$"},
        "issues": {"type": "string", "format": "uri-http"},
        "slug": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"},
        "chapters": {"type": "array", "minItems": 1,
                     "items": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"}},
        "translations": {"type": "array", "uniqueItems": True,
                         "items": {"type": "string", "pattern": "^[a-z]{2,3}(-[A-Z]{2})?$"}},
        "translation_minimum": {"type": "integer", "minimum": 0, "maximum": 100},
        "linkcheck": {"type": "object", "additionalProperties": False, "properties": {
            "recheck_after_days": {"type": "number", "minimum": 0},
            "sources_max_age_days": {"type": "integer", "minimum": 1},
            "per_host": {"type": "integer", "minimum": 1, "maximum": 16},
            "timeout_seconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 120},
            "retries": {"type": "integer", "minimum": 0, "maximum": 10},
        }},
    },
}


@dataclass(frozen=True)
class LinkcheckConfig:
    """``linkcheck:`` in book.yaml: how ``build.py linkcheck`` checks external links."""
    recheck_after_days: float = 7  # a link found good is not fetched again for this long
    sources_max_age_days: int = 365  # a table source checked longer ago than this is listed
    per_host: int = 2  # requests in flight to one host at once
    timeout_seconds: float = 10
    retries: int = 3  # further tries after a timeout, a 429 or a 5xx


@dataclass(frozen=True)
class BookConfig:
    title: str
    subtitle: str
    description: str
    authors: tuple[str, ...]
    language: str
    license: str
    identifier: str
    issues: str
    slug: str
    chapters: tuple[str, ...]
    chapter_lines: tuple[int, ...]  # line of each chapter entry in book.yaml
    translations: tuple[str, ...] = ()
    translation_lines: tuple[int, ...] = ()
    translation_minimum: int = 0  # percent of sections up to date, else the edition is left out
    linkcheck: LinkcheckConfig = field(default_factory=LinkcheckConfig)

    @property
    def all_languages(self) -> tuple[str, ...]:
        """The book's own language, then its translations, as book.yaml lists them."""
        return (self.language, *self.translations)


def load_config(root: Path) -> BookConfig:
    """Read and validate ``book.yaml``; raise ``BuildFailed`` on any problem."""
    doc, problems = load_yaml(root / CONFIG_FILE, CONFIG_FILE, "B001")
    if doc is None:
        raise BuildFailed(problems)
    if not isinstance(doc.data, dict):
        raise BuildFailed([error("B002", CONFIG_FILE, 1, "book.yaml must be a mapping of keys to values")])
    problems = validate(SCHEMA, doc, CONFIG_FILE, code="B002", root=root)
    if problems:
        raise BuildFailed(problems)
    data = doc.data
    lines = tuple(doc.line(("chapters", i)) for i in range(len(data["chapters"])))
    seen: dict[str, int] = {}
    dups: list[Diagnostic] = []
    for name, line in zip(data["chapters"], lines):
        if name in seen:
            dups.append(error("B004", CONFIG_FILE, line,
                              f"chapter '{name}' is listed twice (first at line {seen[name]})"))
        seen.setdefault(name, line)
    if dups:
        raise BuildFailed(dups)
    return BookConfig(
        title=data["title"], subtitle=data.get("subtitle", ""),
        description=data.get("description", ""), authors=tuple(data["authors"]),
        language=data["language"], license=data["license"], identifier=data["identifier"],
        issues=data["issues"], slug=data["slug"], chapters=tuple(data["chapters"]),
        chapter_lines=lines,
        translations=tuple(data.get("translations", ())),
        translation_lines=tuple(doc.line(("translations", i)) for i in range(len(data.get("translations", ())))),
        translation_minimum=data.get("translation_minimum", 0),
        linkcheck=LinkcheckConfig(**data.get("linkcheck", {})),
    )
