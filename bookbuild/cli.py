"""The command line: ``python build.py COMMAND`` (``build.py --help`` lists them).

Exit codes: 0 clean, 1 problems in the book, 2 usage or configuration error.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import CODES, BuildFailed, Diagnostic, ERROR, WARNING, has_errors
from .progress import Progress

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
CONFIG_CODES = ("B001", "B002", "B004")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="build.py", description="Build and check the book's editions.")
    top.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                     help="the book's folder (default: this repository)")
    top.add_argument("--jobs", type=_jobs, metavar="N",
                     help="run at most N worker processes (default: one per core this build may use; "
                          "environment: BOOKBUILD_JOBS)")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    build = sub.add_parser("build", help="check, then build editions into dist/")
    build.add_argument("--format", action="append", choices=("html", "epub", "pdf"),
                       help="build only this format (repeatable; default: all)")
    build.add_argument("--lang", action="append", metavar="LANG",
                       help="build only this language edition (repeatable; default: all); "
                            "every edition is still checked")
    build.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check = sub.add_parser("check", help="run every check without writing editions")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.add_argument("--explain", metavar="CODE", help="explain a diagnostic code and exit")
    sub.add_parser("codes", help="list every diagnostic code")
    status = sub.add_parser("translations", help="what is translated, stale or missing, per language")
    status.add_argument("lang", nargs="?", help="one language (default: all)")
    status.add_argument("--diff", action="store_true", help="show how the source changed in stale sections")
    status.add_argument("--accept", metavar="SECTION", action="append",
                        help="mark a section (or 'all') of LANG as translating the current source")
    sub.add_parser("languages", help="list the book's language codes as JSON (for a CI matrix)")
    sub.add_parser("index", help="redraw dist/'s manifest and download page from the editions it holds")
    sub.add_parser("release", help="package the editions in dist/ as release files in release/")
    sub.add_parser("validate", help="run EPUBCheck, v.Nu and the PDF checks on the editions in dist/")
    serve = sub.add_parser("serve", help="serve the HTML edition on 127.0.0.1, rebuilt and reloaded on each save")
    serve.add_argument("--port", type=int, default=8000, help="the port (default: 8000; 0 picks a free one)")
    serve.add_argument("--lang", metavar="LANG", help="the language edition to open (default: the book's)")
    new = sub.add_parser("new-language", help="scaffold a new language edition")
    new.add_argument("lang", help="ISO 639 language code, e.g. es")
    links = sub.add_parser("linkcheck", help="check the external links of chapters and tables (uses the network)")
    links.add_argument("--force", action="store_true", help="fetch every link, ignoring .cache/linkcheck.json")
    links.add_argument("--recheck-after", type=_not_negative, metavar="DAYS",
                       help="fetch again a link found good more than DAYS ago (book.yaml: linkcheck.recheck_after_days)")
    links.add_argument("--timeout", type=_positive, metavar="SECONDS",
                       help="give up on one request after SECONDS (book.yaml: linkcheck.timeout_seconds)")
    links.add_argument("--offline", action="store_true",
                       help="fetch nothing: only list table sources checked too long ago")
    return top


def _jobs(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def _not_negative(text: str) -> float:
    return _number(text, positive=False)


def _positive(text: str) -> float:
    return _number(text, positive=True)


def _number(text: str, positive: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (value > 0 if positive else value >= 0) or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number {'above' if positive else 'of at least'} 0, "
                                         f"got {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    top = parser()
    args = top.parse_args(argv)
    from .forked import JOBS_VARIABLE

    if args.jobs:  # for this process's workers, and for the builds the preview server starts
        os.environ[JOBS_VARIABLE] = str(args.jobs)
    elif os.environ.get(JOBS_VARIABLE):
        try:
            _jobs(os.environ[JOBS_VARIABLE])
        except argparse.ArgumentTypeError as bad:
            top.error(f"{JOBS_VARIABLE}: {bad}")
    if args.command == "codes":
        for code, text in CODES.items():
            print(f"{code}  {text}")
        return EXIT_OK
    if args.command == "check" and args.explain:
        code = args.explain.upper()
        if code not in CODES:
            print(f"build.py: unknown code {args.explain}; see 'build.py codes'", file=sys.stderr)
            return EXIT_USAGE
        print(f"{code}: {CODES[code]}")
        return EXIT_OK
    root = args.root.resolve()
    try:
        if args.command in ("languages", "index", "release"):
            return _config_command(root, args.command)
        if args.command == "serve":
            from .serve import serve
            return serve(root, args.port, args.lang)
        if args.command == "check":
            return report(run_check(root), args.strict)
        if args.command == "validate":
            from .validate import validate_dist
            if not (root / "dist" / "manifest.json").is_file():
                print("build.py: nothing to validate: build the book first (make book)", file=sys.stderr)
                return EXIT_USAGE
            return report(validate_dist(root / "dist"), strict=False)
        if args.command in ("translations", "new-language"):
            from . import translate_cmd
            if args.command == "new-language":
                return translate_cmd.new_language(root, args.lang)
            return translate_cmd.status(root, args.lang, args.diff, args.accept)
        if args.command == "linkcheck":
            from .linkcheck import linkcheck
            problems, summary = linkcheck(root, offline=args.offline, force=args.force,
                                          recheck_after=args.recheck_after, timeout=args.timeout)
            status = report(problems, strict=False)
            print(f"build.py: {summary}", file=sys.stderr)
            return status
        return run_build(root, args.format or ["html", "epub", "pdf"], args.strict, args.lang or [])
    except BuildFailed as failed:
        code = report(failed.diagnostics, strict=False)
        if args.command == "build":
            print("build.py: nothing was built; dist/ is unchanged", file=sys.stderr)
        config_broken = any(d.code in CONFIG_CODES for d in failed.diagnostics)
        return EXIT_USAGE if config_broken else max(code, EXIT_PROBLEMS)
    except KeyboardInterrupt:
        print("build.py: interrupted; dist/ is unchanged", file=sys.stderr)
        return 130
    finally:
        _remove_font_copies()


def _remove_font_copies() -> None:
    """WeasyPrint's copies of the fonts, if a PDF was laid out (build.py ends without Python's
    clean-up, which would have removed them)."""
    layout = sys.modules.get(f"{__package__}.pdf_layout")
    if layout is not None:
        layout.remove_font_copies()


@dataclass(frozen=True)
class Gathered:
    """The book, its editions and every problem found; and, when ``gather`` was given
    ``then``, what the workers made of each edition next (by language)."""
    book: object
    editions: list
    problems: list[Diagnostic]
    then: dict = field(default_factory=dict)


def gather(root: Path, epoch: int | None = None, meanwhile=None, progress: Progress | None = None,
           then=None, publishing: bool = True) -> Gathered:
    """Load and check everything, and prepare every edition: nothing is published.
    ``meanwhile(languages)`` runs while the editions are prepared by worker processes; ``then(edition)``,
    if given, runs in the worker that made an edition without errors, on it.  Unless ``publishing``
    is false (a process that only makes the editions for another), this process also checks the
    print stylesheet and loads each language's name meanwhile."""
    from .load import load
    from .locale_text import language_name
    from .pandoc import check_templates
    from .stamp import source_date_epoch
    from .stylesheet_check import check_print_stylesheet
    from .template_files import check_template_files
    from .templating import check_page_templates

    book, problems = load(root)
    problems += check_template_files(root) + check_templates(root) + check_page_templates(root)
    if has_errors(problems):
        return Gathered(book, [], problems + (check_print_stylesheet(root) if publishing else []))
    epoch = source_date_epoch(root) if epoch is None else epoch
    in_stylesheet: list[Diagnostic] = []

    langs = (book.config.language, *book.languages)

    def alongside() -> None:  # WeasyPrint reads the stylesheet here while the workers make the editions
        if publishing:
            in_stylesheet.extend(check_print_stylesheet(root))
            for lang in langs:  # and Babel each language's data, for the download page (10-20 ms each)
                language_name(lang)
        if meanwhile:
            meanwhile(langs)

    if progress:
        progress.status(f"preparing {'and writing ' if then else ''}the editions ({', '.join(langs)})")
    editions, made = [], {}
    for edition, found, after in _make_editions(book, langs, epoch, alongside,
                                                progress.tick if progress else None, then):
        problems += found
        if edition is not None:
            editions.append(edition)
            if after is not None:
                made[edition.lang] = after
    return Gathered(book, editions, problems + in_stylesheet, made)


