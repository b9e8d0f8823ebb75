"""Split a cleaned plan into clauses, one per numbered item, each with its heading path and address.

Plans number their items with a handful of families (一、 （一） 1、 （1） ① 一是 第X章 第X条) and
skip levels freely (一、 → 1、 in one plan, 一、 → （一） → 1、 in another), so depth is not fixed per
family: the outline is built as the items come, a family already open closing back to its level
and a new one nesting under the innermost open item that conventionally ranks above it. Markers
at a line start are trusted; markers inside a paragraph (viewer scrapes run headings inline) are
accepted only where they continue their family's sequence, which keeps cross-references such as
"第（二）项" or "三、四年级" from being taken for items.

A clause is the finest item that carries text; a parent's own introduction becomes a clause too.
Long items split at sentence ends into parts sharing one address; text outside any numbering
(preambles, unnumbered notices) falls back to paragraph windows of similar size.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field

from .records import Clause, Document

CHUNKER_VERSION = "3"  # bump whenever the same text would be chunked differently
MAX_CHARS = 600  # longer items are split into parts
PART_CHARS = 400  # target size of a part or of a paragraph window
MIN_WINDOW = 120  # shorter paragraphs are merged into their neighbour's window
HEAD_CHARS = 40  # heading text kept in a path entry
MIN_BODY = 8  # letters and digits a parent's own text needs beyond its heading to be a clause

CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0}
CN = "一二三四五六七八九十百零〇"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_SENTENCE_RE = re.compile(r"(?<=[。！？；;!?])")
_HEAD_END_RE = re.compile(r"[。；;！？?\s]|[：:](?!\d)")  # a colon before a digit is a ratio (师机比 1:1)
_SPACES_RE = re.compile(r"\s*")
_PUNCT_BEFORE = set("。；;：:，,！？!?\n”") | {" ", "\t", "\u3000"}

# family -> (line-start pattern, inline pattern or None); group "n" holds the number
_FAMILIES: dict[str, tuple[str, str | None]] = {
    "chapter": (rf"第(?P<n>[{CN}]+)章", None),
    "article": (rf"第(?P<n>[{CN}]+)条", rf"(?<=[。；;\n])第(?P<n>[{CN}]+)条"),
    "cn": (rf"(?P<n>[{CN}]+)\s*[、．.](?![{CN}\d])", rf"(?<![{CN}第\d])(?P<n>[{CN}]+)、(?![{CN}\d、])"),
    "pcn": (
        rf"[（(](?P<n>[{CN}]+)[）)]",
        rf"(?<![第A-Za-z0-9（(])[（(](?P<n>[{CN}]+)[）)](?![（(、和与及至项款条])",
    ),
    "num": (
        r"(?P<n>\d{1,5})(?:\s*[、．.](?!\d)|(?=[\u4e00-\u9fff]))",
        r"(?<=[ \u3000])(?P<n>\d{1,5})[、．.](?=[\u4e00-\u9fff“《])",
    ),
    "pnum": (r"[（(](?P<n>\d{1,3})[）)]", r"(?<=[ \u3000])[（(](?P<n>\d{1,2})[）)](?=[\u4e00-\u9fff“《])"),
    "circ": (rf"(?P<n>[{CIRCLED}])", None),
    "shi": (
        rf"(?P<n>[{CN}]{{1,3}})是(?=[\u4e00-\u9fff])",
        rf"(?<=[。；;：:，,])(?P<n>[{CN}]{{1,3}})是(?=[\u4e00-\u9fff])",
    ),
}
_LINE_RES = {name: re.compile(pat) for name, (pat, _) in _FAMILIES.items()}
_INLINE_RES = {name: re.compile(pat) for name, (_, pat) in _FAMILIES.items() if pat}
_DIGITS_RE = re.compile(r"\d+")
_NOT_AN_ITEM_AFTER_NUM = set("年月日号%％个万亿元所名人次届期项件台套条岁")


@dataclass
class Marker:
    """An accepted numbering marker: where it starts and which item it opens."""

    start: int
    family: str
    number: int
    label: str  # as used in addresses, e.g. （二）
    end: int = 0  # where the marker's own characters end (the item's words start after it)


@dataclass
class _Node:
    marker: Marker | None
    start: int
    end: int = 0
    heading: str = ""
    children: list[_Node] = field(default_factory=list)


def cn_to_int(text: str) -> int:
    """Chinese numerals up to the thousands (一 → 1, 十二 → 12, 一百零三 → 103, 一千二百六十 → 1260)."""
    if text.isdecimal():
        return int(text)
    total, current = 0, 0
    for char in text:
        if char in "零〇":
            continue
        if char == "千":
            total += (current or 1) * 1000
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = CN_DIGITS.get(char, 0)
    return total + current


def _label(family: str, raw: str, number: int) -> str:
    """The marker as it reads in an address (full-width brackets, no separators)."""
    return {
        "chapter": f"第{raw}章",
        "article": f"第{raw}条",
        "cn": raw,
        "pcn": f"（{raw}）",
        "num": str(number),
        "pnum": f"（{number}）",
        "circ": raw,
        "shi": f"{raw}是",
    }[family]


def find_markers(text: str) -> list[Marker]:
    """Every accepted numbering marker of the text, in order."""
    candidates = _candidates(text)
    accepted: list[Marker] = []
    last: dict[str, int] = {}
    for start, end, family, raw, inline in candidates:
        number = CIRCLED.index(raw) + 1 if family == "circ" else cn_to_int(raw)
        if not _plausible(text, start, family, number, inline, last):
            continue
        accepted.append(Marker(start, family, number, _label(family, raw, number), end))
        last[family] = number
    return _drop_lonely_shi(accepted)


def _candidates(text: str) -> list[tuple[int, int, str, str, bool]]:
    """(start, end, family, number text, inline?) for line-start and inline markers, in text order."""
    found: dict[int, tuple[int, int, str, str, bool]] = {}
    for match in re.finditer(r"(?m)^[ \t]*", text):
        pos = match.end()
        for family, pattern in _LINE_RES.items():
            if m := pattern.match(text, pos):
                found[pos] = (pos, m.end(), family, m.group("n"), False)
                break
    for family, pattern in _INLINE_RES.items():
        for m in pattern.finditer(text):
            found.setdefault(m.start(), (m.start(), m.end(), family, m.group("n"), True))
    return [found[k] for k in sorted(found)]


def _plausible(text: str, start: int, family: str, number: int, inline: bool, last: dict[str, int]) -> bool:
    """Whether a candidate is a real item: line starts are trusted, inline ones must continue a sequence."""
    if number < 1:
        return False
    if family == "num" and not _plausible_num(text, start, number, last.get("num", 0)):
        return False
    if not inline:
        return True
    previous = last.get(family, 0)
    if family == "shi" or family == "pcn":
        return number == 1 or number == previous + 1
    if number == 1:
        return text[start - 1 : start] in _PUNCT_BEFORE
    return number == previous + 1


def _plausible_num(text: str, start: int, number: int, previous: int) -> bool:
    """Arabic numbers are also years, counts and codes ("2020年", "35所", "12366"): a number glued to
    its text, or one past 99, counts only where it continues the sequence, and never before a unit."""
    end = _DIGITS_RE.match(text, start).end()
    after = text[end : end + 1]
    glued = bool(after) and "\u4e00" <= after <= "\u9fff"
    if glued and after in _NOT_AN_ITEM_AFTER_NUM:
        return False
    return not (glued or number > 99) or number == previous + 1


def _drop_lonely_shi(markers: list[Marker]) -> list[Marker]:
    """An 一是 with no 二是 after it is prose ("一是一，二是二"), not an enumeration."""
    out = []
    for i, marker in enumerate(markers):
        if marker.family == "shi" and marker.number == 1:
            following = markers[i + 1] if i + 1 < len(markers) else None
            if not (following and following.family == "shi" and following.number == 2):
                continue
        out.append(marker)
    return out


_NATURAL_RANK = {"chapter": 0, "article": 1, "cn": 2, "pcn": 3, "num": 4, "pnum": 5, "circ": 6, "shi": 7}


def build_tree(text: str, markers: list[Marker]) -> _Node:
    """Nest markers into an outline; each node spans from its marker to the next marker's start.

    A family already open on the stack starts a sibling there (seed 003's second 五 closes the
    first). A family not open yet nests under the innermost open item, unless that item's family
    conventionally ranks at or below it (一、 never nests under 1、), so a plan may number its
    first section 1、2、3 and a later one （一）→1、 without the （一） landing inside item 3.
    """
    root = _Node(marker=None, start=0, end=len(text))
    stack = [root]
    for i, marker in enumerate(markers):
        end = markers[i + 1].start if i + 1 < len(markers) else len(text)
        open_families = [n.marker.family for n in stack[1:]]
        if marker.family in open_families:
            del stack[open_families.index(marker.family) + 1 :]
        else:
            rank = _NATURAL_RANK[marker.family]
            while len(stack) > 1 and _NATURAL_RANK[stack[-1].marker.family] >= rank:
                stack.pop()
        node = _Node(marker, marker.start, end, heading=_heading(text, marker, end))
        stack[-1].children.append(node)
        stack.append(node)
    return root


def _heading(text: str, marker: Marker, end: int) -> str:
    """The item's title: its number, then its words up to a full stop, colon, space or line end.

    The search starts after the number, so "第一章 总则" keeps its title; a space after the title
    ends it, because pages flattened to one line separate heading and body with spaces.
    """
    line_end = text.find("\n", marker.start, end)
    line_end = end if line_end < 0 else line_end
    words = _SPACES_RE.match(text, marker.end, line_end).end()
    cut = _HEAD_END_RE.search(text, words, line_end)
    head = text[marker.start : cut.start() if cut else line_end].strip()
    return head if len(head) <= HEAD_CHARS else head[:HEAD_CHARS] + "…"


def chunk_document(doc: Document) -> list[Clause]:
    """All clauses of a document, in reading order, by the reader of its genre: a law (第X条 articles at
    line starts, 编/章/节 headings), an amendment (一、 items naming the articles they change) or a plan
    (一、 （一） 1、 … items)."""
    from .laws import law_chunker  # the law readers build on this module's parts

    chunker = law_chunker(doc.text)
    return chunker(doc) if chunker else chunk_plan(doc)


def chunk_plan(doc: Document) -> list[Clause]:
    """A plan's clauses: one per finest numbered item, a parent's own text as one more."""
    text = doc.text
    markers = find_markers(text)
    pieces: list[tuple[str, tuple[str, ...], int, int]] = []  # (address, path, start, end)
    if not markers:
        pieces.extend(windows(text, 0, len(text), "段"))
    else:
        root = build_tree(text, markers)
        first = root.children[0].start
        preamble = windows(text, 0, first, "前言")
        pieces.extend(p for p in preamble if text[p[2] : p[3]].strip() != doc.title)
        for child in root.children:
            _collect(text, child, (), "", pieces)
    return to_clauses(doc.source, text, pieces)


def _collect(text: str, node: _Node, path: tuple[str, ...], address: str, out: list) -> None:
    """Depth-first: a leaf is a clause; a parent's own text before its first child is one too."""
    path = (*path, node.heading)
    address = address + node.marker.label
    if not node.children:
        out.append((address, path, node.start, node.end))
        return
    own_end = node.children[0].start
    if _says_more_than_heading(text[node.start : own_end], node.heading):
        out.append((address, path, node.start, own_end))
    for child in node.children:
        _collect(text, child, path, address, out)


