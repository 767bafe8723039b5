"""Validate YAML data against a JSON Schema and word the failures for authors.

jsonschema does the checking; this module only turns each
``ValidationError`` into a ``Diagnostic`` on the right line, with a message an
author can act on.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Callable

from .diagnostics import Diagnostic, error
from .yamlfile import YamlDocument


@functools.lru_cache(maxsize=1)
def _format_checker():
    """jsonschema's checker with the book's formats (jsonschema is imported only when needed:
    about 0.15 s to import, a tenth of a build after an edit)."""
    from jsonschema import FormatChecker

    checker = FormatChecker()
    checker.checks("uri-http", raises=ValueError)(_is_http_url)
    checker.checks("iso-date", raises=ValueError)(_is_date)
    return checker


def _is_http_url(value: object) -> bool:
    from urllib.parse import urlsplit

    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise ValueError("not an http(s) URL")
    return True


def _is_date(value: object) -> bool:
    import datetime

    if isinstance(value, datetime.date):
        return True
    if isinstance(value, str):
        datetime.date.fromisoformat(value)
        return True
    raise ValueError("not a date")


def describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) < 60 else text[:57] + "..."


def where(path) -> str:
    parts = [str(p) if isinstance(p, str) else f"[{p}]" for p in path]
    return ".".join(parts).replace(".[", "[") or "the file"


def validate(schema: dict, doc: YamlDocument, rel: str,
             word: Callable[[Any, tuple], tuple[str, str, str] | None] | None = None,
             code: str = "B002", root: Path | None = None) -> list[Diagnostic]:
    """Every violation of ``schema`` in ``doc``, one diagnostic each.

    ``word(err, path)`` may return ``(code, message, hint)`` to word an error
    itself (tables do, to name columns); otherwise a generic wording is used.
    With ``root``, a document found valid is remembered in ``.cache/`` under its
    data and the schema, and is not checked again while neither changes.
    """
    from .cache import digest, has_pickle, put_pickle, tool_versions

    key = digest(tool_versions(), json.dumps(schema, sort_keys=True, default=str), repr(doc.data)) if root else ""
    if root and has_pickle(root, "valid", key):
        return []
    found = _violations(schema, doc, rel, word, code)
    if root and not found:
        put_pickle(root, "valid", key, True)
    return found


def _violations(schema: dict, doc: YamlDocument, rel: str, word, code: str) -> list[Diagnostic]:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema, format_checker=_format_checker())
    found: list[Diagnostic] = []
    reported: set[tuple] = set()
    for err in sorted(validator.iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path))):
        path = tuple(err.absolute_path)
        if path in reported and err.validator != "additionalProperties":
            continue  # one problem per value: a wrong type makes its enum check moot
        reported.add(path)
        worded = word(err, path) if word else None
        if worded is None:
            worded = _generic(err, path, code)
        if worded is None:
            continue
        found_code, message, hint = worded
        if err.validator == "additionalProperties":
            for extra in sorted(set(err.instance) - set(err.schema.get("properties", {}))):
                found.append(error(found_code, rel, doc.line(path + (extra,)),
                                   message.format(key=extra), hint))
            continue
        found.append(error(found_code, rel, doc.line(path), message, hint))
    return found


def _generic(err, path, code) -> tuple[str, str, str]:
    at = where(path)
    kind = err.validator
    if kind == "additionalProperties":
        allowed = ", ".join(sorted(err.schema.get("properties", {})))
        prefix = f"{at}: " if path else ""
        return code, prefix + "unknown key '{key}'", f"allowed keys: {allowed}"
    if kind == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return code, f"{at}: missing required key '{missing}'", ""
    if kind == "type":
        expected = err.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return code, f"{at} must be {_article(expected)}, got {describe(err.instance)}", ""
    if kind == "enum":
        allowed = ", ".join(map(str, err.validator_value))
        return code, f"{at} must be one of {allowed}, got {describe(err.instance)}", ""
    if kind == "format":
        return code, f"{at} is not a valid {err.validator_value}: {describe(err.instance)}", ""
    if kind == "pattern":
        return code, f"{at} does not have the expected form: {describe(err.instance)}", ""
    if kind in ("minItems", "minLength"):
        return code, f"{at} must not be empty", ""
    if kind == "uniqueItems":
        return code, f"{at} lists the same item twice", ""
    return code, f"{at}: {err.message}", ""


def _article(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"
