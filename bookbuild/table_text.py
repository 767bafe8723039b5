"""Translations of a table's text: ``tables/<lang>/<name>.yaml``.

Only words are translated: the caption, column labels, notes, prose cells
(by the row's key) and allowed values.  Numbers, URLs and codes live once,
in the source table.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import Diagnostic, error, warning
from .model import Table
from .schema import validate
from .yamlfile import load_yaml

SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "caption": {"type": "string", "minLength": 1},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "notes": {"type": "array", "items": {"type": "string"}},
        "values": {"type": "object", "additionalProperties": {"type": "object"}},
        "cells": {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": {"type": "string"}}},
    },
}


@dataclass(frozen=True)
class TableText:
    caption: str = ""
    labels: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    values: dict = field(default_factory=dict)  # column -> {source value: translation}
    cells: dict = field(default_factory=dict)  # row key -> {column: translation}

    def cell(self, row: dict, key_column: str | None, column: str, value):
        """The translation of one cell, or ``value`` itself."""
        if key_column is not None:
            text = self.cells.get(row.get(key_column), {}).get(column)
            if text is not None:
                return text
        mapping = self.values.get(column)
        if mapping is None:
            return value
        if isinstance(value, list):
            return [mapping.get(item, item) for item in value]
        return mapping.get(value, value)


def load_table_texts(root: Path, lang: str, tables: dict[str, Table]
                     ) -> tuple[dict[str, TableText], list[Diagnostic]]:
    texts, problems = {}, []
    folder = root / "tables" / lang
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        rel = f"tables/{lang}/{path.name}"
        table = tables.get(path.stem)
        if table is None:
            problems.append(error("T008", rel, 1, f"translation of unknown table '{path.stem}'"))
            continue
        doc, found = load_yaml(path, rel, "T001")
        if doc is None:
            problems += found
            continue
        found = validate(SCHEMA, doc, rel, code="T002", root=root) if isinstance(doc.data, dict) else \
            [error("T001", rel, 1, "a table translation must be a mapping")]
        if found:
            problems += found
            continue
        data = doc.data
        names = {c.name for c in table.columns}
        for section in ("labels", "values"):
            for name in data.get(section, {}):
                if name not in names:
                    problems.append(error("T002", rel, doc.line((section, name)),
                                          f"table '{table.name}' has no column '{name}'"))
        key = next((c.name for c in table.columns if c.key), None)
        keys = {row.get(key) for row in table.rows} if key else set()
        for row_key in data.get("cells", {}):
            if row_key not in keys:
                problems.append(warning("L004", rel, doc.line(("cells", row_key)),
                                        f"no row of '{table.name}' has the key {row_key!r}"))
        if len(data.get("notes", table.notes)) != len(table.notes):
            problems.append(warning("L004", rel, doc.line(("notes",)),
                                    f"the source table has {len(table.notes)} note(s), "
                                    f"the translation {len(data['notes'])}"))
        texts[table.name] = TableText(data.get("caption", ""), dict(data.get("labels", {})),
                                      tuple(data.get("notes", ())), dict(data.get("values", {})),
                                      dict(data.get("cells", {})))
    return texts, problems
