"""Pandoc, through pypandoc: read Markdown into the JSON AST, write formats from it.

Reading always runs with ``--sandbox``: a chapter cannot make Pandoc include
files or fetch URLs.  Writers take the checked AST.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pypandoc

from .diagnostics import BuildFailed, error

READER = "markdown-raw_tex-raw_attribute"


def pandoc_path() -> str:
    return pypandoc.get_pandoc_path()


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
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise BuildFailed([error("O003", rel, 1, "pandoc failed: " + " ".join(message[:3]))])
    return proc.stdout.decode("utf-8")
