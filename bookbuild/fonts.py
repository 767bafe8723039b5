"""The book's typeface, Source Serif Pro, from its PyPI package (no font files in the repository)."""
from __future__ import annotations

from pathlib import Path

FACES = (  # (file, weight, style)
    ("SourceSerifPro-Regular.ttf", 400, "normal"),
    ("SourceSerifPro-It.ttf", 400, "italic"),
    ("SourceSerifPro-Semibold.ttf", 600, "normal"),
    ("SourceSerifPro-Bold.ttf", 700, "normal"),
    ("SourceSerifPro-SemiboldIt.ttf", 600, "italic"),
)


def font_dir() -> Path:
    import font_source_serif_pro

    return Path(font_source_serif_pro.font_directory)


def font_face_css(url_prefix: str) -> str:
    """``@font-face`` rules pointing at ``url_prefix + file``."""
    return "".join(
        f'@font-face {{ font-family: "Source Serif Pro"; src: url("{url_prefix}{name}"); '
        f"font-weight: {weight}; font-style: {style}; }}\n"
        for name, weight, style in FACES)


def font_files() -> list[Path]:
    return [font_dir() / name for name, _, _ in FACES]
