"""Stage: write the PDF.  Pandoc writes print HTML (``pdf_html.py``); WeasyPrint,
in-process, lays it out.

The PDF is laid out in chunks, the front matter and then each chapter
(``pdf_chunks.py``), on every core, and each chunk's layout is remembered
(``pdf_layout.py``); the chunks are then joined into one tagged PDF
(``pdf_merge.py``).  Page numbers work as in LaTeX: a layout finds each
chunk's first page and each anchor's page, and the chunks whose numbers
changed are laid out again, until they hold.  The first guess is what the
last build found, so after an edit only the edited chapter is laid out
again: a chunk whose numbers changed but not their widths (an edit that
adds a page moves every later one) keeps its layout, and the join puts the
new numbers in its PDF (``pdf_numbers.py``).  A chunk's worker settles two
of its numbers itself (``pdf_worker.py``): its first page, from the chunks
before it, and the pages of its own anchors, put in place without a second
layout.  The front matter is laid out by this process meanwhile, and the
pages its contents print are put in place once the workers have found them.
So a cold build lays out again only the chapters that name other chapters'
pages.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .cache import get_pickle, needed_pickle
from .diagnostics import BuildFailed, error
from .forked import TICK_S, forked_map, side_by_side
from .model import Edition
from .pdf_chunks import CutBook, Shown, chunk_html, shown_numbers
from .pdf_layout import KIND, ChunkLayout, layout_key, load_styling
from .pdf_numbers import changes
from .pdf_worker import (UNDER_WAY, ChunkJob, Measures, PageCounts, book_numbers, lay_out_first, lay_out_job,
                         settle_first)
from .progress import Progress
from .writers import TEMPLATES

JOINED = "pdf-joined"  # each joined PDF's sha256, by its chunks and numbers
PAGES_CACHE = Path(".cache") / "pdf-pages"  # per language: chunk starts and anchor pages in the last build
MAX_PASSES = 4


def _refusal(url: str, root: Path, edition: Edition):
    """S002 for a URL WeasyPrint was refused, pointing at the stylesheet line that asked for it."""
    from .sourcelines import find_line

    css = root / TEMPLATES / "css" / "print.css"
    text = css.read_text("utf-8")
    if url in text:
        where, line = "templates/css/print.css", find_line(text, url)
    else:
        where, line = f"dist/{edition.lang}/{edition.book.config.slug}.pdf", 1
    return error("S002", where, line, f"refused to fetch {url}", "the PDF may use only files inside the project")


def lay_out(editions: list[Edition], books: dict[str, CutBook], inputs: str, progress: Progress
            ) -> dict[str, "PdfPlan"]:
    """Lay out every edition's PDF (its print HTML cut into ``books``, by language) chunk by
    chunk, on every core, until its numbers hold.  Returns the plans."""
    root = editions[0].book.root
    languages = ", ".join(e.lang for e in editions)
    css = load_styling(root, [e.lang for e in editions])  # before the workers are forked: they inherit it
    guesses = {e.lang: _remembered_numbers(root / PAGES_CACHE / f"{e.lang}.json", books[e.lang]) for e in editions}
    known = {lang: guess is not None for lang, guess in guesses.items()}  # else a cold build's guess
    numbers = {lang: guess or ([1] * len(books[lang].chunks), {}) for lang, guess in guesses.items()}
    pending = {lang: _chunk_htmls(books[lang], *numbers[lang]) for lang in numbers}  # with the numbers to try
    plans: dict[str, PdfPlan] = {}
    fresh = dict.fromkeys(pending, 0)
    for attempt in range(1, MAX_PASSES + 1):
        keys = {lang: [layout_key(html, css, inputs) for html in htmls] for lang, htmls in pending.items()}
        # Laid out from a cold build's guesses, a chunk is drawn only if it settles its own numbers.
        jobs = {key: ChunkJob(lang, index, numbers[lang][0][index], numbers[lang][1], html,
                              known[lang] or attempt == MAX_PASSES)
                for lang in pending for index, (key, html) in enumerate(zip(keys[lang], pending[lang]))}
        made, remembered = _lay_out_missing(editions, books, css, inputs, jobs, progress,
                                            f"pdf: pass {attempt}: laid out {{}} of {{}} chunks ({languages})")
        for lang in list(pending):
            laid_out = [made.get(key) or remembered.get(key) or (key, _layout(root, key)) for key in keys[lang]]
            layouts = [layout for _, layout in laid_out]
            fresh[lang] += sum(key in made for key in set(keys[lang]))
            numbers[lang], known[lang] = book_numbers(layouts), True
            again = _chunk_htmls(books[lang], *numbers[lang])
            # Done when each chunk's layout is of its HTML with the numbers found, and drawn,
            # but for numbers that the join can put in place of those it drew.
            shown = [shown_numbers(html) for html in again]
            done = all(l.pdf for l in layouts) and \
                [laid for laid, _ in laid_out] == [layout_key(html, css, inputs) for html in again] and \
                all(changes(layout, wanted) is not None for layout, wanted in zip(layouts, shown))
            if not done and attempt < MAX_PASSES:
                pending[lang] = again  # the numbers moved: lay out again the chunks that show them
                continue
            plans[lang] = PdfPlan(lang, tuple(laid for laid, _ in laid_out), tuple(_blank_after(layouts)), attempt,
                                  fresh[lang], tuple(shown))
            _remember_numbers(root / PAGES_CACHE / f"{lang}.json", books[lang], numbers[lang])
            del pending[lang]
        if not pending:
            break
    for plan in plans.values():
        progress(f"{plan.lang}: pdf: {plan.fresh} chunk layout{'s' if plan.fresh != 1 else ''} "
                 f"for {len(plan.keys)} chunks, {plan.passes} pass{'es' if plan.passes > 1 else ''}")
    return plans


def _lay_out_missing(editions: list[Edition], books: dict[str, CutBook], css: str, inputs: str,
                     jobs: dict[str, ChunkJob], progress: Progress, counted: str) -> tuple[dict, dict]:
    """Lay out, on every core, the chunks (key -> job) that are not remembered; the status line
    says how many are laid out, in ``counted`` (a format with two {}).  Returns the layouts made
    and those read from the cache meanwhile: for each key, the key of the HTML laid out (its
    numbers settled by the worker, ``pdf_worker.py``) and its layout."""
    root, identifier = editions[0].book.root, editions[0].book.config.identifier.encode()
    drawn = {key: _drawn(root, key, job.html) for key, job in jobs.items()}
    todo = in_working_order([key for key, layout in drawn.items() if layout is None], jobs, list(books))
    # The first chunk (the front matter, with the contents) starts on page 1 whatever the
    # others do, and prints their pages: this process lays it out while the workers lay
    # out the rest, and puts their pages in place once they are known.
    first = [key for key in todo if jobs[key].index == 0]
    counts = PageCounts({lang: len(book.chunks) for lang, book in books.items()})
    made: dict[str, tuple[str, ChunkLayout]] = {}
    remembered = {key: (key, layout) for key, layout in drawn.items() if layout is not None}
    for key, (_, layout) in remembered.items():  # the workers need their page counts
        counts.set(jobs[key].lang, jobs[key].index, layout.pages)
    for key in first:  # before the workers are forked: once a chunk is laid out, they wait for this count
        counts.set(jobs[key].lang, 0, UNDER_WAY)
    todo = [key for key in todo if key not in first]
    laid_first, settled = {}, {}
    # With workers, each chunk's measures come as soon as it is laid out: the front matter
    # is settled here while they draw, instead of after.
    measures = Measures() if first and side_by_side(todo) else None

    def count() -> None:
        progress.status(counted.format(len(made) + len(laid_first), len(todo) + len(first)))

    def settle(key: str, laid: dict):  # ``laid``: (language, index) -> each other chunk's layout
        job = jobs[key]
        others = [laid.get((job.lang, index)) for index in range(1, len(books[job.lang].chunks))]
        return settle_first(root, job, books[job.lang], *laid_first[key], others, css, inputs, identifier)

    def meanwhile() -> None:
        for key in first:
            laid_first[key] = lay_out_first(root, jobs[key], css, counts)
            count()
        if measures:
            _settle_as_measured(first, [jobs[key] for key in todo], remembered, jobs, measures,
                                lambda key, laid: settled.setdefault(key, settle(key, laid)), progress.tick)

    def work(key: str):
        job = jobs[key]
        return lay_out_job(root, job, books[job.lang], css, inputs, identifier, counts, measures)

    if todo or first:
        count()
    for index, result in enumerate(forked_map(work, todo, meanwhile, waiting=progress.tick)):
        made[todo[index]] = result
        count()
    laid = {(jobs[k].lang, jobs[k].index): layout for k, (_, layout) in (made | remembered).items()}
    rest = [key for key in first if key not in settled]  # each language's in a worker of its own
    made.update(settled)
    made.update(zip(rest, forked_map(lambda key: settle(key, laid), rest)))
    by_lang = {e.lang: e for e in editions}
    refused = [_refusal(url, root, by_lang[jobs[key].lang]) for key in todo + first for url in made[key][1].refused]
    if refused:
        raise BuildFailed(refused)
    return made, remembered


def in_working_order(keys: list[str], jobs: dict[str, ChunkJob], langs: list[str]) -> list[str]:
    """The chunks to lay out in the book's order, so that a chunk's worker finds the chunks
    before it laid out; at each place, the language with the most to lay out first, as it is
    likely to end last (a translation is often longer than its source)."""
    size = {lang: sum(len(jobs[key].html) for key in keys if jobs[key].lang == lang) for lang in langs}
    return sorted(keys, key=lambda key: (jobs[key].index, -size[jobs[key].lang], langs.index(jobs[key].lang)))


def _settle_as_measured(first: list[str], laying: list[ChunkJob], remembered: dict, jobs: dict[str, ChunkJob],
                        measures: Measures, settle, waiting) -> None:
    """``settle(key, laid)`` each front matter (the ``first`` keys) as soon as the other chunks of
    its language are measured: those ``laying`` out are told by their workers, and the
    ``remembered`` are known.  A language whose worker failed is left (its error comes next).
    Returns once every chunk is told; ``waiting()`` is called every ``TICK_S`` meanwhile."""
    laid = {(jobs[k].lang, jobs[k].index): layout for k, (_, layout) in remembered.items()}
    pending = {(job.lang, job.index) for job in laying}
    failed: set[str] = set()
    left = list(first)
    while True:
        for key in list(left):
            lang = jobs[key].lang
            if lang not in failed and not any(waiting_lang == lang for waiting_lang, _ in pending):
                settle(key, laid)
                left.remove(key)
        if not pending:
            return
        told = measures.heard(TICK_S)
        if told is None:
            waiting()
            continue
        lang, index, layout = told
        pending.discard((lang, index))
        if layout is None:
            failed.add(lang)
        else:
            laid[(lang, index)] = layout


@dataclass(frozen=True)
class PdfPlan:
    """Where an edition's laid-out chunks are, in order, and what joining them needs."""
    lang: str
    keys: tuple[str, ...]  # each chunk's layout in .cache/pdf-chunks
    blank_after: tuple[bool, ...]  # a blank verso after the chunk, so the next starts on a recto
    passes: int
    fresh: int  # chunks laid out in this build
    shown: tuple[Shown, ...]  # the page numbers each chunk prints (the join puts them in place)