def _make_editions(book, langs: tuple[str, ...], epoch: int, meanwhile=None, waiting=None, then=None) -> list:
    """Each language's edition, problems and what ``then`` made of it, the languages side
    by side on the cores.

    A worker sends its edition back without the book, which this process has
    already: the book holds every chapter in every language, twenty times the
    rest of an edition, and pickling it through the pipe cost more than an edit.
    An edition that ``then`` has used is sent back without its chapters too."""
    from dataclasses import replace

    from .edition import edition_book, make_edition
    from .forked import forked_map

    def make(lang: str):
        edition, problems = make_edition(book, lang, epoch)
        after = then(edition) if edition is not None and then else None
        if edition is not None:
            edition = replace(edition, book=None, **({"parts": (), "anchors": {}} if after is not None else {}))
        return edition, problems, after

    return [(replace(edition, book=edition_book(book, lang)) if edition else None, problems, after)
            for lang, (edition, problems, after) in zip(langs, forked_map(make, list(langs), meanwhile, waiting))]


def run_check(root: Path) -> list[Diagnostic]:
    return gather(root).problems


def _config_command(root: Path, command: str) -> int:
    """Commands that need only book.yaml: the language list, and redrawing dist/'s index."""
    import json

    from .config import load_config
    from .publish import reindex

    config = load_config(root)
    if command == "languages":
        print(json.dumps(config.all_languages))
        return EXIT_OK
    needed = root / "dist" / ("manifest.json" if command == "release" else "")
    if not needed.exists():
        print(f"build.py: there is no dist/ to {command}: build the book first (make book)", file=sys.stderr)
        return EXIT_USAGE
    if command == "release":
        from .release import package
        from .stamp import source_date_epoch

        for path in package(root, config.slug, source_date_epoch(root)):
            print(f"  {path.relative_to(root)}  ({path.stat().st_size:,} bytes)")
        return EXIT_OK
    from .template_files import check_template_files
    from .templating import check_page_templates

    broken = check_template_files(root) + check_page_templates(root)  # the download page is drawn from a template
    if broken:
        return report(broken, strict=False)
    manifest = reindex(root, config.slug)
    print(f"build.py: dist/index.html lists {len({e['language'] for e in manifest['editions']})} "
          f"edition(s)", file=sys.stderr)
    return EXIT_OK


