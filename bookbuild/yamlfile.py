"""Safe YAML loading that remembers the line of every key and list item.

PyYAML's SafeLoader never builds Python objects from tags.  On top of it this
module bounds aliases (a "billion laughs" file fails fast), refuses duplicate
keys, and returns a map from each value's path (e.g. ``("rows", 3, "teer")``)
to its 1-based line, so that later checks can point at the offending line.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic, error

MAX_ALIASES = 64
MAX_NODES = 200_000
MAX_BYTES = 2_000_000

Path_ = tuple  # a path into the document: keys and list indexes


@dataclass
class YamlDocument:
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, path: Path_) -> int:
        """Line of ``path``, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


class _TooManyAliases(Exception):
    def __init__(self, line: int):
        self.line = line


@functools.lru_cache(maxsize=1)
def _bounded_loader():
    """PyYAML's SafeLoader, counting aliases (PyYAML is imported only when a file is parsed)."""
    import yaml
    from yaml.events import AliasEvent

    class BoundedLoader(yaml.SafeLoader):
        def __init__(self, stream):
            super().__init__(stream)
            self.alias_count = 0

        def compose_node(self, parent, index):
            if self.check_event(AliasEvent):
                self.alias_count += 1
                if self.alias_count > MAX_ALIASES:
                    raise _TooManyAliases(self.peek_event().start_mark.line + 1)
            return super().compose_node(parent, index)

    return BoundedLoader


def read_text(path: Path, rel: str, code: str) -> tuple[str | None, list[Diagnostic]]:
    """Read a UTF-8 file (a BOM is allowed, CRLF is normalised)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, [error(code, rel, 1, "file not found")]
    except OSError as exc:
        return None, [error(code, rel, 1, f"cannot read file: {exc.strerror}")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [error(code, rel, line, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                            hint="save the file as UTF-8")]
    return text.replace("\r\n", "\n").replace("\r", "\n"), []


def load_yaml(path: Path, rel: str, code: str) -> tuple[YamlDocument | None, list[Diagnostic]]:
    """Load one YAML file; ``code`` is the diagnostic code for syntax errors
    (B001 or T001); a duplicate key gets its area's structure code (B002, T002)."""
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    if size > MAX_BYTES:
        return None, [error(code, rel, 1, f"file is {size:,} bytes; the limit is {MAX_BYTES:,}",
                            hint="split the table or move bulk data out of the book")]
    text, problems = read_text(path, rel, code)
    if text is None:
        return None, problems
    root = _project_root(path, rel)
    if root is None:
        return _parse(text, rel, code)
    from .cache import digest, get_pickle, put_pickle, tool_versions

    key = digest(tool_versions(), rel, code, text)
    parsed = get_pickle(root, "yaml", key)
    if parsed is None:
        parsed = _parse(text, rel, code)
        put_pickle(root, "yaml", key, parsed)
    return parsed


def _project_root(path: Path, rel: str) -> Path | None:
    """The book's folder, whose ``.cache/`` remembers parsed files: ``path`` is ``rel`` inside it."""
    parts = Path(rel).parts
    return Path(*path.parts[:-len(parts)]) if parts and path.parts[-len(parts):] == parts else None


def _parse(text: str, rel: str, code: str) -> tuple[YamlDocument | None, list[Diagnostic]]:
    """Parse a YAML file's text (PyYAML's pure-Python parser, whose composer bounds aliases: a
    twentieth of a second for the book's tables, so a file is parsed once, then remembered)."""
    import yaml

    loader = _bounded_loader()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, [error(code, rel, 1, "file is empty")]
        doc = YamlDocument(None)
        dups = _walk(node, (), doc.lines, rel, [0], code[0] + "002")
        if dups:
            return None, dups
        doc.data = loader.construct_document(node)
        return doc, []
    except _TooManyAliases as exc:
        return None, [error("S001", rel, exc.line, f"more than {MAX_ALIASES} YAML aliases",
                            hint="aliases are refused in bulk to stop 'billion laughs' files")]
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        return None, [error("S001", rel, line, f"YAML tag not allowed: {exc.problem}",
                            hint="tables hold plain data: no !!python or other tags")]
    except (ValueError, TypeError, OverflowError) as exc:  # a scalar PyYAML cannot build
        line = _bad_scalar_line(node)
        return None, [error(code, rel, line, f"invalid YAML value: {exc}",
                            "dates are written YYYY-MM-DD and must exist")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        return None, [error(code, rel, line, f"invalid YAML: {exc.problem or exc.context}")]
    except yaml.YAMLError as exc:
        return None, [error(code, rel, 1, f"invalid YAML: {exc}")]
    finally:
        loader.dispose()


def _bad_scalar_line(node) -> int:
    """The line of the first scalar that PyYAML fails to construct."""
    import yaml

    probe = yaml.SafeLoader("")
    stack = [node]
    while stack:
        current = stack.pop(0)
        if isinstance(current, yaml.ScalarNode):
            try:
                probe.construct_object(current)
            except (ValueError, TypeError, OverflowError, yaml.YAMLError):
                return current.start_mark.line + 1
        elif isinstance(current, yaml.MappingNode):
            stack += [n for pair in current.value for n in pair]
        elif isinstance(current, yaml.SequenceNode):
            stack += current.value
    return 1


def _walk(node, path, lines, rel, visits, dup_code) -> list[Diagnostic]:
    import yaml

    visits[0] += 1
    if visits[0] > MAX_NODES:
        raise _TooManyAliases(node.start_mark.line + 1)
    lines.setdefault(path, node.start_mark.line + 1)
    problems: list[Diagnostic] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(error(dup_code, rel, line,
                                      f"duplicate key '{key}' (first at line {seen[key]})"))
                continue
            seen[key] = line
            lines[path + (key,)] = line
            problems += _walk(value_node, path + (key,), lines, rel, visits, dup_code)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems += _walk(item, path + (index,), lines, rel, visits, dup_code)
    return problems