def write_pdf(edition: Edition, plan: PdfPlan, out_file: Path) -> tuple[str, str]:
    """Join the edition's laid-out chunks into its PDF, putting in each the numbers it prints;
    or, if the same chunks with the same numbers were joined before, put that PDF in place (the
    other language's, after an edit of one language's chapter).  Returns a note for the progress
    line, and the PDF's sha256, under which it is stored in ``.cache/blobs``."""
    from .cache import blob_bytes, digest, get_json, place_blob, put_blob, put_json, tool_versions
    from .pdf_merge import merge_parts
    from .pdf_numbers import show

    root, identifier = edition.book.root, edition.book.config.identifier.encode()
    joined_key = digest(tool_versions(), JOINED, identifier, json.dumps(
        [plan.keys, plan.blank_after, [[shown.start, shown.numbers] for shown in plan.shown]]))
    blob = get_json(root, JOINED, joined_key)
    data = blob_bytes(root, blob) if isinstance(blob, str) else None
    if data is not None:
        place_blob(root, blob, data, out_file)
        return f"{len(plan.keys)} chunks, as joined before", blob
    layouts = [_layout(root, key) for key in plan.keys]
    edits = [changes(layout, wanted) or {} for layout, wanted in zip(layouts, plan.shown)]
    data = merge_parts([layout.pdf for layout in layouts], identifier, blank_after=plan.blank_after,
                       prepare=lambda index, part: show(part.pages, edits[index]))
    out_file.write_bytes(data)
    blob = put_blob(root, data)
    put_json(root, JOINED, joined_key, blob)
    renumbered = sum(bool(e) for e in edits)
    return f"{len(layouts)} chunks joined" + (f", {renumbered} renumbered" if renumbered else ""), blob


