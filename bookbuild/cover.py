"""The cover: an SVG drawn from the edition's title, subtitle, language and authors.

One drawing serves as the EPUB's cover image, the PDF's first page and the
download page's thumbnail, so a new language gets its cover from its
translated title with no hand-made image.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

from .locale_text import language_name
from .templating import make_environment, render_template
from .typography import typeset


def cover_svg(edition) -> str:
    config, lang = edition.book.config, edition.lang
    env = make_environment(edition.book.root)
    title, subtitle = typeset(config.title, lang), typeset(config.subtitle, lang)
    return render_template(
        env, "cover.svg.j2", lang=lang, language=language_name(lang), title=title,
        title_lines=textwrap.wrap(title, 14), subtitle_lines=textwrap.wrap(subtitle, 36),
        authors=typeset(", ".join(config.authors), lang),
        alt=typeset(edition.book.strings["cover_of"].format(title=config.title), lang))


def write_cover(edition, out: Path) -> Path:
    out.write_text(cover_svg(edition), "utf-8")
    return out
