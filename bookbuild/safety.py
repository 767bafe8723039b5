"""Checks that treat chapter text as untrusted: no scripts, no outside files.

Runs on the parsed AST, so it sees exactly what the writers would see.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .ast import stringify, visit
from .diagnostics import Diagnostic, error
from .sourcelines import find_line
from .xrefs import Part

_SCRIPT = re.compile(r"<\s*script|<\s*iframe|<\s*object|<\s*embed|\bon[a-z]+\s*=|javascript:", re.I)
_REMOTE_CSS = re.compile(r"""@import|url\(\s*["']?\s*(?:https?:|ftp:|file:|//)""", re.I)


def check_part(part: Part, root: Path) -> list[Diagnostic]:
    problems: list[Diagnostic] = []

    def on_element(el):
        kind = el["t"]
        if kind in ("RawBlock", "RawInline"):
            fmt, text = el["c"]
            match = _SCRIPT.search(text)
            if match:
                problems.append(error("S003", part.path, find_line(part.source, match.group(0)),
                                      f"raw HTML that could run code: {match.group(0)!r}",
                                      "chapters may not carry scripts, event handlers or javascript: links"))
                return  # one diagnostic for one hostile element
            remote = _REMOTE_CSS.search(text)
            if remote:
                problems.append(error("S002", part.path, find_line(part.source, remote.group(0)),
                                      f"raw HTML would fetch a stylesheet or file: {remote.group(0)!r}",
                                      "the book's CSS lives in templates/css/"))
            for attr, url in re.findall(r"""\b(src|href)\s*=\s*["']?([^"'\s>]+)""", text, re.I):
                problems.extend(_check_url(url, part, root, "image" if attr.lower() == "src" else "link"))
        elif kind in ("Link", "Image"):
            url = el["c"][2][0]
            if kind == "Image" and not stringify(el["c"][1]).strip():
                line = find_line(part.source, f"![]({url}") if f"![]({url}" in part.source else find_line(part.source, url)
                problems.append(error("C004", part.path, line,
                                      f"image without alt text: {url}",
                                      "describe it for readers who cannot see it: ![A map of Canada](images/map.svg)"))
            problems.extend(_check_url(url, part, root, "image" if kind == "Image" else "link"))
        attr = _attributes(el)
        for key, value in attr:
            if key.lower().startswith("on") or "javascript:" in value.lower():
                problems.append(error("S003", part.path, find_line(part.source, key),
                                      f"attribute that could run code: {key}={value[:40]!r}",
                                      "chapters may not carry event handlers or javascript: URLs"))

    visit(part.blocks, on_element)
    return problems


def _attributes(el: dict) -> list:
    """The key-value attributes of an element that has them ({#id .class key=value})."""
    content = el.get("c")
    if el["t"] in ("Link", "Image", "Span", "Div", "Code", "CodeBlock", "Table", "Figure"):
        return content[0][2]
    if el["t"] == "Header":
        return content[1][2]
    return []


def _check_url(url: str, part: Part, root: Path, kind: str) -> list[Diagnostic]:
    scheme = urlsplit(url).scheme.lower()

    def line() -> int:  # looked up for a diagnostic only: it reads the chapter line by line
        return find_line(part.source, url) if url else 1

    if scheme == "javascript":
        return [error("S003", part.path, line(), f"javascript: URL refused: {url[:60]}")]
    if scheme == "file" or (kind == "image" and (url.startswith("/") or ".." in url.split("/"))):
        return [error("S002", part.path, line(), f"{kind} refers to a file outside the project: {url}",
                      "keep images inside the project and refer to them by a relative path")]
    if kind == "image" and scheme in ("http", "https", "ftp"):
        return [error("S002", part.path, line(), f"image would be fetched from the network: {url}",
                      "download the image into the project and refer to it by a relative path")]
    if kind == "image" and not scheme:
        return _check_image_file(unquote(urlsplit(url).path), part, root, line)
    return []


def _check_image_file(rel: str, part: Part, root: Path, line: Callable[[], int]) -> list[Diagnostic]:
    path = (root / rel).resolve()
    if root.resolve() not in path.parents:
        return [error("S002", part.path, line(), f"image refers to a file outside the project: {rel}",
                      "a symbolic link may not lead out of the project")]
    if not path.is_file():
        return [error("C003", part.path, line(), f"image file not found: {rel}",
                      "image paths are relative to the book's folder, e.g. images/map.svg")]
    unreadable = _not_an_image(path)
    if unreadable:
        message, hint = unreadable
        return [error("C005", part.path, line(), f"{rel}: {message}", hint)]
    return []


IMAGE_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}  # besides SVG: the raster images every EPUB reader shows
_REEXPORT = "export it again as PNG, JPEG or SVG"


def _not_an_image(path: Path) -> tuple[str, str] | None:
    """Why the file is not an image the editions can show, or None if it is one."""
    with open(path, "rb") as handle:
        head = handle.read(200)
    if not head:
        return "the image file is empty", _REEXPORT
    if head.startswith(b"version https://git-lfs.github.com/spec/"):
        return "this is a Git LFS pointer, not the image", "fetch the images: git lfs pull"
    if path.suffix.lower() == ".svg":
        return None if _is_svg(path) else ("not an SVG image (its first element is not <svg>)", _REEXPORT)
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return "the file cannot be read as an image (damaged, or not an image)", _REEXPORT
    if kind not in IMAGE_FORMATS:
        return f"{kind} images are not shown by every e-book reader", _REEXPORT
    return None


def _is_svg(path: Path) -> bool:
    from xml.etree.ElementTree import ParseError, iterparse

    try:
        for _, element in iterparse(path, events=("start",)):
            return element.tag in ("svg", "{http://www.w3.org/2000/svg}svg")
    except ParseError:
        return False
    return False
