"""Turn loaded text into the plan's own text: drop site chrome, lift header blocks, repair viewer pages.

Saved web pages carry breadcrumbs, print widgets, footers and record numbers; document-viewer sites
cut a document into numbered page fragments that split words in half. None of that is the plan,
and left in place it pollutes clauses, metadata and search. The header block a government site
prints (索引号 / 文号 / 发布机构 / 生成日期) is metadata, so it is lifted out into ``header``.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field

HEADER_LABELS = (
    "索引号",
    "文号",
    "发文字号",
    "关键词",
    "主题词",
    "主题分类",
    "信息分类",
    "发布机构",
    "发文机关",
    "公开形式",
    "公开方式",
    "责任部门",
    "生成日期",
    "发布日期",
    "成文日期",
    "是否有效",
    "有效性",
    "公开时限",
)
_LABEL_RE = re.compile(rf"^({'|'.join(HEADER_LABELS)})\s*(?:[:：]\s*(.*))?$")
_UPLOAD_RE = re.compile(r"(上传时间|时间)\s*[:：]\s*(\d{4}-\d{1,2}-\d{1,2})")

CHROME_PATTERNS = [
    r"^(您的位置|当前位置|您现在的位置)\s*[:：]",
    r"^首页\s*(>|>>|＞|»)",
    r"字体\s*[:：]?\s*【",
    r"^【?\s*(打印|关闭|关闭窗口|打印本页|收藏)\s*】?$",
    r"^-?\s*(上一篇|下一篇)\s*[:：]",
    r"扫一扫在手机",
    r"ICP备\s*\d{5,}|公网安备\s*[:：]?\s*\d{8,}|^备案号|^经营许可证|网站标识码|网站识别码",
    r"^第\s*\d+\s*页\s*/\s*共\s*\d+\s*页$",
    r"_第\d+页$",
    r"^(点击查看更多|展开阅读全文|相关资源|猜你喜欢|相关搜索|资源描述|相关推荐|返回顶部)\s*[>»＞]*$",
    r"^返回\s+下载",
    r"^上传人\s*[:：]",
    r"由会员分享",
    r"^来源\s*[:：].*免责声明|^免责声明",
    r"由互联网用户整理提供",
    r"^链接地址\s*[:：]",
    r"^网站\s*[:：].*\|",
    r"^荟聚奇文",
    r"^(分享到|责任编辑|编辑)\s*[:：]",
]
_CHROME_RE = re.compile("|".join(f"(?:{p})" for p in CHROME_PATTERNS))
CHROME_LINE_MAX = 200  # chrome lines are short; a longer line is text, perhaps with chrome at its end
# chrome inside a long line: a page flattened to one line ends "责任编辑：X 扫一扫在手机打开当前页 相关稿件…"
_INLINE_CHROME_RE = re.compile(
    r"(?:\s*责任编辑\s*[:：]\s*\S{1,12})?\s*扫一扫在手机打开当前页.*$"
    r"|字体\s*[:：]?\s*【[^】]{0,20}】|【\s*(?:打印|关闭|关闭窗口|打印本页|收藏)\s*】"
)
_ODD_SPACES = str.maketrans(
    {ch: " " for ch in "\u3000\xa0\u2002\u2003\u2009"} | {"\u200b": None, "\ufeff": None}
)
_PAGE_FRAGMENT_RE = re.compile(r"^(\d{1,3})、")
_FILE_EXT_RE = re.compile(r"\.(docx?|pdf|wps|txt)$", re.IGNORECASE)
_SENTENCE_END = '。！？；;!?”"'
PAGE_BREAK = "\f"  # paginated readers (PDF) put this alone on a line between pages
# a line that is only a page number: — 3 —, - 3 -, 第3页, 3/12
_PAGE_NUMBER_RE = re.compile(r"^(?:[—–\-－]+\s*\d{1,4}\s*[—–\-－]+|第\s*\d{1,4}\s*页|\d{1,4}\s*/\s*\d{1,4})$")
RUNNING_MIN = 2  # a running head stands beside at least this many page breaks
_DIGITS_RE = re.compile(r"\d+")
_EDGE_DIGITS_RE = re.compile(r"^\d+|\d+$")
_COUNTER_RE = re.compile(r"第\s*\d+\s*页|\d+\s*/\s*\d+|page\s*\d+", re.IGNORECASE)
TITLE_REPEATS = 3  # an essay site's title printed this often is the site's, not the document's


@dataclass(frozen=True)
class Cleaned:
    """The plan's text with chrome removed, and header fields lifted from the page."""

    text: str
    header: dict[str, str] = field(default_factory=dict)
    repaired_pages: int = 0  # number of viewer page fragments joined


