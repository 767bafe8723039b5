"""Data tables: load ``tables/<name>.yaml``, validate it, and shape views of it.

A table declares its columns; the declaration becomes a JSON Schema for the
rows, so jsonschema does the checking.  Rendering to Markdown is done by the
``templates/table.md.j2`` template from a ``TableView``.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .diagnostics import Diagnostic, error
from .model import Column, Source, Table
from .schema import describe, validate
from .yamlfile import YamlDocument, load_yaml

TABLES_DIR = "tables"
TYPES = ("string", "integer", "number", "boolean", "url", "date", "list")

TABLE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["caption", "columns", "sources", "rows"],
    "properties": {
        "caption": {"type": "string", "minLength": 1},
        "columns": {"type": "array", "minItems": 1, "items": {
            "type": "object", "additionalProperties": False, "required": ["name", "label", "type"],
            "properties": {
                "name": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                "label": {"type": "string", "minLength": 1},
                "type": {"enum": list(TYPES)},
                "required": {"type": "boolean"},
                "key": {"type": "boolean"},
                "enum": {"type": "array", "minItems": 1},
            }}},
        "sources": {"type": "array", "minItems": 1, "items": {
            "type": "object", "additionalProperties": False, "required": ["title", "url", "checked"],
            "properties": {
                "title": {"type": "string", "minLength": 1},
                "url": {"type": "string", "format": "uri-http"},
                "checked": {"format": "iso-date"},
                "dated": {"format": "iso-date"},
                "reliability": {"enum": ["official", "secondary"]},
            }}},
        "notes": {"type": "array", "items": {"type": "string"}},
        "rows": {"type": "array", "items": {"type": "object"}},
    },
}

_CELL_SCHEMA = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "url": {"type": "string", "format": "uri-http"},
    "date": {"format": "iso-date"},
    "list": {"type": "array", "items": {"type": "string"}},
}


def load_tables(root: Path) -> tuple[dict[str, Table], list[Diagnostic]]:
    tables: dict[str, Table] = {}
    problems: list[Diagnostic] = []
    folder = root / TABLES_DIR
    if not folder.is_dir():
        return tables, problems
    for path in sorted(folder.glob("*.yaml")):
        table, found = _remembered_table(root, path, f"{TABLES_DIR}/{path.name}")
        problems += found
        if table is not None:
            tables[table.name] = table
    return tables, problems


def _remembered_table(root: Path, path: Path, rel: str) -> tuple[Table | None, list[Diagnostic]]:
    """load_table's result, remembered in .cache/ under the file's bytes (YAML is slow to parse)."""
    from .cache import digest, get_pickle, put_pickle, tool_versions

    try:
        key = digest(tool_versions(), rel, path.read_bytes())
    except OSError:
        return load_table(path, rel)
    result = get_pickle(root, "tables", key)
    if result is None:
        result = load_table(path, rel)
        put_pickle(root, "tables", key, result)
    return result


def load_table(path: Path, rel: str) -> tuple[Table | None, list[Diagnostic]]:
    doc, problems = load_yaml(path, rel, "T001")
    if doc is None:
        return None, problems
    if not isinstance(doc.data, dict):
        return None, [error("T001", rel, 1, f"a table file must be a mapping, got {describe(doc.data)}")]
    problems = validate(TABLE_SCHEMA, doc, rel, code="T002")
    if problems:
        return None, problems
    columns = tuple(Column(c["name"], c["label"], c["type"], c.get("required", False),
                           c.get("key", False), tuple(c.get("enum", ()))) for c in doc.data["columns"])
    problems = _check_columns(columns, doc, rel)
    if problems:
        return None, problems
    problems = validate(row_schema(columns), doc, rel, word=_word_cell_error(columns, doc))
    problems += _check_keys(columns, doc, rel)
    data = doc.data
    table = Table(
        name=path.stem, path=rel, caption=data["caption"], columns=columns,
        rows=tuple(data["rows"]),
        sources=tuple(Source(s["title"], s["url"], str(s["checked"]), str(s.get("dated", "")),
                             s.get("reliability", "")) for s in data["sources"]),
        notes=tuple(data.get("notes", ())),
        row_lines=tuple(doc.line(("rows", i)) for i in range(len(data["rows"]))),
    )
    return table, problems


def row_schema(columns: tuple[Column, ...]) -> dict:
    """The JSON Schema that a table's declared columns impose on its rows."""
    properties = {}
    for column in columns:
        cell = dict(_CELL_SCHEMA[column.type])
        if column.enum:
            if column.type == "list":
                cell["items"] = {**cell["items"], "enum": list(column.enum)}
            else:
                cell["enum"] = list(column.enum)
        properties[column.name] = cell
    return {"type": "object", "properties": {"rows": {"type": "array", "items": {
        "type": "object", "additionalProperties": False, "properties": properties,
        "required": [c.name for c in columns if c.required]}}}}


def _check_columns(columns, doc: YamlDocument, rel: str) -> list[Diagnostic]:
    problems = []
    names: dict[str, int] = {}
    for index, column in enumerate(columns):
        line = doc.line(("columns", index))
        if column.name in names:
            problems.append(error("T002", rel, line, f"column '{column.name}' is declared twice"))
        names.setdefault(column.name, index)
        if column.key and column.type not in ("string", "integer", "url", "date"):
            problems.append(error("T002", rel, line, f"key column '{column.name}' must hold single values"))
    if sum(c.key for c in columns) > 1:
        problems.append(error("T002", rel, doc.line(("columns",)), "at most one column may be the key"))
    return problems