def run_build(root: Path, formats: list[str], strict: bool, langs: list[str] = ()) -> int:
    from . import fastpath
    from .stamp import source_date_epoch

    started = time.monotonic()
    epoch = source_date_epoch(root)
    print_ = fastpath.fingerprint(root, formats, strict, epoch, langs)
    remembered = fastpath.up_to_date(root, print_)
    if remembered is not None:
        report(remembered, strict=False)  # the last build's warnings still hold: nothing changed
        print("build.py: dist/ is up to date: nothing changed since the last build", file=sys.stderr)
        return EXIT_OK
    status, warnings = _build(root, formats, strict, epoch, started, langs)
    if status == EXIT_OK:
        fastpath.remember(root, print_, warnings)
        _trim_cache(root)
    return status


def _trim_cache(root: Path) -> None:
    from .cache import UNUSED_DAYS, trim

    entries, size = trim(root)
    if entries:
        print(f"build.py: .cache/: deleted {entries:,} entries ({size / 2**20:,.1f} MiB) "
              f"that no build has used for {UNUSED_DAYS} days", file=sys.stderr)


def _build(root: Path, formats: list[str], strict: bool, epoch: int, started: float,
           langs: list[str] = ()) -> tuple[int, list[Diagnostic]]:
    """Build; return the exit status and the warnings reported."""
    progress = Progress(started)
    try:
        return _build_with(progress, root, formats, strict, epoch, started, langs)
    finally:
        progress.clear()


@dataclass(frozen=True)
class Written:
    """What the worker that made an edition wrote of it (``_build_with``)."""
    rendered: object  # render.Rendered: its site and EPUB
    files: list[str]  # its cover and description (downloads.write_edition_files)
    pdf: tuple[str, object] | None  # render.pdf_ready: its PDF's key, and the PDF or its cut print HTML


