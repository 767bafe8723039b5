"""The data that passes between stages.  Every type is immutable."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from .config import BookConfig

API_VERSION = [1, 23, 1, 1]  # of Pandoc's JSON AST


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
class EditionPart:
    """One chapter of an edition (or its front matter), ready to write.

    Its blocks are read from ``.cache/`` only when a writer needs them: a site
    whose other pages are remembered needs one chapter's blocks, not the book's."""
    chapter: str
    key: str  # names its blocks: the same key, the same blocks
    outline: list  # its headings, ids and images alone: what other pages need of it
    page: str = ""  # the site page it becomes (index.html's chapters), or "" if not exactly one
    outline_key: str = ""  # names its outline
    ids: tuple[str, ...] = ()  # the ids in its outline, in order (where links into it land)
    images: tuple[str, ...] = ()  # the images its outline shows, as written
    made: list | None = field(default=None, repr=False, compare=False)  # its blocks, if just made
    root: Path | None = None  # the book whose cache holds its blocks otherwise

    @functools.cached_property
    def blocks(self) -> list:
        """Its Pandoc JSON AST blocks."""
        if self.made is not None:
            return self.made
        from .cache import needed_pickle

        return needed_pickle(self.root, "resolved-blocks", self.key)


@dataclass(frozen=True)
class Edition:
    """One language of the book, parsed, numbered and resolved: ready to write."""
    book: Book
    lang: str
    stamp: Stamp
    parts: tuple[EditionPart, ...]
    anchors: dict[str, Anchor]
    completeness: int = 100  # percent of sections translated and up to date

    @property
    def ast(self) -> dict:
        """Pandoc's JSON AST of the whole edition."""
        return {"pandoc-api-version": API_VERSION, "meta": {},
                "blocks": [block for part in self.parts for block in part.blocks]}

    @property
    def key(self) -> str:
        """A digest that names the whole AST."""
        import hashlib

        if not self.parts:  # sent back by a worker without its chapters: it has no key here
            raise ValueError(f"the {self.lang} edition's key is asked of a copy without its chapters")
        return hashlib.sha256("\0".join(part.key for part in self.parts).encode()).hexdigest()
