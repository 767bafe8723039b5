"""Stage: template chapters into plain Pandoc Markdown with sandboxed Jinja2.

Chapters are untrusted text.  They run in Jinja's ``SandboxedEnvironment``;
``{% include %}`` and friends can only reach files inside ``templates/``.
Comments are ``{## ... ##}`` so that Pandoc's ``{#id}`` passes through.
"""
from __future__ import annotations

import datetime
import os
import traceback
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from .diagnostics import BuildFailed, Diagnostic, error
from .locale_text import Formatter
from .model import Book, Chapter, RenderedChapter
from .sourcelines import table_call_line
from .tables import make_view

TEMPLATES_DIR = "templates"
PAGE_TEMPLATES = ("about.md.j2", "table.md.j2", "cover.svg.j2", "downloads.html.j2")  # Jinja2, in templates/


class _ProjectLoader(jinja2.FileSystemLoader):
    """Loads from ``templates/`` only, and refuses symlinks that leave it."""

    def get_source(self, environment, template):
        source, filename, uptodate = super().get_source(environment, template)
        base = os.path.realpath(self.searchpath[0])
        if os.path.commonpath([base, os.path.realpath(filename)]) != base:
            raise jinja2.TemplateNotFound(template)
        return source, filename, uptodate


class _StrictSandbox(SandboxedEnvironment):
    """Refuses, rather than quietly blanks, access to Python internals."""

    def unsafe_undefined(self, obj, attribute):
        raise SecurityError(f"access to '{attribute}' is not allowed")


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Jinja's compiled templates on disk; failing to remember one is not an error."""

    def dump_bytecode(self, bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:  # e.g. the folder trimmed meanwhile by another build
            pass


def make_environment(root: Path) -> SandboxedEnvironment:
    """The sandbox chapters and page templates run in.  Page templates are compiled once, and
    remembered in ``.cache/jinja/`` under their text and this package's version (Jinja's key
    does not cover the environment's settings, which are set here)."""
    from .cache import CACHE_DIR, digest, tool_versions

    compiled = root / CACHE_DIR / "jinja" / digest(tool_versions())[:16]
    compiled.mkdir(parents=True, exist_ok=True)
    env = _StrictSandbox(
        loader=_ProjectLoader(str(root / TEMPLATES_DIR)),
        bytecode_cache=_CompiledTemplates(str(compiled)),
        comment_start_string="{##", comment_end_string="##}",
        undefined=jinja2.StrictUndefined,
        autoescape=False, keep_trailing_newline=True,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["isodate"] = lambda value: datetime.date.fromisoformat(str(value))
    return env


def render_chapter(env, book: Book, chapter: Chapter, fmt: Formatter, texts: dict | None = None
                   ) -> tuple[RenderedChapter | None, list[Diagnostic]]:
    """Template one chapter; ``texts`` translates the tables it shows."""
    used: list[str] = []
    problems: list[Diagnostic] = []

    def table(name, where=None, sort_by=None, columns=None, id=None, caption=None):
        line = table_call_line(chapter.source, name)
        found = book.tables.get(name)
        if found is None:
            known = ", ".join(sorted(book.tables)) or "none"
            problems.append(error("T008", chapter.path, line, f"unknown table '{name}'",
                                  f"tables in tables/: {known}"))
            return ""
        used.append(name)
        try:
            view = make_view(found, fmt, where=where, sort_by=sort_by, columns=columns,
                             id=id, caption=caption, text=(texts or {}).get(name))
        except ValueError as exc:
            problems.append(error("J002", chapter.path, line, str(exc)))
            return ""
        try:
            return render_template(env, "table.md.j2", view=view, s=book.strings, fmt=fmt).strip("\n")
        except BuildFailed as failed:  # the table template's own mistake, at its line
            problems.extend(failed.diagnostics)
            return ""

    try:
        code = env.compile(chapter.source, name=chapter.path, filename=chapter.path)
        template = env.template_class.from_code(env, code, env.make_globals({"table": table}))
        markdown = template.render(book=book.config, s=book.strings)
    except jinja2.TemplateSyntaxError as exc:
        return None, [_syntax_error(exc, chapter)]
    except SecurityError as exc:
        return None, problems + [error("J003", chapter.path, _tb_line(exc, chapter.path),
                                       f"refused by the template sandbox: {exc}")]
    except jinja2.TemplateNotFound as exc:
        return None, problems + [error("J003", chapter.path, _tb_line(exc, chapter.path),
                                       f"template '{exc.name}' is not in templates/",
                                       "chapters may include only files inside templates/")]
    except jinja2.UndefinedError as exc:
        return None, problems + [error("J002", chapter.path, _tb_line(exc, chapter.path), exc.message)]
    except (jinja2.TemplateError, TypeError, ValueError) as exc:
        return None, problems + [error("J002", chapter.path, _tb_line(exc, chapter.path), str(exc))]
    except RecursionError as exc:
        return None, problems + [error("J003", chapter.path, _tb_line(exc, chapter.path),
                                       "templates include each other in a loop")]
    if problems:
        return None, problems
    return RenderedChapter(chapter, markdown, tuple(dict.fromkeys(used))), []


def check_page_templates(root: Path) -> list[Diagnostic]:
    """J001 for each page template under templates/ that Jinja cannot compile (a missing one is B005);
    a template that compiled is remembered under its text."""
    from .cache import digest, get_json, put_json, tool_versions
    from .template_files import template_text

    env = make_environment(root)
    problems = []
    for name in PAGE_TEMPLATES:
        text = template_text(root, name)
        key = digest(tool_versions(), "jinja-template", name, text or "")
        if text is None or get_json(root, "templates", key):
            continue
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            problems.append(template_failure(exc, name, ""))
        except jinja2.TemplateNotFound:
            pass  # a link out of templates/: refused where it is used
        else:
            put_json(root, "templates", key, True)
    return problems


def render_template(env, name: str, **context) -> str:
    """Render the page template ``templates/<name>``; its mistakes stop the build, at their line."""
    try:
        template = env.get_template(name)
        return template.render(**context)
    except BuildFailed:
        raise
    except Exception as exc:
        raise BuildFailed([template_failure(exc, name, str(Path(env.loader.searchpath[0]) / name))]) from None


def template_failure(exc: Exception, name: str, filename: str) -> Diagnostic:
    """A page template's mistake as J001 (syntax), J003 (refused by the sandbox) or J002."""
    rel = f"{TEMPLATES_DIR}/{name}"
    if isinstance(exc, jinja2.TemplateSyntaxError):  # in this template, or in one it includes
        return error("J001", f"{TEMPLATES_DIR}/{exc.name or name}", exc.lineno or 1, f"template syntax: {exc.message}")
    line = _tb_line(exc, filename)
    if isinstance(exc, SecurityError):
        return error("J003", rel, line, f"refused by the template sandbox: {exc}")
    if isinstance(exc, jinja2.TemplateNotFound):
        return error("J003", rel, line, f"template '{exc.name}' is not in templates/",
                     "templates may include only files inside templates/")
    message = exc.message if isinstance(exc, jinja2.TemplateError) and exc.message else str(exc)
    hint = "a name the template uses is not one it is given: compare with the repository's copy" \
        if isinstance(exc, jinja2.UndefinedError) else ""
    return error("J002", rel, line, f"the template failed: {message}", hint)


def _syntax_error(exc: jinja2.TemplateSyntaxError, chapter: Chapter) -> Diagnostic:
    path = chapter.path if exc.name in (None, chapter.path) else f"{TEMPLATES_DIR}/{exc.name}"
    hint = ""
    if "end of template" in exc.message or "unexpected end" in exc.message:
        hint = "a {% block %}, {{ or {## opened here is never closed"
    elif "expected token" in exc.message:
        hint = "check the {{ ... }} or {% ... %} on this line; write {{ '{{' }} for a literal {{"
    return error("J001", path, exc.lineno or 1, f"template syntax: {exc.message}", hint)


def _tb_line(exc: BaseException, path: str) -> int:
    line = getattr(exc, "lineno", None)
    if line:
        return line
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == path and frame.lineno:
            return frame.lineno
    return 1
