"""The command line: ``python build.py build|check|translations|new-language``.

Exit codes: 0 clean, 1 problems in the book, 2 usage or configuration error.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .diagnostics import CODES, BuildFailed, Diagnostic, ERROR, WARNING, has_errors

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
CONFIG_CODES = ("B001", "B002", "B004")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="build.py", description="Build and check the book's editions.")
    top.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                     help="the book's folder (default: this repository)")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    build = sub.add_parser("build", help="check, then build editions into dist/")
    build.add_argument("--format", action="append", choices=("html", "epub", "pdf"),
                       help="build only this format (repeatable; default: all)")
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
    sub.add_parser("validate", help="run EPUBCheck, v.Nu and the PDF checks on the editions in dist/")
    new = sub.add_parser("new-language", help="scaffold a new language edition")
    new.add_argument("lang", help="ISO 639 language code, e.g. es")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
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
        return run_build(root, args.format or ["html", "epub", "pdf"], args.strict)
    except BuildFailed as failed:
        code = report(failed.diagnostics, strict=False)
        config_broken = any(d.code in CONFIG_CODES for d in failed.diagnostics)
        return EXIT_USAGE if config_broken else max(code, EXIT_PROBLEMS)
    except KeyboardInterrupt:
        print("build.py: interrupted; dist/ is unchanged", file=sys.stderr)
        return 130


def gather(root: Path, epoch: int | None = None):
    """Load and check everything, and prepare every edition: nothing is written."""
    from .edition import make_edition
    from .load import load
    from .stamp import source_date_epoch

    book, problems = load(root)
    editions = []
    if has_errors(problems):
        return book, editions, problems
    epoch = source_date_epoch(root) if epoch is None else epoch
    for lang in (book.config.language, *book.languages):
        edition, found = make_edition(book, lang, epoch)
        problems += found
        if edition is not None:
            editions.append(edition)
    return book, editions, problems


def run_check(root: Path) -> list[Diagnostic]:
    return gather(root)[2]


def run_build(root: Path, formats: list[str], strict: bool) -> int:
    from . import fastpath
    from .stamp import source_date_epoch

    started = time.monotonic()
    epoch = source_date_epoch(root)
    print_ = fastpath.fingerprint(root, formats, strict, epoch)
    if fastpath.up_to_date(root, print_):
        print("build.py: dist/ is up to date: nothing changed since the last build", file=sys.stderr)
        return EXIT_OK
    status = _build(root, formats, strict, epoch, started)
    if status == EXIT_OK:
        fastpath.remember(root, print_)
    return status


def _build(root: Path, formats: list[str], strict: bool, epoch: int, started: float) -> int:
    from .outputs_check import check_outputs
    from .publish import publish, staging
    from .render import render_all

    progress = _progress_printer(started)
    book, editions, problems = gather(root, epoch)
    progress(f"checked {len(editions)} edition(s)")
    status = report(problems, strict)
    if status or not editions or has_errors(problems):
        print("build.py: nothing was built; dist/ is unchanged", file=sys.stderr)
        return max(status, EXIT_PROBLEMS)
    with staging(root) as stage:
        built, fresh = render_all(editions, formats, stage, progress)
        problems = check_outputs(stage, fresh)
        if report(problems, strict):
            print("build.py: the built editions have broken links; dist/ is unchanged", file=sys.stderr)
            return EXIT_PROBLEMS
        manifest = publish(root, stage, built, book.config.slug, {e.lang for e in editions})
    for entry in manifest["editions"]:
        print(f"  dist/{entry['path']}  ({entry['bytes']:,} bytes)")
    print(f"build.py: {len(built)} output(s), {len(fresh)} written and {len(built) - len(fresh)} "
          f"unchanged, in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return EXIT_OK


def _progress_printer(started: float):
    """Progress lines on a terminal (or with BOOKBUILD_PROGRESS=1); silence in CI logs."""
    import os

    if not (sys.stderr.isatty() or os.environ.get("BOOKBUILD_PROGRESS") == "1"):
        return lambda message: None
    return lambda message: print(f"[{time.monotonic() - started:5.1f}s] {message}", file=sys.stderr, flush=True)


def report(problems: list[Diagnostic], strict: bool) -> int:
    """Print every diagnostic, sorted by file and line; return the exit code."""
    if strict:
        problems = [Diagnostic(d.path, d.line, d.code, d.message, ERROR, d.hint)
                    if d.severity == WARNING else d for d in problems]
    for diagnostic in sorted(set(problems)):
        print(diagnostic.format(), file=sys.stderr)
    errors = sum(d.severity == ERROR for d in problems)
    warnings = len(problems) - errors
    if problems:
        print(f"{errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return EXIT_PROBLEMS if errors else EXIT_OK