def _word_cell_error(columns, doc):
    by_name = {c.name: c for c in columns}

    def word(err, path):
        if len(path) < 2 or path[0] != "rows":
            return None
        row = path[1]
        kind = err.validator
        if kind == "additionalProperties":
            declared = ", ".join(by_name)
            return "T004", f"row {row + 1} has unknown column '{{key}}'", f"declared columns: {declared}"
        if kind == "required":
            missing = err.message.split("'")[1]
            return "T005", f"row {row + 1} lacks required column '{missing}'", ""
        if kind == "type" and len(path) == 2:
            return "T002", f"row {row + 1} must be a mapping of column to value", ""
        name = path[2]
        column = by_name[name]
        value = err.instance
        if kind == "enum":
            return "T003", f"column '{name}' must be one of {_allowed(column.enum)}, got {describe(value)}", ""
        if kind == "format" or (kind == "type" and column.type in ("url", "date")):
            return "T003", f"column '{name}' must be a {_type_word(column.type)}, got {describe(value)}", _hint(column.type)
        if kind == "type":
            return "T003", f"column '{name}' must be {_type_word(column.type)}, got {describe(value)}", ""
        return "T003", f"column '{name}': {err.message}", ""

    return word


def _allowed(values: tuple) -> str:
    if len(values) > 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in values) \
            and list(values) == list(range(values[0], values[0] + len(values))):
        return f"{values[0]}..{values[-1]}"
    return ", ".join(map(str, values))


def _type_word(kind: str) -> str:
    return {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
            "url": "http(s) URL", "date": "date (YYYY-MM-DD)", "list": "a list of text items"}[kind]


def _hint(kind: str) -> str:
    return {"url": "write the full address, starting with https://",
            "date": "write dates as YYYY-MM-DD"}.get(kind, "")


def _check_keys(columns, doc: YamlDocument, rel: str) -> list[Diagnostic]:
    key = next((c.name for c in columns if c.key), None)
    if key is None:
        return []
    problems, seen = [], {}
    for index, row in enumerate(doc.data["rows"]):
        if not isinstance(row, dict) or key not in row:
            continue
        value = row[key]
        if value in seen:
            problems.append(error("T006", rel, doc.line(("rows", index)),
                                  f"duplicate key {describe(value)} in column '{key}' "
                                  f"(first at line {seen[value]})"))
        else:
            seen[value] = doc.line(("rows", index))
    return problems


@dataclass(frozen=True)
class TableView:
    """What the table template sees: formatted cells, ready for Markdown."""
    id: str
    caption: str
    labels: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...]
    sources: tuple[Source, ...]


def make_view(table: Table, fmt, *, where: dict | None = None, sort_by: str | None = None,
              columns: list[str] | None = None, id: str | None = None,
              caption: str | None = None, text=None) -> TableView:
    """Filter, sort and project a table without copying its data.

    ``text`` (a ``TableText``) translates the words; filters and sorting
    work on the source values.  Raises ``ValueError`` with an author-facing
    message on a bad argument.
    """
    from .table_text import TableText

    text = text or TableText()
    by_name = {c.name: c for c in table.columns}
    for name in list(where or {}) + ([sort_by] if sort_by else []) + list(columns or []):
        if name not in by_name:
            raise ValueError(f"table '{table.name}' has no column '{name}' "
                             f"(columns: {', '.join(by_name)})")
    rows = [r for r in table.rows if _matches(r, where or {})]
    if sort_by:
        rows.sort(key=lambda r: (r.get(sort_by) is None, str(r.get(sort_by, "")).casefold()))
    shown = [by_name[n] for n in columns] if columns else list(table.columns)
    key = next((c.name for c in table.columns if c.key), None)
    cells = tuple(tuple(_cell(text.cell(row, key, c.name, row.get(c.name)), c, fmt) for c in shown)
                  for row in rows)
    labels = tuple(text.labels.get(c.name, c.label) for c in shown)
    return TableView(id=id or f"tbl:{table.name}", caption=caption or text.caption or table.caption,
                     labels=labels, rows=cells, notes=text.notes or table.notes,
                     sources=table.sources)


def _matches(row: dict, where: dict) -> bool:
    for name, wanted in where.items():
        value = row.get(name)
        if isinstance(value, list):
            if wanted not in value:
                return False
        elif value != wanted:
            return False
    return True


def _cell(value, column: Column, fmt) -> str:
    if value is None or value == "":
        return ""
    if column.type == "list":
        text = ", ".join(value)
    elif column.type == "url":
        host = urlsplit(value).netloc.removeprefix("www.")
        return f"[{host}]({value})"
    elif column.type == "date":
        day = value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)
        text = fmt.date(day)
    elif column.type == "boolean":
        text = fmt.yes_no(value)
    elif column.type in ("integer", "number"):
        text = fmt.number(value)
    else:
        text = str(value)
    return text.replace("|", "\\|").replace("\n", " ")
