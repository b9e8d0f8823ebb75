"""OFD (GB/T 33190), the national format for official e-documents: a zip of XML parts.

OFD.xml names each document's root (Doc_0/Document.xml); that lists the pages in order, each page's
Content.xml holds TextObjects placed on the page, and a page may draw a template (Tpls/…, often the
red header of a 公文) beneath its own content. The text of a page is its text codes ordered by position
(top to bottom, then left to right) and joined into lines; pages are separated by a line holding only
"\\f", so later stages can tell page furniture (running headers, — 3 —) by its place.

PyPI's OFD readers were not used: easyofd pulls PyMuPDF, reportlab, OpenCV-era image stacks and a GUI
toolkit to render pages, for what is here a hundred lines over lxml (already a python-docx dependency),
parsed without entities, DTDs or network access, after the zip checks every package gets.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path

from .limits import MAX_CHARS, MAX_PAGES, Budget, LoadError
from .office import check_zip

PAGE_BREAK = "\f"
_FIX = "export it again as .ofd, or as PDF"


@dataclass(frozen=True)
class _Glyphs:
    """One TextCode: its text at an absolute position (mm), with its font size for line grouping."""

    x: float
    y: float
    size: float
    text: str
    width: float


def read_ofd(path: Path, budget: Budget | None = None) -> str:
    """The text of every page of every document in an OFD package, pages separated by "\\f" lines."""
    budget = budget or Budget()
    with check_zip(path, ".ofd") as package:
        names = set(package.namelist())
        if "OFD.xml" not in names:
            raise LoadError(f"a zip file but not an OFD document (no OFD.xml): {_FIX}")
        contents = [page for root in _doc_roots(package) for page in _page_contents(package, root, names)]
        MAX_PAGES.check("document has", len(contents))
        pages: list[str] = []
        chars = 0
        for content in contents:
            budget.check()
            pages.append(_page_text(package, content, names))
            chars += len(pages[-1])
            MAX_CHARS.check("document has more than", chars)
    return f"\n{PAGE_BREAK}\n".join(pages)


def _xml(package, name: str):
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(package.read(name), parser)
    except KeyError as err:
        raise LoadError(f"OFD part {name} is missing: {_FIX}") from err
    except etree.XMLSyntaxError as err:
        raise LoadError(f"OFD part {name} is not well-formed XML ({err.msg}): {_FIX}") from err


def _local(element) -> str:
    """Tag name without its namespace: producers differ in whether they use the OFD namespace."""
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element, name: str):
    return [e for e in element.iter() if _local(e) == name]


def _resolve(base: str, ref: str) -> str:
    """A part named in another part: absolute from the package root, or relative to the naming part."""
    ref = ref.strip().replace("\\", "/")
    joined = ref.lstrip("/") if ref.startswith("/") else posixpath.join(posixpath.dirname(base), ref)
    return posixpath.normpath(joined)


def _doc_roots(package) -> list[str]:
    roots = [_resolve("OFD.xml", e.text or "") for e in _children(_xml(package, "OFD.xml"), "DocRoot")]
    if not roots:
        raise LoadError(f"OFD.xml names no document (no DocRoot): {_FIX}")
    return roots


def _page_contents(package, doc_root: str, names: set[str]) -> list[tuple[str, list[str]]]:
    """(content part, template parts) of each page, in the document's page order."""
    document = _xml(package, doc_root)
    templates = {
        e.get("ID"): _resolve(doc_root, e.get("BaseLoc", "")) for e in _children(document, "TemplatePage")
    }
    pages = []
    for page in _children(document, "Page"):
        content = _resolve(doc_root, page.get("BaseLoc", ""))
        if content not in names:
            raise LoadError(f"OFD page {content} is missing: {_FIX}")
        pages.append((content, templates))
    return pages


def _page_text(package, content_and_templates, names: set[str]) -> str:
    content, templates = content_and_templates
    page = _xml(package, content)
    glyphs = _glyphs(page)
    for ref in _children(page, "Template"):
        template = templates.get(ref.get("TemplateID"))
        if template in names:
            glyphs += _glyphs(_xml(package, template))
    return "\n".join(_lines(glyphs))


def _numbers(text: str | None) -> list[float]:
    try:
        return [float(x) for x in (text or "").split()]
    except ValueError:
        return []


def _glyphs(root) -> list[_Glyphs]:
    """Every TextCode under a page or template, at its absolute position in mm.

    Positions are relative to the object's Boundary, through its CTM when it has one (a producer may
    draw text in points and scale it), so objects drawn either way still sort into the same lines.
    """
    out = []
    for obj in _children(root, "TextObject"):
        box = _numbers(obj.get("Boundary")) or [0.0, 0.0]
        a, b, c, d, e, f = ctm if len(ctm := _numbers(obj.get("CTM"))) == 6 else (1, 0, 0, 1, 0, 0)
        size = (_numbers(obj.get("Size")) or [3.5])[0] * abs(d or 1)
        for code in _children(obj, "TextCode"):
            text = code.text or ""
            if not text.strip():
                continue
            x0, y0 = (_numbers(code.get("X")) or [0.0])[0], (_numbers(code.get("Y")) or [0.0])[0]
            x, y = box[0] + a * x0 + c * y0 + e, box[1] + b * x0 + d * y0 + f
            deltas = _deltas(code.get("DeltaX"))
            width = (sum(deltas) * abs(a or 1) + size) if deltas else len(text) * size
            out.append(_Glyphs(x, y, size, text, width))
    return out


def _deltas(spec: str | None) -> list[float]:
    """DeltaX with its "g N d" shorthand for N repeats of d (GB/T 33190 §11.3)."""
    tokens, out, i = (spec or "").split(), [], 0
    while i < len(tokens):
        if tokens[i] == "g" and i + 2 < len(tokens):
            out += [float(tokens[i + 2])] * int(float(tokens[i + 1]))
            i += 3
        else:
            out += _numbers(tokens[i])
            i += 1
    return out


def _lines(glyphs: list[_Glyphs]) -> list[str]:
    """Group text codes whose baselines lie within half a font size into lines, read left to right."""
    lines: list[list[_Glyphs]] = []
    for glyph in sorted(glyphs, key=lambda g: (g.y, g.x)):
        if lines and abs(glyph.y - lines[-1][0].y) <= 0.5 * max(glyph.size, lines[-1][0].size):
            lines[-1].append(glyph)
        else:
            lines.append([glyph])
    return [_join(sorted(line, key=lambda g: g.x)) for line in lines]


def _join(line: list[_Glyphs]) -> str:
    """Adjacent codes join directly; a gap wider than a character (table columns, a signature
    block) becomes one space."""
    text = line[0].text
    for before, glyph in zip(line, line[1:], strict=False):
        gap = glyph.x - (before.x + before.width)
        text += (" " if gap > glyph.size else "") + glyph.text
    return text.strip()
