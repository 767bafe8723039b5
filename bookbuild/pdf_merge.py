"""Merge the tagged PDFs WeasyPrint wrote for consecutive pieces of one book.

The result is what one WeasyPrint pass over the whole book gives: the pages in
order, one /Document structure element holding every piece's elements, a
/ParentTree numbered as WeasyPrint numbers it (pages, then link annotations),
one sorted /Dests name tree (the first piece wins a clash) and one outline.
Catalog entries and document information are the first piece's.  A link into
another piece, written ``href="bookbuild-dest:NAME"`` since WeasyPrint drops
links to anchors it has not laid out, becomes the ``/Dest (NAME)`` link
WeasyPrint writes for an internal one.
"""
from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence
from urllib.parse import unquote

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from .pdf_chunks import INTERNAL

LOGGER = logging.getLogger(__name__)


def merge_parts(parts: list[bytes], identifier: bytes, internal_scheme: str = INTERNAL,
                blank_after: Sequence[bool] = (), prepare: Callable[[int, pikepdf.Pdf], None] | None = None) -> bytes:
    """One PDF of ``parts``, each from ``write_pdf(..., pdf_tags=True)``, in order.

    Its /ID is ``identifier`` and a hash of its content, as WeasyPrint writes it.
    ``blank_after[i]`` puts a blank page after part ``i``, as WeasyPrint leaves
    one before a chapter that starts on a recto.  ``prepare(i, part)`` may change part ``i``
    before it is joined.
    """
    sources = [pikepdf.open(io.BytesIO(data)) for data in parts]
    for index, source in enumerate(sources) if prepare else ():
        prepare(index, source)
    if any("/StructTreeRoot" not in source.Root for source in sources):
        raise ValueError("every part must be a tagged PDF (pdf_tags=True)")
    merged = sources[0]
    catalogs, starts = [merged.Root], [0]
    for part, source in enumerate(sources):
        if part:
            for page in source.pages:
                merged.pages.append(page)
            # Copied after the pages, the catalog's references to them lead to the copies.
            catalogs.append(merged.copy_foreign(source.Root))
        if part < len(blank_after) and blank_after[part]:
            merged.pages.append(_blank_page(merged, merged.pages[-1].obj))
        starts.append(len(merged.pages))
    names = _merge_dests(merged, catalogs)
    _merge_outlines(merged, catalogs)
    _merge_structure(merged, catalogs, starts, names, internal_scheme)
    merged.trailer.ID = Array([String(identifier)] * 2)  # qpdf keeps the first, hashes the second
    output = io.BytesIO()
    merged.save(output, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return output.getvalue()


def _blank_page(merged: pikepdf.Pdf, like: Dictionary) -> pikepdf.Page:
    """A page the size of ``like`` with nothing on it, so nothing in the structure tree."""
    page = Dictionary(Type=Name.Page, Contents=merged.make_stream(b""), Tabs=Name.S)
    for key in ("/MediaBox", "/TrimBox", "/BleedBox", "/Resources"):
        page[key] = like[key]
    return pikepdf.Page(page)


def _pdf_string(text: str) -> String:
    """``text`` encoded as WeasyPrint (pydyf) encodes strings: ASCII, else UTF-16BE."""
    try:
        return String(text.encode("ascii"))
    except UnicodeEncodeError:
        return String(b"\xfe\xff" + text.encode("utf-16-be"))


def _merge_dests(merged: pikepdf.Pdf, catalogs: list) -> set[str]:
    """Give ``merged`` one flat /Dests name tree, sorted as WeasyPrint sorts it; return its names."""
    dests = {}
    for catalog in catalogs:
        if "/Dests" in catalog.get("/Names", {}):
            for name, dest in pikepdf.NameTree(catalog.Names.Dests).items():
                dests.setdefault(name, dest)
    if dests:
        merged.Root.Names = merged.Root.get("/Names", Dictionary())
        merged.Root.Names.Dests = Dictionary(Names=Array(
            [item for name in sorted(dests) for item in (_pdf_string(name), dests[name])]))
    return set(dests)


def _merge_outlines(merged: pikepdf.Pdf, catalogs: list) -> None:
    """Give ``merged`` one outline: every part's top-level items, with their children, in order."""
    items, count = [], 0
    for catalog in catalogs:
        item = catalog.get("/Outlines", {}).get("/First")
        if item is not None:
            count += int(catalog.Outlines.Count)
        while item is not None:
            items.append(item)
            item = item.get("/Next")
    if not items:
        return
    merged.Root.Outlines = root = merged.make_indirect(Dictionary(Count=count, First=items[0], Last=items[-1]))
    for item in items:
        item.Parent = root
    for previous, item in zip(items, items[1:]):  # each part's first item had no /Prev, last no /Next
        previous.Next, item.Prev = item, previous


def _merge_structure(merged: pikepdf.Pdf, catalogs: list, starts: list[int], names: set, scheme: str) -> None:
    """Graft every part's structure tree onto the first's, renumbering the /ParentTree."""
    root = merged.Root.StructTreeRoot
    document = root.K[0]
    nums, next_key = [], starts[-1]  # annotations are numbered after all the pages
    for part, catalog in enumerate(catalogs):
        tree = catalog.StructTreeRoot
        part_document = tree.K[0]
        parents = dict(pikepdf.NumberTree(tree.ParentTree).items())
        if part:
            for kid in part_document.K:
                kid.P = document
                document.K.append(kid)
            for key in ("/RoleMap", "/ClassMap"):
                if key in tree:
                    root[key] = Dictionary({**tree[key], **root.get(key, {})})
        # Table header /IDs are made of object numbers, unique only within their part.
        _prefix_ids(part_document, f"p{part}-")
        seen = {document.objgen}
        for value in parents.values():  # elements outside the tree (margin boxes) get its /P too
            for element in value if isinstance(value, Array) else [value]:
                while element.objgen not in seen:
                    seen.add(element.objgen)
                    if element.P.objgen == part_document.objgen:
                        element.P = document
                        break
                    element = element.P
        annotations = []
        for number in range(starts[part], starts[part + 1]):
            page = merged.pages[number].obj
            nums += [number, parents[int(page.StructParents)] if "/StructParents" in page else Array()]
            page.StructParents = number
            kept = [annot for annot in page.get("/Annots", ()) if _relink(annot, scheme, names, parents)]
            if "/Annots" in page and len(kept) != len(page.Annots):
                page.Annots = Array(kept)
            annotations += [annot for annot in kept if "/StructParent" in annot]
        for annot in sorted(annotations, key=lambda annot: int(annot.StructParent)):
            nums += [next_key, parents[int(annot.StructParent)]]
            annot.StructParent = next_key
            next_key += 1
    root.ParentTree = merged.make_indirect(Dictionary(Nums=Array(nums)))
    root.ParentTreeNextKey = next_key


_NO_TABLE_INSIDE = {Name(n) for n in ("/P", "/H1", "/H2", "/H3", "/H4", "/H5", "/H6", "/Span", "/Link",
                                        "/Lbl", "/Caption")}  # paragraphs, headings, inlines


def _prefix_ids(top: Dictionary, prefix: str) -> None:
    """Prefix each /ID under ``top`` and the /Headers naming them (table cells' only)."""
    stack = list(top.K)
    while stack:
        element = stack.pop()
        keys = () if isinstance(element, int) else element.keys()
        if "/S" not in keys or element.S in _NO_TABLE_INSIDE:
            continue  # a marked-content id or an object reference; or nothing with an /ID below
        if "/ID" in keys:
            element.ID = String(prefix + str(element.ID))
        if "/A" in keys and "/Headers" in element.A:
            element.A.Headers = Array([String(prefix + str(header)) for header in element.A.Headers])
        kids = element.K
        stack.extend(kids if isinstance(kids, Array) else [kids])


def _relink(annot: Dictionary, scheme: str, names: set[str], parents: dict) -> bool:
    """Make a ``scheme`` link internal; False when its anchor is missing and the link must go."""
    action = annot.get("/A", {})
    if action.get("/S") != Name.URI or not str(action.URI).startswith(scheme):
        return True
    name = unquote(str(action.URI)[len(scheme):])
    if name not in names:  # as WeasyPrint does: no annotation, no reference to it in the Link element
        LOGGER.warning("No anchor #%s for internal URI reference", name)
        element = parents[int(annot.StructParent)]
        element.K = Array([kid for kid in element.K if not (isinstance(kid, Dictionary)
                           and kid.get("/Type") == Name.OBJR and kid.Obj.objgen == annot.objgen)])
        return False
    del annot["/A"]
    annot.Dest = annot.Contents = _pdf_string(name)
    return True