def _layout(root: Path, key: str) -> ChunkLayout:
    return needed_pickle(root, KIND, key)


def _drawn(root: Path, key: str, html: str) -> ChunkLayout | None:
    """The chunk's layout if it is remembered, drawn with its numbers or with numbers the join can change."""
    layout = get_pickle(root, KIND, key)
    return layout if layout is not None and changes(layout, shown_numbers(html)) is not None else None


def _chunk_htmls(book: CutBook, starts: list[int], pages: dict[str, int]) -> list[str]:
    return [chunk_html(book, index, start, pages) for index, start in enumerate(starts)]


def _blank_after(layouts: list[ChunkLayout]) -> list[bool]:
    return [bool(layout.pages % 2) and index < len(layouts) - 1 for index, layout in enumerate(layouts)]


def _remembered_numbers(path: Path, book: CutBook) -> tuple[list[int], dict[str, int]] | None:
    """The last build's chapter starts and anchor pages, as a first guess (checked by the layout).
    Starts are remembered by chapter, so a new chapter leaves the guesses before it right."""
    try:
        saved = json.loads(path.read_text("utf-8"))
        starts, pages = dict(saved["starts"]), dict(saved["pages"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return ([starts.get(chunk.name, 1) if isinstance(starts.get(chunk.name), int) else 1 for chunk in book.chunks],
            {k: v for k, v in pages.items() if isinstance(v, int)})


def _remember_numbers(path: Path, book: CutBook, numbers: tuple[list[int], dict[str, int]]) -> None:
    from .cache import atomic_write

    starts, pages = numbers
    atomic_write(path, json.dumps({"starts": {c.name: s for c, s in zip(book.chunks, starts)}, "pages": pages},
                                  sort_keys=True))