def _says_more_than_heading(own: str, heading: str) -> bool:
    """A parent's text before its first child is a clause when it says something beyond its title;
    a bare lead-in ("主要措施有：", "包括3项措施，") does not count."""
    body = own.strip()[len(heading.rstrip("…")) :]
    return sum(1 for ch in body if ch.isalnum()) >= MIN_BODY


def windows(text: str, start: int, end: int, label: str) -> list[tuple[str, tuple[str, ...], int, int]]:
    """Paragraph windows of about PART_CHARS over unnumbered text; addresses 前言 / 段1, 段2, …"""
    spans = [(m.start() + start, m.end() + start) for m in re.finditer(r"[^\n]+", text[start:end])]
    spans = [(a, b) for a, b in spans if text[a:b].strip()]
    windows: list[tuple[int, int]] = []
    for a, b in spans:
        if windows and (b - windows[-1][0] <= PART_CHARS or windows[-1][1] - windows[-1][0] < MIN_WINDOW):
            windows[-1] = (windows[-1][0], b)
        else:
            windows.append((a, b))
    if label == "前言":
        return [("前言", ("前言",), a, b) for a, b in windows]
    return [(f"{label}{i}", (f"{label}{i}",), a, b) for i, (a, b) in enumerate(windows, 1)]


def split_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split [start, end) at sentence ends into parts of about PART_CHARS; short spans stay whole."""
    if end - start <= MAX_CHARS:
        return [(start, end)]
    bounds = [start] + [
        start + m.start() for m in _SENTENCE_RE.finditer(text[start:end]) if 0 < m.start() < end - start
    ]
    parts: list[tuple[int, int]] = []
    part_start = start
    for bound in bounds[1:] + [end]:
        if bound - part_start >= PART_CHARS or bound == end:
            parts.append((part_start, bound))
            part_start = bound
    if len(parts) > 1 and parts[-1][1] - parts[-1][0] < MIN_WINDOW:
        parts[-2:] = [(parts[-2][0], parts[-1][1])]
    hard = [p for a, b in parts for p in _hard_split(a, b)]
    return hard


def _hard_split(start: int, end: int) -> list[tuple[int, int]]:
    """Text without sentence ends (tables, lists) is cut at fixed width so no part is unbounded."""
    if end - start <= MAX_CHARS:
        return [(start, end)]
    return [(a, min(a + PART_CHARS, end)) for a in range(start, end, PART_CHARS)]


def to_clauses(source: str, text: str, pieces: list) -> list[Clause]:
    """Trim, split long pieces and give each clause its stable id and sequence number.

    A notice may repeat an item word for word under two unnumbered headings (same address, same
    text); the repeat's id also counts its occurrence, so ids stay unique and still stable.
    """
    clauses: list[Clause] = []
    seen: Counter[str] = Counter()
    for address, path, start, end in pieces:
        start, end = _trim(text, start, end)
        if start >= end:
            continue
        parts = split_long(text, start, end)
        for number, (a, b) in enumerate(parts, 1 if len(parts) > 1 else 0):
            a, b = _trim(text, a, b)
            body = text[a:b]
            base = clause_id(source, address, number, body)
            seen[base] += 1
            clauses.append(
                Clause(
                    clause_id=base
                    if seen[base] == 1
                    else clause_id(source, address, number, f"{body}#{seen[base]}"),
                    source=source,
                    address=address,
                    path=tuple(path),
                    text=body,
                    start=a,
                    end=b,
                    part=number,
                    seq=len(clauses),
                )
            )
    return clauses


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def clause_id(source: str, address: str, part: int, text: str) -> str:
    """Stable across rebuilds: same source, address, part and text give the same id."""
    digest = hashlib.sha1(f"{source}\x1f{address}\x1f{part}\x1f{text}".encode()).hexdigest()
    return digest[:16]