def _build_with(progress: Progress, root: Path, formats: list[str], strict: bool, epoch: int, started: float,
                langs: list[str]) -> tuple[int, list[Diagnostic]]:
    from .downloads import write_edition_files
    from .publish import Output, publish, staging
    from .render import collect, pdf_ready, render_here, render_pdfs

    progress.status("reading and checking the book")
    with staging(root) as stage:
        def write_here(edition):  # in the worker that has just made the edition (and loaded its locale)
            if langs and edition.lang not in langs:
                return None
            return Written(render_here(edition, [f for f in formats if f != "pdf"], stage),
                           write_edition_files(edition, stage / edition.lang),
                           pdf_ready(edition, stage) if "pdf" in formats else None)

        # Each worker writes the edition it made into the staging folder at once, and its
        # print HTML; the PDFs' layout then spreads every edition's chapters over the cores.
        if "pdf" in formats:
            gathered = _gather_beside_typesetter(root, epoch, progress, write_here)
        else:
            gathered = gather(root, epoch, None, progress, write_here)
        book, editions, problems, written = gathered.book, gathered.editions, gathered.problems, gathered.then
        progress(f"checked {len(editions)} edition(s)")
        declared = book.config.all_languages
        unknown = sorted(set(langs) - set(declared))
        if unknown:
            print(f"build.py: --lang {', '.join(unknown)}: the book's languages are {', '.join(declared)}",
                  file=sys.stderr)
            return EXIT_USAGE, []
        status = report(problems, strict)
        if status or not editions or has_errors(problems):
            print("build.py: nothing was built; dist/ is unchanged", file=sys.stderr)
            return max(status, EXIT_PROBLEMS), []
        chosen = [e for e in editions if not langs or e.lang in langs]
        if not chosen:
            print(f"build.py: the {', '.join(langs)} edition is left out (see L003): nothing to build",
                  file=sys.stderr)
            return EXIT_OK, problems
        warnings = problems
        built, fresh, problems = collect([written[e.lang].rendered for e in chosen], progress)
        files = {e.lang: written[e.lang].files for e in chosen}
        if "pdf" in formats:
            pdfs = render_pdfs(chosen, [written[e.lang].pdf for e in chosen], stage, progress)
            built, fresh, problems = built + pdfs[0], fresh + pdfs[1], problems + pdfs[2]
        extras = [Output(e.lang, "edition-files", f"{e.lang}/{name}") for e in chosen for name in files[e.lang]]
        if report(problems, strict):
            print("build.py: the built editions have broken links; dist/ is unchanged", file=sys.stderr)
            return EXIT_PROBLEMS, []
        manifest = publish(root, stage, built + extras, book.config.slug, {e.lang for e in editions})
    for entry in manifest["editions"]:
        print(f"  dist/{entry['path']}  ({entry['bytes']:,} bytes)")
    print(f"build.py: {len(built)} output(s), {len(fresh)} written and {len(built) - len(fresh)} "
          f"unchanged, in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return EXIT_OK, warnings


def import_build_modules() -> None:
    """Import what an HTML build uses, once (the preview's builder, which then runs build after build)."""
    import importlib

    from .cache import tool_versions

    for module in ("chapter_stages", "downloads", "edition", "load", "outputs_check", "publish", "render", "writers"):
        importlib.import_module(f".{module}", __package__)
    tool_versions()


def _gather_beside_typesetter(root: Path, epoch: int, progress: Progress, then) -> Gathered:
    """``gather``, in a forked process, while this one readies the PDF's typesetter.

    WeasyPrint takes a second to import, and the chunks' workers are forked from
    the process that has imported it.  This process imports it at once, checks the
    print stylesheet, and lays out a few lines in each language (``load_styling``),
    while the forked one reads the book and makes the editions: the second core is
    busy from the start, instead of idle while the book is read."""
    from dataclasses import replace

    from .forked import aside
    from .locale_text import language_name
    from .pdf_layout import load_styling
    from .stylesheet_check import check_print_stylesheet

    def prepare(tell) -> Gathered:
        try:
            return gather(root, epoch, tell, progress, then, publishing=False)
        finally:
            progress.clear()  # this process's status line goes on in the parent

    def ready(heard) -> list[Diagnostic]:
        found = check_print_stylesheet(root)
        langs = heard()  # once the book is read; none if it has errors
        if langs:
            load_styling(root, langs)
            for lang in langs:  # Babel's data, for the download page (10-20 ms each)
                language_name(lang)
        return found

    gathered, stylesheet = aside(prepare, ready)
    return replace(gathered, problems=gathered.problems + stylesheet)


def report(problems: list[Diagnostic], strict: bool) -> int:
    """Print every diagnostic, sorted by file and line; return the exit code."""
    if strict:
        problems = [Diagnostic(d.path, d.line, d.code, d.message, ERROR, d.hint)
                    if d.severity == WARNING else d for d in problems]
    problems = sorted(set(problems))  # the same problem seen by two editions is one problem
    for diagnostic in problems:
        print(diagnostic.format(), file=sys.stderr)
    errors = sum(d.severity == ERROR for d in problems)
    warnings = len(problems) - errors
    if problems:
        print(f"{errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return EXIT_PROBLEMS if errors else EXIT_OK
