"""Pandoc, through pypandoc: read Markdown into the JSON AST, write formats from it.

Reading always runs with ``--sandbox``: a chapter cannot make Pandoc include
files or fetch URLs.  Writers take the checked AST.
"""
from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from .diagnostics import BuildFailed, Diagnostic, error

READER = "markdown-raw_tex-raw_attribute"
_TEMPLATE_ERROR = re.compile(r'Error compiling template "(?P<path>[^"]+)" \(line (?P<line>\d+), '
                             r'column (?P<column>\d+)\):\s*(?P<message>.*)', re.S)


@functools.lru_cache(maxsize=1)
def pandoc_path() -> str:
    """The Pandoc that pypandoc-binary ships, found without importing pypandoc (40 ms, and its
    search runs every Pandoc it finds to compare versions); else the one pypandoc finds
    (``PYPANDOC_PANDOC``, then ``PATH`` and its usual places)."""
    spec = importlib.util.find_spec("pypandoc")
    bundled = Path(spec.origin).parent / "files" / "pandoc" if spec and spec.origin else None
    if bundled and os.access(bundled, os.X_OK) and not os.environ.get("PYPANDOC_PANDOC"):
        return str(bundled)
    import pypandoc

    return pypandoc.get_pandoc_path()


def pandoc_identity() -> str:
    """Which Pandoc runs: its file, size and time (another version changes them), for cache keys."""
    path = shutil.which(pandoc_path()) or pandoc_path()
    stat = os.stat(path)
    return f"{os.path.realpath(path)} {stat.st_size} {stat.st_mtime_ns}"


def read_markdown(text: str, rel: str, root: Path | None = None) -> dict:
    """Markdown to Pandoc's JSON AST, sandboxed; cached under ``root/.cache`` by content."""
    from .cache import digest, get_json, put_json, tool_versions

    key = digest(tool_versions(), READER, text) if root else ""
    ast = get_json(root, "ast", key) if root else None
    if ast is None:
        ast = json.loads(run(["-f", READER, "-t", "json", "--sandbox"], text, rel))
        if root:
            put_json(root, "ast", key, ast)
    return ast


def write(ast: dict, to: str, args: list[str], rel: str, epoch: int, sandbox: bool = True) -> str:
    """Write ``ast`` in format ``to``, dated ``epoch``; ``args`` may name an output file."""
    extra = ["--sandbox"] if sandbox else []
    return run(["-f", "json", "-t", to, *extra, *args], json.dumps(ast), rel,
               {"SOURCE_DATE_EPOCH": str(epoch)})


def run(args: list[str], stdin: str, rel: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run([pandoc_path(), *args], input=stdin.encode("utf-8"),
                          capture_output=True, check=False, env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        raise BuildFailed([_failure(proc.stderr.decode("utf-8", "replace").strip(), rel)])
    return proc.stdout.decode("utf-8")


def _failure(stderr: str, rel: str) -> Diagnostic:
    """O003 for a failed Pandoc run; a template Pandoc cannot read is named, with its line."""
    found = _TEMPLATE_ERROR.search(stderr)
    if found is None:
        return error("O003", rel, 1, "pandoc failed: " + " ".join(stderr.splitlines()[:3]))
    message = " ".join(found["message"].split()).split(" expecting ")[0]  # not the parser's long wish list
    return error("O003", _in_project(found["path"]), int(found["line"]),
                 f"Pandoc cannot read this template (column {found['column']}): {message}",
                 "a Pandoc template writes $name$, $if(name)$...$endif$ and $for(name)$...$endfor$; "
                 "see https://pandoc.org/MANUAL.html#templates")


def _in_project(path: str) -> str:
    """``templates/...`` for a template Pandoc names by its absolute path."""
    parts = Path(path).parts
    if "templates" not in parts:
        return path
    return "/".join(parts[max(i for i, part in enumerate(parts) if part == "templates"):])


def check_templates(root: Path) -> list[Diagnostic]:
    """Compile the book's Pandoc templates on an empty document, so that a broken one
    is reported before anything is built; a template that compiled is remembered."""
    from .cache import digest, get_json, put_json, tool_versions
    from .template_files import PANDOC_TEMPLATES, template_text

    running = {}  # name -> (key, Pandoc compiling it), side by side
    for name in PANDOC_TEMPLATES:
        path = root / "templates" / name
        text = template_text(root, name)
        if text:  # missing or not text: B005
            key = digest(tool_versions(), "template", name, text)
            if not get_json(root, "templates", key):
                running[name] = key, subprocess.Popen(
                    [pandoc_path(), "-f", "markdown", "-t", "html5", "-s", "--template", str(path), "-M", "title=-"],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    problems = []
    for name, (key, proc) in running.items():
        _, stderr = proc.communicate()
        if proc.returncode:
            problems.append(_failure(stderr.decode("utf-8", "replace").strip(), f"templates/{name}"))
        else:
            put_json(root, "templates", key, True)
    return problems