def clean_text(raw: str) -> Cleaned:
    """Run every cleaning step in order; pure function of the loaded text."""
    raw = raw.replace("\r\n", "\n").replace("\r", "\n").replace(PAGE_BREAK, f"\n{PAGE_BREAK}\n")
    lines = [line if line == PAGE_BREAK else _normalise_line(line) for line in raw.split("\n")]
    lines = drop_page_furniture(lines)
    header = _upload_fields(lines)
    lines, header_fields = lift_header_block(lines)
    header.update(header_fields)
    lines = [strip_inline_chrome(line) for line in lines if not is_chrome(line)]
    lines = _drop_repeated_title(lines)
    lines, pages = repair_page_fragments(lines)
    lines = _split_glued_title(lines)
    return Cleaned(text=_join_paragraphs(lines), header=header, repaired_pages=pages)


def _normalise_line(line: str) -> str:
    """Unify the spaces sites use for indentation (ideographic, no-break, en/em, zero-width) and decode
    HTML entities that scrapers left behind (&ldquo; &ensp;), so neither reaches clauses or search."""
    if "&" in line:
        line = html.unescape(line)
    return line.translate(_ODD_SPACES).strip()


def is_chrome(line: str) -> bool:
    """True for navigation, widget and footer lines that are not part of any plan.

    Only short lines qualify: a page flattened to one line (JSONL corpora) also contains a chrome
    phrase, and dropping it would drop the whole document.
    """
    return bool(line) and len(line) <= CHROME_LINE_MAX and bool(_CHROME_RE.search(line))


def strip_inline_chrome(line: str) -> str:
    """Cut widgets and a trailing share/related-links footer out of a long line; short lines pass."""
    if len(line) <= CHROME_LINE_MAX:
        return line
    return _INLINE_CHROME_RE.sub("", line).strip()


def _upload_fields(lines: list[str]) -> dict[str, str]:
    """Upload/post dates printed by viewer and essay sites (a last resort for the plan's year)."""
    for line in lines[:40]:
        if is_chrome(line) and (match := _UPLOAD_RE.search(line)):
            return {"上传时间": match.group(2)}
    return {}


def lift_header_block(lines: list[str]) -> tuple[list[str], dict[str, str]]:
    """Remove a government-site header block (label line, then value line) and return its fields."""
    kept: list[str] = []
    fields: dict[str, str] = {}
    i = 0
    while i < len(lines):
        match = _LABEL_RE.match(lines[i])
        if not match or i > 80:
            kept.append(lines[i])
            i += 1
            continue
        label, inline = match.group(1), match.group(2)
        if inline is not None:
            value, i = inline.strip(), i + 1
        elif i + 1 < len(lines) and lines[i + 1] and not _LABEL_RE.match(lines[i + 1]):
            value, i = lines[i + 1], i + 2
        else:
            value, i = "", i + 1
        if value:
            fields.setdefault(label, value)
    return kept, fields


def drop_page_furniture(lines: list[str]) -> list[str]:
    """Remove what a printed page adds to a document, proven by position, and the page breaks.

    A line that is only a page number (— 3 —, - 3 -, 第3页, 3/12) goes. A paginated reader marks each
    page break with a line holding only ``PAGE_BREAK``; a line standing next to a break (the last
    line of a page, the first of the next) whose text stands next to at least RUNNING_MIN breaks is a
    running header or footer. The same text elsewhere (a heading, a table cell, a 目录 entry) stays:
    only position proves furniture, never repetition alone.
    """
    lines = [line for line in lines if not _PAGE_NUMBER_RE.match(line)]
    beside = _beside_breaks(lines)
    counts = Counter(_running_key(lines[i]) for i in beside)
    running = {i for i in beside if counts[_running_key(lines[i])] >= RUNNING_MIN}
    return [line for i, line in enumerate(lines) if i not in running and line != PAGE_BREAK]


