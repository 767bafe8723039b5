"""The front matter's contents are settled as soon as the other chunks of its language are
measured, while the workers still draw them (``pdf._settle_as_measured``)."""
from __future__ import annotations

from bookbuild.pdf import _settle_as_measured, in_working_order
from bookbuild.pdf_layout import ChunkLayout
from bookbuild.pdf_worker import ChunkJob


class Told:
    """Measures told in a given order, then none (as a pipe with nothing in it)."""

    def __init__(self, told: list):
        self.told, self.waited = list(told), 0

    def heard(self, timeout: float):
        return self.told.pop(0) if self.told else None


def job(lang: str, index: int) -> ChunkJob:
    return ChunkJob(lang, index, 1, {}, f"<p>{lang} {index}</p>", True)


def measured(pages: int) -> ChunkLayout:
    return ChunkLayout(None, pages, {}, ())


def test_each_language_is_settled_once_its_chunks_are_measured_and_all_are_read() -> None:
    jobs = {f"{lang}{index}": job(lang, index) for lang in ("en", "fr", "de") for index in range(3)}
    remembered = {"fr2": ("fr2", measured(4))}  # from the cache: known from the start
    # German's front matter is remembered, but one of its chapters is being laid out.
    told = Told([("en", 1, measured(5)), ("fr", 1, measured(6)), ("en", 2, measured(7)), ("de", 1, measured(2))])
    settled = []

    def settle(key, laid):
        lang = jobs[key].lang
        settled.append((key, {i: laid[(lang, i)].pages for i in (1, 2)}, len(told.told)))

    _settle_as_measured(["en0", "fr0"], [jobs[k] for k in ("en1", "fr1", "en2", "de1")], remembered, jobs, told,
                        settle, lambda: None)
    # fr is settled as soon as its chapter 1 is told (its chapter 2 is remembered), before en's last.
    assert settled == [("fr0", {1: 6, 2: 4}, 2), ("en0", {1: 5, 2: 7}, 1)]
    assert told.told == []  # every chunk's measures were read: no worker is left waiting on the pipe


def test_a_language_whose_worker_failed_is_not_settled() -> None:
    jobs = {f"{lang}{index}": job(lang, index) for lang in ("en", "fr") for index in range(2)}
    told = Told([("en", 1, None), ("fr", 1, measured(3))])
    settled = []
    _settle_as_measured(["en0", "fr0"], [jobs["en1"], jobs["fr1"]], {}, jobs, told,
                        lambda key, laid: settled.append(key), lambda: None)
    assert settled == ["fr0"]


def test_waiting_is_called_while_nothing_is_told() -> None:
    jobs = {"en0": job("en", 0), "en1": job("en", 1)}
    told = Told([None, None, ("en", 1, measured(2))])
    ticks, settled = [], []
    _settle_as_measured(["en0"], [jobs["en1"]], {}, jobs, told, lambda key, laid: settled.append(key),
                        lambda: ticks.append(1))
    assert ticks == [1, 1] and settled == ["en0"]


def test_chunks_are_laid_out_in_the_books_order_the_longest_language_first_at_each_place() -> None:
    """So that a chunk's worker finds the chunks before it laid out, and the language most
    likely to end last starts first."""
    jobs = {f"{lang}{index}": ChunkJob(lang, index, 1, {}, "x" * size, True)
            for lang, sizes in (("en", (10, 500, 900)), ("fr", (12, 600, 1000)), ("de", (11, 550, 950)))
            for index, size in enumerate(sizes)}
    assert in_working_order(list(jobs), jobs, ["en", "fr", "de"]) == \
        ["fr0", "de0", "en0", "fr1", "de1", "en1", "fr2", "de2", "en2"]
    # Only what is left to lay out counts: here the French chapters are cached.
    assert in_working_order(["en1", "en2", "fr1", "de1", "de2"], jobs, ["en", "fr", "de"]) == \
        ["de1", "en1", "fr1", "de2", "en2"]
