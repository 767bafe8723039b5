"""Stage: write every (edition, format) output, in parallel, reusing the cache.

Each output's cache key covers the edition's resolved AST, its words and
metadata, every file under templates/ and images/, and the tool versions.
An unchanged output is copied from ``.cache/``.  The PDFs' chunks are laid
out first, on every core; then the outputs are written, each checked and
remembered by the worker that wrote it, by a pool of processes, one per core.
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
        (stage / edition.lang).mkdir(parents=True, exist_ok=True)
        for fmt in formats:
            output = output_for(edition.lang, fmt, edition.book.config.slug)
            job = Job(edition, output, output.target(stage), stage / edition.lang, output_key(edition, fmt, inputs))
            built.append(output)
            files[output.path] = fetch_output(root, job.key, job.target)
            if files[output.path] is not None:
                progress(f"{edition.lang}: {fmt} unchanged, from the cache")
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


def _name(job: Job) -> str:
    return f"{job.edition.lang} {job.output.format}"


def _done(job: Job, result: tuple[str, list[Diagnostic], list | None], fresh: list[Output],
          files: dict[str, list], progress: Progress) -> list[Diagnostic]:
    """Note a written output and its files; return its problems."""
    note, problems, files[job.output.path] = result
    fresh.append(job.output)
    progress(f"{job.edition.lang}: wrote {job.output.format}{f' ({note})' if note else ''}")
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
