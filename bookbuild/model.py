"""The data that passes between stages.  Every type is immutable."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config import BookConfig


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    type: str
    required: bool = False
    key: bool = False
    enum: tuple = ()


@dataclass(frozen=True)
class Source:
    title: str
    url: str
    checked: str
    dated: str = ""
    reliability: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    path: str  # relative to the project root
    caption: str
    columns: tuple[Column, ...]
    rows: tuple[dict, ...]
    sources: tuple[Source, ...]
    notes: tuple[str, ...]
    row_lines: tuple[int, ...] = ()


@dataclass(frozen=True)
class Chapter:
    id: str
    lang: str
    path: str  # relative to the project root
    source: str  # the template text, as written
    config_line: int = 1


@dataclass(frozen=True)
class Language:
    """A translation: its words, its chapter files and its table texts."""
    code: str
    strings: dict[str, str]
    title: str
    subtitle: str
    description: str
    chapters: dict[str, Chapter]  # by chapter id; a chapter may be missing
    table_texts: dict = field(default_factory=dict)  # table name -> TableText
    config_line: int = 1


@dataclass(frozen=True)
class Book:
    root: Path
    config: BookConfig
    chapters: tuple[Chapter, ...]  # in the source language
    tables: dict[str, Table] = field(default_factory=dict)
    strings: dict[str, str] = field(default_factory=dict)
    languages: dict[str, Language] = field(default_factory=dict)


@dataclass(frozen=True)
class RenderedChapter:
    """A chapter after templating: plain Pandoc Markdown."""
    chapter: Chapter
    markdown: str
    tables_used: tuple[str, ...]


@dataclass(frozen=True)
class Anchor:
    id: str
    kind: str  # "sec", "tbl" or "fig"
    number: str
    level: int  # heading level for sections, 0 otherwise
    path: str
    chapter: str
    line: int = 1  # where the id is defined


@dataclass(frozen=True)
class Stamp:
    """When the edition was made: from SOURCE_DATE_EPOCH, so builds reproduce."""
    epoch: int
    iso: str  # 2026-11-25
    text: str  # 25 November 2026, in the edition's language


@dataclass(frozen=True)
class Edition:
    """One language of the book, parsed, numbered and resolved: ready to write."""
    book: Book
    lang: str
    stamp: Stamp
    ast: dict  # Pandoc JSON AST of the whole book
    anchors: dict[str, Anchor]
    completeness: int = 100  # percent of sections translated and up to date
