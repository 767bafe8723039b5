"""The EPUB cover: an SVG drawn from the book's title, subtitle and authors."""
from __future__ import annotations

import textwrap
from pathlib import Path

from .templating import make_environment


def write_cover(edition, out: Path) -> Path:
    config = edition.book.config
    env = make_environment(edition.book.root)
    svg = env.get_template("cover.svg.j2").render(
        title=config.title, title_lines=textwrap.wrap(config.title, 14),
        subtitle_lines=textwrap.wrap(config.subtitle, 36), authors=", ".join(config.authors))
    out.write_text(svg, "utf-8")
    return out
