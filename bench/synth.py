"""Synthetic books for the benchmark: N chapters of realistic text, with
tables, cross-references and two languages (English, and a French edition
that is fully translated, so both languages do the full work)."""
from __future__ import annotations

import random
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bookbuild.translation import accept  # noqa: E402

EN = ("the a permit work study canada province employer program application year month office rules "
      "résumé immigration resident family school city border health insurance fee visa category "
      "applicant document experience language test job offer citizen pathway federal skilled worker").split()
FR = ("le la permis travail études canada province employeur programme demande année mois bureau règles "
      "immigration résident famille école ville frontière santé assurance frais visa catégorie candidat "
      "document expérience langue test emploi offre citoyen parcours fédéral qualifié").split()
WORDS_PER_CHAPTER = 2000


def sentence(rng: random.Random, words: list[str]) -> str:
    text = " ".join(rng.choice(words) for _ in range(rng.randint(8, 22)))
    return text[0].upper() + text[1:] + "."


def paragraph(rng, words) -> str:
    return " ".join(sentence(rng, words) for _ in range(rng.randint(3, 6)))


def chapter_text(n: int, chapters: int, words: list[str], seed: int) -> tuple[str, str]:
    """(chapter Markdown with template calls, the same with tables as plain Markdown)."""
    rng = random.Random(seed)
    title = " ".join(rng.choice(words) for _ in range(3)).capitalize()
    out = [f"# {title} {{#sec:c{n}}}", ""]
    plain = list(out)
    count = 0
    for s in range(1, 6):
        heading = [f"## {' '.join(rng.choice(words) for _ in range(2)).capitalize()} {{#sec:c{n}-{s}}}", ""]
        out += heading
        plain += heading
        while count < WORDS_PER_CHAPTER * s // 5:
            para = paragraph(rng, words)
            count += len(para.split())
            out += [para, ""]
            plain += [para, ""]
        refs = random.Random(seed * 100 + s)  # the same references in every language
        other = refs.randint(1, chapters)
        ref = f"See @sec:c{other}-{refs.randint(1, 5)} and @tbl:t{other}."
        out += [ref, ""]
        plain += [f"See section {other}.", ""]
        if s == 3:
            out += [f'{{{{ table("t{n}") }}}}', ""]
            plain += [table_markdown(n, words, seed), ""]
    return "\n".join(out), "\n".join(plain)


def table_rows(n: int, words: list[str], seed: int) -> list[tuple]:
    rng = random.Random(seed + 7)
    return [(i, " ".join(rng.choice(words) for _ in range(rng.randint(3, 9))), f"https://example.org/{n}/{i}")
            for i in range(1, 9)]


def table_yaml(n: int, words: list[str], seed: int) -> str:
    lines = [f"caption: Table of chapter {n}", "columns:",
             "  - {name: code, label: Code, type: integer, required: true, key: true}",
             "  - {name: text, label: Description, type: string, required: true}",
             "  - {name: link, label: Link, type: url}",
             "sources:", "  - {title: Synthetic, url: 'https://example.org/', checked: 2026-01-01}", "rows:"]
    lines += [f"  - {{code: {c}, text: '{t}', link: '{u}'}}" for c, t, u in table_rows(n, words, seed)]
    return "\n".join(lines) + "\n"


def table_markdown(n: int, words, seed) -> str:
    rows = [f"| {c} | {t} | [link]({u}) |" for c, t, u in table_rows(n, words, seed)]
    return "\n".join(["| Code | Description | Link |", "|---|---|---|", *rows, "", f": Table of chapter {n}"])


def make_book(dest: Path, chapters: int) -> Path:
    """A buildable book in ``dest``, plus ``dest/raw/<lang>.md`` for the raw-tool floor."""
    if dest.exists():
        shutil.rmtree(dest)
    for folder in ("chapters/en", "chapters/fr", "tables/fr", "raw"):
        (dest / folder).mkdir(parents=True)
    shutil.copytree(REPO / "templates", dest / "templates")
    ids = [f"c{n}" for n in range(1, chapters + 1)]
    (dest / "book.yaml").write_text(
        "title: Synthetic Book\nauthors: [Bench]\nlanguage: en\nlicense: CC0\n"
        "identifier: urn:uuid:00000000-0000-4000-8000-00000000be0c\nissues: https://example.org/issues\n"
        f"slug: synthetic\ntranslations: [fr]\nchapters: [{', '.join(ids)}]\n")
    raw = {"en": [], "fr": []}
    for n in range(1, chapters + 1):
        en, en_plain = chapter_text(n, chapters, EN, n)
        fr, fr_plain = chapter_text(n, chapters, FR, n)
        (dest / f"chapters/en/c{n}.md").write_text(en)
        (dest / f"chapters/fr/c{n}.md").write_text(accept(en, fr, None))
        (dest / f"tables/t{n}.yaml").write_text(table_yaml(n, EN, n))
        raw["en"].append(en_plain)
        raw["fr"].append(fr_plain)
    for lang, parts in raw.items():
        (dest / "raw" / f"{lang}.md").write_text("\n\n".join(parts))
    return dest


if __name__ == "__main__":
    print(make_book(Path(sys.argv[1]), int(sys.argv[2])))
