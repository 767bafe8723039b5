"""Diagnostics: one type, one registry of codes, one printed form.

Every problem the pipeline finds in its inputs becomes a ``Diagnostic`` that
prints as ``path:line: CODE severity: message``.  Stages collect them and hand
them back; the command line sorts, prints and turns them into an exit code.
"""
from __future__ import annotations

from dataclasses import dataclass, field

ERROR = "error"
WARNING = "warning"

# Each code: (area, one-line explanation).  Area prefixes: B book config,
# C chapters, T tables, J templates, X cross-references, O outputs, S safety,
# K external links (build.py linkcheck).
CODES: dict[str, str] = {
    "B001": "book.yaml is missing or is not valid YAML.",
    "B002": "book.yaml has an unknown key, a missing key or a value of the wrong type.",
    "B003": "A chapter listed in book.yaml has no file under chapters/<lang>/.",
    "B004": "A chapter is listed twice in book.yaml.",
    "B005": "A template or stylesheet that every build needs is missing from templates/, or is not UTF-8 text.",
    "B006": "WeasyPrint ignores a rule of templates/css/print.css: unknown property, bad value, selector or at-rule.",
    "B007": "A Pandoc page template (templates/site.html or print.html) never writes $body$, or print.html lacks </head>, <body> or </body>.",
    "C001": "A chapter file is not valid UTF-8 text.",
    "C002": "A chapter does not start with a level-1 heading carrying a {#sec:...} id.",
    "C003": "A chapter shows an image whose file does not exist.",
    "C004": "An image has no alt text for readers who cannot see it.",
    "C005": "An image file cannot be shown: empty, damaged, a Git LFS pointer, or not PNG, JPEG, GIF, WebP or SVG.",
    "C006": "A chapter's level-1 id would name a page the site already has (sec:index, sec:about).",
    "T001": "A table file is not valid YAML, or not a mapping.",
    "T002": "A table file's structure is wrong: unknown or missing key, bad column declaration.",
    "T003": "A cell does not match its column's declared type, allowed values or format.",
    "T004": "A row has a column that the table does not declare.",
    "T005": "A row lacks a cell that its column declares as required.",
    "T006": "Two rows share the same value in the table's key column.",
    "T007": "A table is not used by any chapter.",
    "T008": "A chapter asks for a table that does not exist.",
    "J001": "A chapter's template syntax is broken (for example an unclosed {% block %} or {{ }}).",
    "J002": "A template failed while rendering (undefined name, bad table() arguments).",
    "J003": "A template tried something the sandbox forbids (internals, includes outside the project).",
    "X001": "A cross-reference points at an id that no section, table or figure has.",
    "X002": "Two sections, tables or figures share the same id.",
    "X003": "A cross-reference uses a prefix other than sec:, tbl: or fig:.",
    "L001": "A translation's language code is unknown, or it has no strings file.",
    "L002": "A translated chapter lacks a section, table or reference that its source has.",
    "L003": "A language edition is left out: too little of it is up to date.",
    "L004": "A translation has text for something its source does not have.",
    "O001": "A link inside a built edition points at an anchor that does not exist.",
    "O002": "The build's cache (.cache/) lost an entry while the book was being built: build again.",
    "O003": "A converter (Pandoc or WeasyPrint) failed, or Pandoc cannot read a template under templates/.",
    "V001": "EPUBCheck reports an error or warning in a built EPUB.",
    "V002": "The Nu HTML Checker reports an error in a built HTML page.",
    "V003": "A built PDF is not tagged, lacks its language, title or outline, or has a font not embedded.",
    "V004": "DAISY Ace reports an accessibility violation in a built EPUB.",
    "S001": "A YAML file uses Python tags or too many aliases.",
    "S002": "A chapter refers to a file outside the project, or to the network.",
    "S003": "A chapter holds raw HTML that could run code (<script>, on* attributes, javascript: URLs).",
    "K001": "An external link is broken: its server answers 4xx or 5xx, even after retries or redirects.",
    "K002": "An external link redirects (301, 302, 307, 308) to another address: link to that one.",
    "K003": "An external link could not be reached: unknown host, refused connection, timeout or rate limit.",
    "K004": "A table source was last checked longer ago than linkcheck.sources_max_age_days.",
}


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str
    line: int
    code: str
    message: str
    severity: str = ERROR
    hint: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unregistered diagnostic code {self.code}")

    def format(self) -> str:
        text = f"{self.path}:{self.line}: {self.code} {self.severity}: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


def error(code: str, path: str, line: int, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic(path, line, code, message, ERROR, hint)


def warning(code: str, path: str, line: int, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic(path, line, code, message, WARNING, hint)


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.severity == ERROR for d in diagnostics)


class BuildFailed(Exception):
    """Raised by a stage that cannot go on; carries every problem found so far."""

    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__(f"{len(diagnostics)} problem(s)")
        self.diagnostics = diagnostics

    def __reduce__(self):  # pickled from a worker process with its diagnostics, not its message
        return BuildFailed, (self.diagnostics,)
