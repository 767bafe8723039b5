"""Language-specific typography, applied by the pipeline, not typed by authors.

French: « guillemets » with narrow no-break spaces inside, and a narrow
no-break space before ; : ! ? (replacing any ordinary space typed there).
"""
from __future__ import annotations

import re

NNBSP = "\u202f"
INLINES = {"Str", "Emph", "Underline", "Strong", "Strikeout", "Superscript", "Subscript", "SmallCaps",
           "Quoted", "Cite", "Code", "Space", "SoftBreak", "LineBreak", "Math", "RawInline", "Link",
           "Image", "Note", "Span"}
SKIP = {"Code", "CodeBlock", "RawInline", "RawBlock", "Math"}
_BEFORE = re.compile(r"(?<=[^\s\u202f\u00a0(\[«])([;:!?]+)(?=$|[\s)\]»,.'’\"])")


def typeset(text: str, lang: str) -> str:
    """The same rules for a plain string (titles, template words)."""
    if not lang.startswith("fr"):
        return text
    words = []
    for word in re.split(r"(\s+)", text):
        if "://" not in word:
            word = _BEFORE.sub(NNBSP + r"\1", word)
        words.append(word)
    text = "".join(words)
    text = re.sub(r"[ \u00a0]+([;:!?»])", NNBSP + r"\1", text)
    return re.sub(r"«[ \u00a0]*", "«" + NNBSP, text)


def apply_typography(blocks: list, lang: str) -> list:
    if not lang.startswith("fr"):
        return blocks
    return _walk(blocks)


def _walk(node):
    if isinstance(node, dict):
        if node.get("t") in SKIP or _other_language(node):
            return node
        if node.get("t") == "Link":  # the URL is not text; the link text is
            attr, inlines, target = node["c"]
            return {"t": "Link", "c": [attr, _walk(inlines), target]}
        return {key: _walk(value) for key, value in node.items()}
    if isinstance(node, list):
        items = [_walk(item) for item in node]
        if items and all(isinstance(i, dict) and i.get("t") in INLINES for i in items):
            return _french(items)
        return items
    return node


def _other_language(node: dict) -> bool:
    """A Div or Span marked with another language (e.g. untranslated source text)."""
    if node.get("t") not in ("Div", "Span"):
        return False
    lang = dict(node["c"][0][2]).get("lang")
    return lang is not None and not lang.startswith("fr")


def _french(inlines: list) -> list:
    out: list = []
    for item in inlines:
        if item["t"] == "Quoted":
            kind, content = item["c"]
            opening, closing = ("«" + NNBSP, NNBSP + "»") if kind["t"] == "DoubleQuote" else ("“", "”")
            out += [{"t": "Str", "c": opening}, *content, {"t": "Str", "c": closing}]
            continue
        if item["t"] == "Str":
            text = item["c"]
            if "://" not in text:
                text = _BEFORE.sub(NNBSP + r"\1", text)
                text = re.sub(r"«(?=\S)(?!\u202f)", "«" + NNBSP, text)
                text = re.sub(r"(?<=\S)(?<!\u202f)»", NNBSP + "»", text)
            # A space typed before the punctuation or inside guillemets becomes narrow and unbreakable.
            if out and out[-1]["t"] in ("Space", "SoftBreak") and re.match(r"[;:!?»]", text):
                out.pop()
                text = NNBSP + text
            if out and out[-1]["t"] == "Str" and out[-1]["c"].endswith("«") and text and not text.startswith(NNBSP):
                text = NNBSP + text
            item = {"t": "Str", "c": text}
        elif item["t"] in ("Space", "SoftBreak") and out and out[-1]["t"] == "Str" and out[-1]["c"].endswith("«"):
            out[-1] = {"t": "Str", "c": out[-1]["c"] + NNBSP}
            continue
        out.append(item)
    return out
