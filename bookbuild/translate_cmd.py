"""``build.py translations`` and ``build.py new-language``: the translator's tools."""
from __future__ import annotations

import difflib
import re
import subprocess
import sys
from pathlib import Path

from babel import Locale, UnknownLocaleError

from .config import CONFIG_FILE
from .load import load
from .locale_text import STRINGS_DIR
from .translation import MISSING, STALE, TRANSLATED, accept, chapter_status, section_hash, split_sections


def status(root: Path, only: str | None, show_diff: bool, accept_ids: list[str] | None) -> int:
    book, _ = load(root)
    languages = [only] if only else list(book.languages)
    if only and only not in book.languages:
        print(f"build.py: '{only}' is not a translation in {CONFIG_FILE} "
              f"(translations: {', '.join(book.languages) or 'none'})", file=sys.stderr)
        return 2
    if accept_ids:
        if not only:
            print("build.py: --accept needs a language: translations LANG --accept SECTION", file=sys.stderr)
            return 2
        return _accept(root, book, only, accept_ids)
    for code in languages:
        _report(root, book, code, show_diff)
    return 0


def _report(root: Path, book, code: str, show_diff: bool) -> None:
    language = book.languages[code]
    rows, totals = [], {TRANSLATED: 0, STALE: 0, MISSING: 0}
    for chapter in book.chapters:
        translation = language.chapters.get(chapter.id)
        statuses = chapter_status(chapter.source, translation.source if translation else None)
        for s in statuses:
            totals[s.state] += 1
        rows.append((chapter, translation, statuses))
    total = sum(totals.values()) or 1
    name = Locale.parse(code.replace("-", "_")).get_display_name(code)
    print(f"{code} ({name}): {_summary(totals, total)}")
    for chapter, translation, statuses in rows:
        counts = {state: sum(s.state == state for s in statuses) for state in totals}
        where = translation.path if translation else f"chapters/{code}/{chapter.id}.md (not started)"
        print(f"  {chapter.id}: {where}: {_summary(counts, len(statuses) or 1)}")
        for s in statuses:
            if s.state == TRANSLATED:
                continue
            line = f" (line {s.line})" if s.line else ""
            print(f"    {s.state:8} {s.id}{line}")
            if show_diff and s.state == STALE:
                print(_indent(_diff(root, chapter, s), "      "))
    print()


def _summary(counts: dict, total: int) -> str:
    return ", ".join(f"{counts[state]} {state} ({100 * counts[state] // total}%)" for state in counts)


def _diff(root: Path, chapter, section_status) -> str:
    current = next(s for s in split_sections(chapter.source) if s.id == section_status.id)
    old = _old_section(root, chapter.path, section_status.id, section_status.recorded)
    if old is None:
        why = "no hash recorded" if not section_status.recorded else \
            f"no version of {chapter.path} in git has this section with hash {section_status.recorded}"
        return f"({why}; the current source text is:)\n{current.text}"
    lines = difflib.unified_diff(old.splitlines(), current.text.splitlines(), "translated from", "source now",
                                 lineterm="")
    return "\n".join(lines)


def _old_section(root: Path, path: str, ident: str, recorded: str) -> str | None:
    if not recorded:
        return None
    log = subprocess.run(["git", "-C", str(root), "log", "--format=%H", "--", path],
                         capture_output=True, text=True, check=False).stdout.split()
    for commit in log:
        old = subprocess.run(["git", "-C", str(root), "show", f"{commit}:{path}"],
                             capture_output=True, text=True, check=False)
        if old.returncode:
            continue
        for section in split_sections(old.stdout):
            if section.id == ident and section_hash(section) == recorded:
                return section.text
    return None


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def _accept(root: Path, book, code: str, ids: list[str]) -> int:
    wanted = None if "all" in ids else set(ids)
    language = book.languages[code]
    changed = 0
    for chapter in book.chapters:
        translation = language.chapters.get(chapter.id)
        if translation is None:
            continue
        new = accept(chapter.source, translation.source, wanted)
        if new != translation.source:
            (root / translation.path).write_text(new, "utf-8")
            changed += 1
            print(f"updated {translation.path}")
    if not changed:
        print("nothing to update: no such section in the translation, or already current")
    return 0


def new_language(root: Path, code: str) -> int:
    try:
        Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        print(f"build.py: unknown language code '{code}' (use ISO 639, e.g. es, pt-BR)", file=sys.stderr)
        return 2
    book, _ = load(root)
    if code == book.config.language or code in book.config.translations:
        print(f"build.py: '{code}' is already in {CONFIG_FILE}", file=sys.stderr)
        return 2
    source = book.config.language
    strings = (root / STRINGS_DIR / f"{source}.yaml").read_text("utf-8")
    _create(root / STRINGS_DIR / f"{code}.yaml",
            f"# The words the pipeline puts into the '{code}' edition: translate each value.\n" + strings)
    config = book.config
    _create(root / "chapters" / code / "edition.yaml",
            f"# The '{code}' edition's title page: translate these.\n"
            f"title: {_quote(config.title)}\nsubtitle: {_quote(config.subtitle)}\n"
            f"description: {_quote(config.description)}\n")
    for chapter in book.chapters:
        _create(root / "chapters" / code / f"{chapter.id}.md",
                f"{{## Translation of {chapter.path} into '{code}'. See TRANSLATING.md.\n"
                f"    Until a section is here, readers see the original with a notice. ##}}\n")
    _add_to_config(root / CONFIG_FILE, code)
    print(f"Scaffolded '{code}'. Next: translate {STRINGS_DIR}/{code}.yaml and chapters/{code}/; "
          f"see TRANSLATING.md. 'make translations' shows progress.")
    return 0


def _create(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(text, "utf-8")
        print(f"created {path}")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _add_to_config(path: Path, code: str) -> None:
    text = path.read_text("utf-8")
    flow = re.search(r"^translations:[ \t]*\[(.*)\][ \t]*$", text, re.M)
    if flow:
        items = [item.strip() for item in flow.group(1).split(",") if item.strip()]
        text = text[:flow.start()] + f"translations: [{', '.join(items + [code])}]" + text[flow.end():]
        path.write_text(text, "utf-8")
        print(f"added '{code}' to {path.name}")
        return
    block = re.search(r"^translations:[ \t]*\n((?:[ \t]+-.*\n?)*)", text, re.M)
    if block:
        end = block.end()
        items = block.group(1)
        addition = ("" if not items or items.endswith("\n") else "\n") + f"  - {code}\n"
        text = text[:end] + addition + text[end:]
    else:
        text = text.rstrip("\n") + f"\ntranslations:\n  - {code}\n"
    path.write_text(text, "utf-8")
    print(f"added '{code}' to {path.name}")
