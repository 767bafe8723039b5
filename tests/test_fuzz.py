"""Random tables and random Markdown: the pipeline builds or reports, never crashes."""
from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from bookbuild.cli import main
from conftest import make_book

TOKENS = list("ab #*_[](){}%@:!<>/\\|-`~=\"'\n\t\u00e9") + ["{{", "}}", "{%", "%}", "{##", "##}",
                                                             "@sec:", "@tbl:", "<script>", "![x](", "\n# "]
MARKUP = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**6), st.text(max_size=12),
                    st.dates().map(str))
JSONISH = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                       max_leaves=20)
TABLE = st.fixed_dictionaries({}, optional={
    "caption": SCALARS,
    "columns": st.lists(st.fixed_dictionaries({"name": st.sampled_from(["name", "code", "x"])},
                                              optional={"label": SCALARS, "type": st.sampled_from(
                                                  ["string", "integer", "list", "url", "date", "bogus"]),
                                                  "required": st.booleans(), "key": st.booleans(),
                                                  "enum": st.lists(SCALARS, max_size=3)}), max_size=3),
    "sources": st.lists(st.dictionaries(st.sampled_from(["title", "url", "checked"]), SCALARS), max_size=2),
    "rows": st.lists(st.dictionaries(st.sampled_from(["name", "code", "x", "y"]), JSONISH), max_size=4),
    "notes": JSONISH,
})


def check(root: Path) -> int:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["--root", str(root), "check"])
    lines = [line for line in err.getvalue().splitlines() if line and not line.startswith("    hint:")]
    for line in lines[:-1]:  # every diagnostic names a file and a line
        assert line.split(":")[1].isdigit(), line
    return code


@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(MARKUP)
def test_random_markdown_builds_or_reports(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = make_book(Path(tmp) / "book")
        chapter = root / "chapters/en/second.md"
        chapter.write_text(chapter.read_text() + "\n" + text)
        assert check(root) in (0, 1)


@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(TABLE)
def test_random_tables_build_or_report(table: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = make_book(Path(tmp) / "book")
        (root / "tables/colours.yaml").write_text(yaml.safe_dump(table, allow_unicode=True))
        assert check(root) in (0, 1)
