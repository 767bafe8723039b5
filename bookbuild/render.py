"""Stage: write every (edition, format) output, in parallel, reusing the cache.

Each output's cache key covers the edition's resolved AST, its words and
metadata, every file under templates/ and images/, and the tool versions.
An unchanged output is put in place from ``.cache/``, as hard links to its
checked files.  The PDFs' chunks are laid out first, on every core; then the
outputs are written, each checked and remembered by the worker that wrote it,
by a pool of processes, one per core.
A build without a PDF has no layout to share out: each edition is written by
the worker that made it, as soon as it is made (``render_here``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from .cache import digest, fetch_output, store_output, tool_versions, tree_digest
from .diagnostics import Diagnostic
from .forked import forked_map
from .model import Edition
from .progress import Progress
from .publish import Output, output_for

ORDER = {"pdf": 0, "epub": 1, "html": 2}


@dataclass(frozen=True)
class Job:
    edition: Edition
    output: Output
    target: Path
    work: Path
    key: str
    plan: object = None  # a PDF's laid-out chunks (pdf.PdfPlan)


def output_key(edition: Edition, fmt: str, inputs: str) -> str:
    book = edition.book
    config = {k: v for k, v in book.config.__dict__.items() if k != "linkcheck"}  # not in any edition
    words = json.dumps([config, book.strings, edition.stamp.__dict__], sort_keys=True, default=str)
    return digest(tool_versions(), fmt, edition.lang, words, inputs, edition.key)


def render_all(editions: list[Edition], formats: list[str], stage: Path, progress: Progress
               ) -> tuple[list[Output], list[Output], list[Diagnostic]]:
    """Write every output into ``stage``; returns (all outputs, those rendered afresh, the
    problems found in those: each is checked by the worker that wrote it, and remembered
    only if it passed)."""
    root = editions[0].book.root
    inputs = tree_digest(root / "templates", root / "images")
    jobs, fresh, built = [], [], []
    files: dict[str, list] = {}  # each output's files, as listed when it was fetched or written
    for edition in editions:
        for fmt in formats:
            job = _job(edition, fmt, stage, inputs)
            built.append(job.output)
            files[job.output.path] = fetch_output(root, job.key, job.target)
            if files[job.output.path] is not None:
                progress(_unchanged(job))
            else:
                jobs.append(job)
    jobs.sort(key=lambda j: ORDER[j.output.format])
    pdfs, others = [j for j in jobs if j.output.format == "pdf"], [j for j in jobs if j.output.format != "pdf"]
    problems: list[Diagnostic] = []
    if pdfs:
        from .pdf import lay_out

        # The other formats are written while the last layout pass runs, on the cores it leaves idle.
        plans, written = lay_out([j.edition for j in pdfs], inputs, progress,
                                 [(_name(j), partial(_run, j)) for j in others])
        for job, result in zip(others, written):
            problems += _done(job, result, fresh, files, progress)
        jobs = [replace(j, plan=plans[j.edition.lang]) for j in pdfs]
    results = progress.writing([_name(j) for j in jobs], iter(forked_map(_run, jobs, waiting=progress.tick)))
    for job, result in zip(jobs, results):
        problems += _done(job, result, fresh, files, progress)
    return [replace(output, files=tuple(files[output.path] or ())) for output in built], fresh, problems


@dataclass(frozen=True)
class Rendered:
    """One edition's outputs, written by the worker that made the edition (``render_here``)."""
    built: list[Output]  # every output, with its files
    fresh: list[Output]  # those written afresh
    problems: list[Diagnostic]  # found in those
    notes: list[str]  # a line for the progress per output


def render_here(edition: Edition, formats: list[str], stage: Path) -> Rendered:
    """Write one edition's outputs into ``stage`` in this process, one after the other.

    For builds without a PDF (whose layout spreads every edition's chapters over the
    cores): the worker that has just made an edition writes it at once, instead of
    sending it back and waiting for the other languages.  Nothing is published unless
    every edition passes its checks."""
    root = edition.book.root
    inputs = tree_digest(root / "templates", root / "images")
    built, fresh, problems, notes = [], [], [], []
    for fmt in sorted(formats, key=ORDER.get):
        job = _job(edition, fmt, stage, inputs)
        files = fetch_output(root, job.key, job.target)
        if files is None:
            note, found, files = _run(job)
            problems += found
            fresh.append(job.output)
            notes.append(_wrote(job, note))
        else:
            notes.append(_unchanged(job))
        built.append(replace(job.output, files=tuple(files or ())))
    return Rendered(built, fresh, problems, notes)


def collect(rendered: list[Rendered], progress: Progress) -> tuple[list[Output], list[Output], list[Diagnostic]]:
    """What workers wrote with ``render_here``, as ``render_all`` returns it; their notes go to ``progress``."""
    built, fresh, problems = [], [], []
    for each in rendered:
        for note in each.notes:
            progress(note)
        built += each.built
        fresh += each.fresh
        problems += each.problems
    return built, fresh, problems


def _job(edition: Edition, fmt: str, stage: Path, inputs: str) -> Job:
    (stage / edition.lang).mkdir(parents=True, exist_ok=True)
    output = output_for(edition.lang, fmt, edition.book.config.slug)
    return Job(edition, output, output.target(stage), stage / edition.lang, output_key(edition, fmt, inputs))


def _name(job: Job) -> str:
    return f"{job.edition.lang} {job.output.format}"


def _unchanged(job: Job) -> str:
    return f"{job.edition.lang}: {job.output.format} unchanged, from the cache"


def _wrote(job: Job, note: str) -> str:
    return f"{job.edition.lang}: wrote {job.output.format}{f' ({note})' if note else ''}"


def _done(job: Job, result: tuple[str, list[Diagnostic], list | None], fresh: list[Output],
          files: dict[str, list], progress: Progress) -> list[Diagnostic]:
    """Note a written output and its files; return its problems."""
    note, problems, files[job.output.path] = result
    fresh.append(job.output)
    progress(_wrote(job, note))
    return problems


def _run(job: Job) -> tuple[str, list[Diagnostic], list | None]:
    """Write one output, check it and remember it if it passed; return a note for
    the progress line, its problems, and its files (None if it is not remembered)."""
    from .outputs_check import check_output

    note = _write(job)
    problems = check_output(job.output, job.target, job.edition.book.root)
    return note, problems, None if problems else store_output(job.edition.book.root, job.key, job.target)


def _write(job: Job) -> str:
    fmt, edition = job.output.format, job.edition
    if fmt == "html":
        from .writers import write_html_site
        write_html_site(edition, job.target)
    elif fmt == "epub":
        from .writers import write_epub
        work = job.work / ".work-epub"
        work.mkdir(exist_ok=True)
        write_epub(edition, job.target, work)
    else:
        from .pdf import write_pdf
        return write_pdf(edition, job.plan, job.target)
    return ""
