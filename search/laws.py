"""Read laws, regulations, 规章, 办法 and 条例: 编/分编/章/节 headings over 第X条 articles.

The article (条) is what a law is cited by, so it is the clause: its paragraphs (款) and items
(（一） 项, 1. 目) stay inside it with the lead-in that gives them meaning ("教师享有下列权利："),
and a long article splits into parts that keep its address (第二章第七条). Headings give the path
and the address; a table of contents (目录) lists the same headings before the text and is read as
such, never as headings or clauses, so the real headings after it keep their articles.

A document is read as a law on evidence, the way RAGFlow's readers pick a numbering family by how
many lines match: enough articles at line starts, outnumbering a plan's 一、 items.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .clauses import CN, HEAD_CHARS, cn_to_int, to_clauses, windows
from .records import Clause, Document

NUM = CN + "千"  # 民法典 runs to 第一千二百六十条
MIN_ARTICLES = 3  # fewer articles at line starts do not make a law
HEADING_MAX = 60  # a 章/节 heading line longer than this is a sentence that begins 第X章…
# heading ranks: a 编 holds 分编, which hold 章, which hold 节
RANKS = {"编": 0, "分编": 1, "章": 2, "节": 3}
_HEAD_RE = re.compile(rf"^第(?P<n>[{NUM}]+)(?P<kind>分编|编|章|节)(?:\s+(?P<title>\S.*))?$")
# an article: 第七条, 第十七条之一; the gap after it tells an article from a sentence citing one
_ARTICLE_RE = re.compile(rf"^第(?P<n>[{NUM}]+)条(?:之(?P<sub>[{CN}]+))?(?P<gap>\s*)")
_PLAN_ITEM_RE = re.compile(rf"^(?P<n>[{CN}]+)[、．.]")
# an amendment's item names the article it changes and how: 第一百六十二条后增加一条, 将第八条修改为
_CHANGE_RE = re.compile(rf"第[{NUM}]+条.{{0,60}}?(?:修改为|改为|增加|删去|删除|补充)|(?:修改为|删去)")
CHANGE_SPAN = 80  # the change is named at the item's start
_CONTENTS_RE = re.compile(r"^目\s*录$")
_ARTICLE_HEAD_END = re.compile(r"[。；;：:！？?]")


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    text: str


def law_chunker(text: str) -> Callable[[Document], list[Clause]] | None:
    """The reader for a law (articles) or an amendment (numbered changes), None for any other text."""
    if reads_as_law(text):
        return chunk_law
    if reads_as_amendment(text):
        return chunk_amendment
    return None


def reads_as_law(text: str) -> bool:
    """Whether most top-level markers of the text are articles (第X条 at line starts)."""
    articles = plan_items = 0
    for line in text.split("\n"):
        line = line.strip()
        if _ARTICLE_RE.match(line):
            articles += 1
        elif _PLAN_ITEM_RE.match(line):
            plan_items += 1
    return articles >= MIN_ARTICLES and articles > plan_items


def reads_as_amendment(text: str) -> bool:
    """Whether the text is an amendment or amending decision: at least two 一、 items at line starts,
    most of them naming an article and a change (一、第一百六十二条后增加一条…, 二、将第八条修改为…)."""
    items = [line for line, _ in _amendment_items(_lines(text))]
    changes = sum(1 for line in items if _CHANGE_RE.search(line.text[:CHANGE_SPAN]))
    return len(items) >= 2 and changes * 2 > len(items)


def chunk_amendment(doc: Document) -> list[Clause]:
    """One clause per numbered change (一、二、…), with everything it quotes: the article it inserts, its
    paragraphs and items; the lines before the first change are the preamble."""
    text = doc.text
    lines = _lines(text)
    items = _amendment_items(lines)
    if not items:
        return to_clauses(doc.source, text, windows(text, 0, len(text), "段"))
    pieces = []
    for k, (line, label) in enumerate(items):
        end = items[k + 1][0].start if k + 1 < len(items) else len(text)
        pieces.append((label, (_article_heading(line.text),), line.start, end))
    return to_clauses(doc.source, text, _preamble(text, lines, None, doc.title, items[0][0].start) + pieces)


def _amendment_items(lines: list[_Line]) -> list[tuple[_Line, str]]:
    """The 一、二、三、… lines counting up from 一, each with its numeral."""
    items: list[tuple[_Line, str]] = []
    for line in lines:
        match = _PLAN_ITEM_RE.match(line.text)
        if match and cn_to_int(match.group("n")) == len(items) + 1:
            items.append((line, match.group("n")))
    return items


def chunk_law(doc: Document) -> list[Clause]:
    """The clauses of a law: one per article; text under a heading before its first article (a 序言, a
    chapter's opening words) is a clause of that heading; what precedes all headings, the preamble."""
    text = doc.text
    lines = _lines(text)
    contents = contents_range(lines)
    stack: list[tuple[int, str, str]] = []  # open headings: (rank, label, heading)
    pieces: list[tuple[str, tuple[str, ...], int, int]] = []
    unit: tuple[str, tuple[str, ...], int] | None = None  # address, path, start of the open piece
    last_article: tuple[int, int] = (0, 0)
    for i, line in enumerate(lines):
        if contents and contents[0] <= i < contents[1]:
            _close(unit, line.start, pieces)
            unit = None
        elif head := _heading_line(line.text):
            _close(unit, line.start, pieces)
            rank, label = head
            stack = [h for h in stack if h[0] < rank] + [(rank, label, _cut(line.text, HEADING_MAX))]
            unit = (_address(stack), _path(stack), line.end)
        elif number := _article_number(line.text, last_article):
            _close(unit, line.start, pieces)
            last_article = number
            path = (*_path(stack), _article_heading(line.text))
            unit = (_address(stack) + _article_label(line.text), path, line.start)
    _close(unit, len(text), pieces)
    return to_clauses(doc.source, text, _preamble(text, lines, contents, doc.title) + pieces)


def _close(unit: tuple[str, tuple[str, ...], int] | None, at: int, pieces: list) -> None:
    """End the open piece, if any, at ``at``."""
    if unit is not None:
        pieces.append((unit[0], unit[1], unit[2], at))


def _lines(text: str) -> list[_Line]:
    return [_Line(m.start(), m.end(), m.group().strip()) for m in re.finditer(r"[^\n]+", text)]


def contents_range(lines: list[_Line]) -> tuple[int, int] | None:
    """Line indexes [from, to) of the table of contents (its 目录 line included), None without one.

    A 目录 line opens it (or, without one, a heading that is repeated before the first article); it
    ends where its first entry is printed again (the text's own first heading), or at the first
    article, or at a line too long to be an entry.
    """
    first_article = next((i for i, x in enumerate(lines) if _article_number(x.text, (0, 0))), len(lines))
    opener = next((i for i in range(first_article) if _CONTENTS_RE.match(lines[i].text)), None)
    start = opener + 1 if opener is not None else None
    if start is None:
        start = next((i for i in range(first_article) if _heading_line(lines[i].text)), None)
        if start is None:
            return None
        repeats = [i for i in range(start + 1, first_article) if lines[i].text == lines[start].text]
        return (start, repeats[0]) if repeats else None
    for i in range(start, first_article):
        entry = lines[i].text
        if (i > start and _opens_text(lines, i, start)) or len(entry) > HEADING_MAX or entry[-1] in "。；;":
            return opener, i
    return opener, first_article


def _opens_text(lines: list[_Line], i: int, first_entry: int) -> bool:
    """Whether line ``i`` is the text's first heading: the first entry printed again, followed by the
    second entry again or by something no entry is (an article, a sentence). A later entry that
    happens to read like the first (第一章 一般规定 in two 编) is followed by another entry."""
    if lines[i].text != lines[first_entry].text:
        return False
    if i + 1 >= len(lines):
        return True
    after = lines[i + 1].text
    return (
        after == lines[first_entry + 1].text
        or _article_number(after, (0, 0)) is not None
        or len(after) > HEADING_MAX
        or after[-1] in "。；;"
    )


def _heading_line(line: str) -> tuple[int, str] | None:
    """(rank, label) of a 编/分编/章/节 heading line, None for any other line."""
    match = _HEAD_RE.match(line)
    if not match or len(line) > HEADING_MAX or line[-1] in "。；;，,：:":
        return None
    return RANKS[match.group("kind")], f"第{match.group('n')}{match.group('kind')}"


def _article_number(line: str, last: tuple[int, int]) -> tuple[int, int] | None:
    """(number, sub-number) of an article opening this line, None for a paragraph or a citation.

    Articles count up: one set apart by a space may skip numbers (a law quoted in part), one run into
    its text (第八条国家…) must follow the last one, and none counts down (第四条第二款： opening a
    paragraph of a later article cites it).
    """
    match = _ARTICLE_RE.match(line)
    if not match:
        return None
    number = (cn_to_int(match.group("n")), cn_to_int(match.group("sub")) if match.group("sub") else 0)
    if number <= last:
        return None
    if match.group("gap") or match.end() == len(line):
        return number
    follows = number == (last[0] + 1, 0) or (number[0] == last[0] and number[1] == last[1] + 1)
    return number if follows and line[match.end()] not in "第款项、，," else None


def _article_label(line: str) -> str:
    match = _ARTICLE_RE.match(line)
    sub = f"之{match.group('sub')}" if match.group("sub") else ""
    return f"第{match.group('n')}条{sub}"


def _article_heading(line: str) -> str:
    """第七条 教师享有下列权利: the article's number and its words to the first stop."""
    cut = _ARTICLE_HEAD_END.search(line)
    return _cut(line[: cut.start()] if cut else line, HEAD_CHARS)


def _cut(line: str, limit: int) -> str:
    return line if len(line) <= limit else line[:limit] + "…"


def _address(stack: list[tuple[int, str, str]]) -> str:
    return "".join(label for _, label, _ in stack)


def _path(stack: list[tuple[int, str, str]]) -> tuple[str, ...]:
    return tuple(heading for _, _, heading in stack)


def _preamble(
    text: str, lines: list[_Line], contents: tuple[int, int] | None, title: str, stop: int | None = None
) -> list[tuple[str, tuple[str, ...], int, int]]:
    """The lines before the table of contents, the first heading and the first article (or ``stop``),
    the title left out: the history line (…通过 …修正), a preamble."""
    if stop is not None:
        end = next((i for i, x in enumerate(lines) if x.start >= stop), len(lines))
    else:
        end = next(
            (i for i, x in enumerate(lines) if _heading_line(x.text) or _ARTICLE_RE.match(x.text)), len(lines)
        )
    if contents:
        end = min(end, contents[0])
    first = 1 if lines and lines[0].text == title else 0
    if first >= end:
        return []
    return windows(text, lines[first].start, lines[end - 1].end, "前言")