def _beside_breaks(lines: list[str]) -> set[int]:
    """Indexes of the last content line before each page break and the first one after it."""
    found: set[int] = set()
    for i, line in enumerate(lines):
        if line != PAGE_BREAK:
            continue
        for step in (-1, 1):
            j = i + step
            while 0 <= j < len(lines) and not lines[j]:
                j += step
            if 0 <= j < len(lines) and lines[j] != PAGE_BREAK:
                found.add(j)
    return found


def _running_key(line: str) -> str:
    """A running head's text with its page number masked (教育局文件 3 and 教育局文件 4 are one head).

    Only a number at the line's start or end, or in a page counter (第 3 页 共 12 页), is masked: a
    line of text carries numbers inside it, and two wrapped items that differ only in their numbers
    (7、…幼儿园7所 and 17、…幼儿园17所, each at a page's top) are text, not one running head."""
    if _COUNTER_RE.search(line):
        return _DIGITS_RE.sub("#", line)
    return _EDGE_DIGITS_RE.sub("#", line)


def _drop_repeated_title(lines: list[str]) -> list[str]:
    """Essay sites print the page title again and again between paragraphs: where the document's first
    line stands alone TITLE_REPEATS times or more, its later copies go. A title printed twice (a cover
    and the first page) is the document's own text and stays."""
    content = [line for line in lines if line]
    if not content:
        return lines
    title = content[0]
    if not (4 <= len(title) <= 40 and title[-1] not in "。；;") or content.count(title) < TITLE_REPEATS:
        return lines
    first = lines.index(title)
    return lines[: first + 1] + [line for line in lines[first + 1 :] if line != title]


def repair_page_fragments(lines: list[str]) -> tuple[list[str], int]:
    """Join document-viewer pages ("1、…", "2、…", numbered 1..N, cutting words) into running text.

    They are told apart from real numbered items by three signs together: the numbers run 1..N with
    only blank lines between them, the fragments are long, and most of them stop mid-sentence.
    """
    run = _fragment_run(lines)
    if run is None:
        return lines, 0
    first, last = run
    body = "".join(_PAGE_FRAGMENT_RE.sub("", lines[i], count=1) for i in range(first, last + 1) if lines[i])
    return lines[:first] + [body] + lines[last + 1 :], sum(1 for i in range(first, last + 1) if lines[i])


def _fragment_run(lines: list[str]) -> tuple[int, int] | None:
    """Index range of the longest 1..N fragment run that looks like viewer pages, if any."""
    starts = [i for i, line in enumerate(lines) if (m := _PAGE_FRAGMENT_RE.match(line)) and m.group(1) == "1"]
    for start in starts:
        expected, idx, end, frags = 1, start, start, []
        while idx < len(lines):
            line = lines[idx]
            if not line:
                idx += 1
                continue
            match = _PAGE_FRAGMENT_RE.match(line)
            if not match or int(match.group(1)) != expected:
                break
            frags.append(line)
            end, expected, idx = idx, expected + 1, idx + 1
        if _looks_like_pages(frags):
            return start, end
    return None


def _looks_like_pages(frags: list[str]) -> bool:
    """Viewer pages: at least three, long, and most cut off mid-sentence."""
    if len(frags) < 3:
        return False
    long_enough = sorted(len(f) for f in frags)[len(frags) // 2] >= 150
    cut = sum(1 for f in frags[:-1] if f[-1] not in _SENTENCE_END)
    return long_enough and cut >= 0.5 * (len(frags) - 1)


def _split_glued_title(lines: list[str]) -> list[str]:
    """A viewer page title "X.docx" whose text then starts with "X…": keep X as its own line."""
    content = [i for i, line in enumerate(lines) if line]
    if len(content) < 2:
        return lines
    first, second = content[0], content[1]
    title = _FILE_EXT_RE.sub("", lines[first])
    if title == lines[first] or len(title) < 4:
        return lines
    rest = lines[second]
    glued = rest.startswith(title) and len(rest) > len(title)
    tail = [rest[len(title) :]] if glued else [rest]
    return lines[:first] + [title] + tail + lines[second + 1 :]


def _join_paragraphs(lines: list[str]) -> str:
    """One paragraph per line, no blank-line runs, no leading or trailing blank lines."""
    return "\n".join(line for line in lines if line)
