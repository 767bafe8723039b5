"""Check: the rules of the print stylesheet that WeasyPrint cannot use.

WeasyPrint skips a declaration it does not know (a misspelt property, a value
of the wrong shape), a selector it cannot read or an at-rule it does not
support, and says so only in its log: the PDF then quietly lacks that style.
Each becomes a B006 warning at its line of ``templates/css/print.css``.

The verdict is remembered under the stylesheet's text and the tool versions,
so WeasyPrint (a second to import) is imported for this only when it changed.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path

from .cache import digest, get_pickle, put_pickle, tool_versions
from .diagnostics import Diagnostic, warning
from .pdf_layout import STYLESHEET as STYLESHEET_PATH, project_fetcher
from .template_files import template_text

STYLESHEET = STYLESHEET_PATH.as_posix()  # templates/css/print.css
HINT = ("the PDF is laid out as if it were not there; what WeasyPrint supports: "
        "https://doc.courtbouillon.org/weasyprint/stable/api_reference.html#supported-features")
_POSITION = re.compile(r",? at (?P<line>\d+):(?P<column>\d+)")
_IGNORED = re.compile(r"Ignored (?P<rule>`.*`)(?:,? at \d+:\d+)?, (?P<reason>.*)", re.S)
_SELECTOR = re.compile(r"Invalid or unsupported selector,? '(?P<selector>[^']*)'")
_AT_RULE = re.compile(r"<AtRule (?P<name>@[\w-]+)[^>]*>")  # how WeasyPrint names an at-rule


def check_print_stylesheet(root: Path) -> list[Diagnostic]:
    """A B006 warning for each rule of the print stylesheet that WeasyPrint ignores."""
    text = template_text(root, STYLESHEET_PATH.relative_to("templates").as_posix())
    if text is None:
        return []  # missing or not text: B005
    key = digest(tool_versions(), "print-stylesheet", text)
    found = get_pickle(root, "stylesheet-checks", key)
    if found is None:
        found = [_diagnostic(message, text) for message in _ignored(root, text)]
        put_pickle(root, "stylesheet-checks", key, found)
    return found


def _ignored(root: Path, text: str) -> list[str]:
    """What WeasyPrint logs while it reads ``text``, warnings and errors alone."""
    import weasyprint

    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = Collect(logging.WARNING)
    weasyprint.LOGGER.addHandler(handler)
    try:
        weasyprint.CSS(string=text, base_url=(root / STYLESHEET).as_uri(), url_fetcher=project_fetcher(root))
    finally:
        weasyprint.LOGGER.removeHandler(handler)
    return messages


def _diagnostic(message: str, text: str) -> Diagnostic:
    message = _AT_RULE.sub(r"\g<name>", " ".join(message.split()))
    position = _POSITION.search(message)
    line = int(position["line"]) if position else _line_of_selector(message, text)
    column = f" (column {position['column']})" if position else ""
    ignored = _IGNORED.match(message)
    if ignored:
        rule = "`" + ignored["rule"].strip("` ") + "`"
        said = f"WeasyPrint ignores {rule}{column}: {ignored['reason'].rstrip('.')}"
    else:
        said = f"WeasyPrint ignores this{column}: {_POSITION.sub('', message).rstrip('.')}"
    return warning("B006", STYLESHEET, line, said, HINT)


def _line_of_selector(message: str, text: str) -> int:
    """WeasyPrint gives no line for a selector it cannot read: the line where it is written."""
    selector = _SELECTOR.search(message)
    start = text.find(selector["selector"].strip()) if selector and selector["selector"].strip() else -1
    return text.count("\n", 0, start) + 1 if start >= 0 else 1
