"""Read a plan's metadata (title, issuer, region, level, year, 文号, date) from its cleaned text.

Sources, strongest first: a catalog row (``corpus/catalog.csv``) or JSONL fields ("given"); the page
header block and the cover notice (关于印发《…》的通知); the title; then the body. The plan's own year
(from its title or 文号) beats years mentioned in the body, which often name targets such as 2025.
Each field records where it came from: ``given``, ``read`` (found in the text) or ``inferred``
(derived from other fields, e.g. the level from the region's suffix).
"""

from __future__ import annotations

import csv
import re
from dataclasses import replace
from pathlib import Path

from .clean import Cleaned
from .law_metadata import LawMetadata, read_law_metadata
from .laws import reads_as_law
from .records import Document, RawDoc
from .regions import find_region, level_of

FIELDS = ("title", "issuer", "region", "level", "year", "doc_number", "date", "effective_date")
# bump whenever the same text would be given other metadata (a manifest without one reads as 1)
METADATA_VERSION = "3"
CATALOG_NAME = "catalog.csv"

_ORG_SUFFIXES = "局|厅|委员会|委|部|办公室|办|政府|中心|署|院|会"
_ORG_END_RE = re.compile(f"({_ORG_SUFFIXES})$")
# before 关于 also a 组 (市场监管组), a bank (中国人民银行), a 供销社 or a 集团 (国家铁路集团); a headline may
# end in 出行 or 合作社
_ISSUER_END_RE = re.compile(f"({_ORG_SUFFIXES}|组|行|社|集团)$")
# a verb's companions, and the bar between a column and a headline (回放｜…): no body's name holds them
_HEADLINE_MARKS = set("对将就可在把再、，！？｜")
NOTICE_SPAN = 150  # a cover notice names the plan at the start of its line, not deep inside a paragraph
_TITLE_WORDS = ("要点", "方案", "计划", "意见", "通知", "规划", "办法", "总结", "安排", "工作")
_NOTICE_RE = re.compile(r"关于印发(?:《)?(.{4,60}?)(?:》)?的通知")
# a notice's own title at the start of a flattened page: issuers, then 关于…的(紧急)通知 / 公告 / 若干措施 …,
# or (转发|印发)《…》的通知, or 印发关于…的通知. A title the page broke over two lines is tried second, with
# single breaks between Chinese characters allowed and no comma (a break is not where a headline ends).
_NOTICE_KINDS = r"(?:通知|公告|通告|意见|决定|办法|措施|指引|提示|批复|函|规定|方案|细则|倡议书|倡议)"
_TITLE_ISSUERS = r"\s*(?P<issuers>[^。；;：:，,《》“”\"()（）]{0,80}?)\s*"


def _formal_title_re(char: str) -> re.Pattern[str]:
    """The formal-title pattern whose 关于… part is made of ``char`` (one pattern for both tries)."""
    return re.compile(
        rf"{_TITLE_ISSUERS}(?P<title>关于{char}{{2,80}}?的[\u4e00-\u9fff]{{0,4}}?{_NOTICE_KINDS}"
        rf"|(?:转发|印发)《(?:[^》\s]|\s(?=[\u4e00-\u9fff])){{2,80}}》的通知|印发关于{char}{{2,80}}?的通知)"
    )


_FORMAL_TITLE_RES = (
    _formal_title_re(r"[^。；;：:\s《》]"),
    _formal_title_re(r"(?:[^。；;：:，,\s《》]|(?<=[\u4e00-\u9fff])\s(?=[\u4e00-\u9fff]))"),
)
_BROKEN_LINE_RE = re.compile(r"(?<=[\u4e00-\u9fff《》])\s+(?=[\u4e00-\u9fff《》])")
# a government site's column names, printed between its name and the page's title (山东省人民政府 政策文件 …)
_SITE_COLUMNS = frozenset(
    ("政策文件", "政策解读", "部门解读", "通知公告", "公示公告", "新闻发布", "新闻动态", "工作动态")
    + ("部门动态", "要闻动态", "最新动态", "信息公开", "政务公开", "政府文件", "图片新闻")
)
MAX_TITLE_ISSUERS = 60  # longer runs before 关于 are repeated letterheads, not the title's issuers
MAX_BOOK_TITLE = 80  # a 《 left open longer than this is not a title broken over two lines
_NUMBERED_ITEM_RE = re.compile(
    r"[一二三四五六七八九十]+[、.．]|\d+\s*[、.．)）]|[（(][一二三四五六七八九十\d]+[）)]|第[一二三四五六七八九十\d]+[条章]"
)
_YEAR_IN_TITLE_RE = re.compile(r"((?:19|20)\d{2})\s*年")
_DOC_NUMBER_RE = re.compile(r"[\u4e00-\u9fff]{1,10}[〔\[［【(（]((?:19|20)\d{2})[〕\]］】)）]\s*\d{1,4}\s*号")
# a 文号 in brackets right after a 《title》 is the cited document's: 根据《…》（京政办发〔2020〕7号）精神;
# so is one the sentence goes on from: 按…〔2020〕15号文件精神, 银发〔2020〕29号等, 津卫医政【2020】100号《…》
_CITATION_BEFORE_RE = re.compile(r"》\s*[（(][^（()）《》]{0,20}$")
_CITATION_AFTER_RE = re.compile(r"\s*(?:文件|精神|要求|规定|有关|的|等|公告|《)")
CITATION_REACH = 30  # 》, a bracket and a short 文号 prefix
DOC_NUMBER_SPAN = 3000  # a plan's own 文号 is printed above its text, not deep inside it
_CN_DATE = r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"
_CN_DATE_RE = re.compile(rf"^{_CN_DATE}$")
# a signature date near a flattened page's end, set apart by spaces: …领导小组 2020年2月9日 （此件公开发布）
_CLOSING_DATE_RE = re.compile(rf"(?<!\S){_CN_DATE}(?!\S)")
CLOSING_SPAN = 300  # the signature, then at most the page's trailing links and notes
_ISO_DATE_RE = re.compile(r"((?:19|20)\d{2})[-/.](\d{1,2})[-/.](\d{1,2})")
_ISSUER_RE = re.compile(
    r"^[\u4e00-\u9fff（）()]{2,30}(教育局|教育厅|教育委员会|教委|教体局|教育和体育局|教育体育局|人民政府|办公室)$"
)
_EDUCATION_WORDS = ("教育", "教体")


def build_document(raw: RawDoc, cleaned: Cleaned, catalog_row: dict[str, str] | None = None) -> Document:
    """Combine what the text says with what was given; given values always win."""
    read = read_metadata(cleaned)
    given = {**raw.given, **{k: v for k, v in (catalog_row or {}).items() if k in FIELDS and v}}
    doc = Document(source=raw.source, title="", text=cleaned.text, raw=raw.text)
    values: dict[str, object] = {}
    provenance: dict[str, str] = {}
    for name in FIELDS:
        if name in given:
            values[name] = _coerce(name, given[name])
            provenance[name] = "given"
        elif name in read and read[name][0] not in ("", None):
            values[name], provenance[name] = read[name]
    region = str(values.get("region") or "")
    if region and "level" not in given:
        values["level"], provenance["level"] = level_of(region), "inferred"
    education = _about_education(values, cleaned.text)
    if region and not values.get("issuer") and education:
        values["issuer"], provenance["issuer"] = f"{region}教育局", "inferred"
    if not values.get("title"):
        values["title"], provenance["title"] = _fallback_title(raw.source, values, education), "inferred"
    return replace(doc, provenance=provenance, **values)


def _about_education(values: dict[str, object], text: str) -> bool:
    """Whether a plan with no named issuer may be credited to its region's 教育局.

    That inference is right for education work plans (高台县2023年教育工作要点) and wrong for other
    notices (a 北京市 transport notice is not from 北京市教育局), so it needs the title to name 教育 or 教体.
    A plan with no title counts when its opening clause does: work plans open "2020年全区教育工作的…".
    """
    title = str(values.get("title") or "")
    opening = title or re.split(r"[\s。；;：:，,]", text.lstrip(), maxsplit=1)[0]
    return any(word in opening for word in _EDUCATION_WORDS)


def _coerce(name: str, value: str) -> object:
    """Catalog and JSONL values are strings; the year is an int."""
    if name == "year":
        match = re.search(r"\d{4}", value)
        return int(match.group()) if match else None
    return value.strip()


def _fallback_title(source: str, values: dict[str, object], education: bool) -> str:
    """A readable title when the text has none: an education plan's region and year if known, else the
    file name (a notice on another subject titled 三明市2020年教育工作 would mislead, in citations and in
    the title context every clause is embedded with)."""
    region, year = values.get("region") or "", values.get("year")
    if education and region and year:
        return f"{region}{year}年教育工作"
    return Path(source).stem


def read_metadata(cleaned: Cleaned) -> dict[str, tuple[object, str]]:
    """Every field the text itself supports, each with its provenance."""
    text, header = cleaned.text, cleaned.header
    lines = text.split("\n")
    if law := read_law_metadata(lines, reads_as_law(text)):
        return _law_fields(law, header, text)
    found: dict[str, tuple[object, str]] = {}
    title = find_title(lines)
    if title:
        found["title"] = (title, "read")
    doc_number = header.get("文号") or header.get("发文字号") or _own_doc_number(text)
    if doc_number:
        found["doc_number"] = (doc_number, "read")
    date = _header_date(header) or _signature_date(lines) or _closing_date(text)
    if date:
        found["date"] = (date, "read")
    year = find_year(title, doc_number, date, header, text)
    if year:
        found["year"] = year
    issuer = header.get("发布机构") or header.get("发文机关") or _issuer_line(lines) or title_issuers(title)
    region = find_region(title, issuer, text)
    if region:
        found["region"] = (region, "read")
    if issuer:
        found["issuer"] = (issuer, "read")
    return found


def _law_fields(law: LawMetadata, header: dict[str, str], text: str) -> dict[str, tuple[object, str]]:
    """A law's fields from its title and history line; its place only from its title or issuer (a law's
    text speaks of every level of government, not of its own), and level 国家 for a national law."""
    issuer = header.get("发布机构") or header.get("发文机关") or law.issuer
    doc_number = header.get("文号") or header.get("发文字号") or _own_doc_number(text)
    values: dict[str, object] = {
        "title": law.title,
        "issuer": issuer,
        "date": law.date,
        "year": int(law.date[:4])
        if law.date
        else _year_only(find_year(law.title, doc_number, "", header, "")),
        "effective_date": law.effective_date,
        "doc_number": doc_number,
        "region": find_region(law.title, issuer, ""),
    }
    if law.national and not values["region"]:
        values["level"] = "国家"
    return {name: (value, "read") for name, value in values.items() if value not in ("", None)}


def _year_only(found: tuple[int, str] | None) -> int | None:
    return found[0] if found else None


def find_title(lines: list[str]) -> str:
    """The plan's title: the one named in a cover notice, else an early short line that reads like one."""
    head = lines[:15]
    for line in head:
        if match := _NOTICE_RE.search(line[:NOTICE_SPAN]):
            return match.group(1).strip("《》")
    for line in head:
        if _reads_like_title(line) and any(w in line for w in _TITLE_WORDS):
            return line
    return _leading_title(lines[0] if lines else "")


def _reads_like_title(line: str) -> bool:
    """Short, not a sentence, not a numbered item (a headline may open with a figure: 2月申报…, 30个省…)."""
    return 6 <= len(line) <= 60 and line[-1] not in "。；;，,：:" and not _NUMBERED_ITEM_RE.match(line)


def _leading_title(line: str) -> str:
    """The title a page flattened to one line (as in JSONL corpora) starts with.

    A site's name and column (国家税务总局山东省税务局 通知公告 …) are passed over. A formal title
    (issuers, then 关于…的通知/公告/… or 印发《…》的通知) is read whole, spaces between its issuers and
    all; else the headline before the first space (or the first 《…》 closed), joined with what follows
    while it is too short to be one (生死竞速 上海海关通关“零延时”). A headline may hold a comma (共克时艰，
    广州市产业园区在行动), not a sentence end; a lone body name there ("国家税务总局南阳市税务局 …") is
    an issuer, not a title, unless what follows says something of it (北京仲裁委员会 将于2月3日正式恢复工作).
    """
    segments = _past_site_header(_segments(line))
    rest = " ".join(segments)
    for pattern in _FORMAL_TITLE_RES:
        match = pattern.match(rest)
        if match and all(_ISSUER_END_RE.search(name) for name in match.group("issuers").split()):
            issuers = _named_once(match.group("issuers"))
            title = _BROKEN_LINE_RE.sub("", match.group("title"))
            return (issuers if len(issuers) <= MAX_TITLE_ISSUERS else "") + title
    if len(segments) < 2:
        return ""
    head, taken = segments[0], 1
    if _lone_body_name(head) and segments[1][0] in _HEADLINE_MARKS:
        head, taken = f"{head} {segments[1]}", 2
    while len(head) < 6 and taken < len(segments) - 1 and len(head) + len(segments[taken]) < 60:
        head, taken = f"{head} {segments[taken]}", taken + 1
    if not _reads_like_title(head) or re.search(r"[。；;]", head) or _lone_body_name(head):
        return ""
    return head


def _segments(line: str) -> list[str]:
    """The line split at whitespace, except inside a short 《…》 (a title the page broke over two lines
    is joined again, the break dropped)."""
    segments: list[str] = []
    for part in line.split():
        last = segments[-1] if segments else ""
        if last.count("《") > last.count("》") and len(last) < MAX_BOOK_TITLE:
            segments[-1] += part
        else:
            segments.append(part)
    return segments


def _past_site_header(segments: list[str]) -> list[str]:
    """The segments after a site's column names and the site name before them, if the page opens so."""
    at = 0
    while at < len(segments) and (
        segments[at] in _SITE_COLUMNS
        or (at + 1 < len(segments) and segments[at + 1] in _SITE_COLUMNS and _lone_body_name(segments[at]))
    ):
        at += 1
    return segments[at:]


def _lone_body_name(head: str) -> bool:
    """A body's name (国家税务总局南阳市税务局), not a headline that happens to end like one: a headline
    says something of its subject (国家知识产权局对…再部署, 湖北将再建一所应急后备医院, 195个…可网上办)."""
    return bool(_ORG_END_RE.search(head)) and not (set(head) & _HEADLINE_MARKS or re.search(r"\d", head))


def title_issuers(title: str) -> str:
    """The bodies a formal title names before 关于, 转发 or 印发 (财政部 税务总局关于…的公告 → 财政部
    税务总局), a repeated letterhead named once; "" when what stands there is not a list of bodies (转发…,
    a 文号)."""
    head = title.partition("关于")[0].partition("转发")[0].partition("印发")[0]
    issuers = _named_once(head)
    if not issuers or "关于" not in title or re.search(r"[\d〔〕\[\]《》“”\"()（）。，,、]", head):
        return ""
    return issuers if len(issuers) <= MAX_TITLE_ISSUERS and _ISSUER_END_RE.search(issuers) else ""


def _named_once(names: str) -> str:
    """Space-separated names with repeats dropped: a letterhead printed twice names its bodies once."""
    return " ".join(dict.fromkeys(names.split()))


def find_year(title: str, doc_number: str, date: str, header: dict[str, str], text: str):
    """The plan's own year: title, then 文号, then dated header/signature, then the opening sentence.

    A 文号 the plan cites gives no year: it bounds the plan's only from below (a 2020 notice cites
    财税〔2016〕36号), and a wrong year in a citation misleads more than a missing one.
    """
    if title and (match := _YEAR_IN_TITLE_RE.search(title)):
        return int(match.group(1)), "read"
    if doc_number and (match := re.search(r"(?:19|20)\d{2}", doc_number)):
        return int(match.group()), "read"
    if date:
        return int(date[:4]), "read"
    opening = text[:200]
    if match := re.search(r"((?:19|20)\d{2})年(?:是|全|我|本|教育|工作)", opening):
        return int(match.group(1)), "read"
    if upload := header.get("上传时间"):
        return int(upload[:4]), "inferred"
    return None


def _own_doc_number(text: str) -> str:
    """The first 文号 in the plan's head that is not another document's it cites (whose year misdates it)."""
    head = text[:DOC_NUMBER_SPAN]
    own = (match for match in _DOC_NUMBER_RE.finditer(head) if not _cited(head, match))
    return next((match.group(0).replace(" ", "") for match in own), "")


def _cited(head: str, match: re.Match[str]) -> bool:
    return bool(
        _CITATION_BEFORE_RE.search(head, max(0, match.start() - CITATION_REACH), match.start())
        or _CITATION_AFTER_RE.match(head, match.end())
    )


def _header_date(header: dict[str, str]) -> str:
    """ISO date from a header block field."""
    for key in ("成文日期", "发布日期", "生成日期"):
        if key in header and (match := _ISO_DATE_RE.search(header[key])):
            return _iso(*match.groups())
    return ""


def _signature_date(lines: list[str]) -> str:
    """The date line under a cover notice's signature (e.g. 2023年3月24日), if one stands alone."""
    for line in lines[:30]:
        if match := _CN_DATE_RE.match(line):
            return _iso(*match.groups())
    return ""


def _closing_date(text: str) -> str:
    """The signature's date at the end of a page flattened to one line, the last one standing apart."""
    dates = _CLOSING_DATE_RE.findall(text, max(0, len(text) - CLOSING_SPAN))  # sees what precedes
    return _iso(*dates[-1]) if dates else ""


def _iso(year: str, month: str, day: str) -> str:
    return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"


def _issuer_line(lines: list[str]) -> str:
    """An issuing body standing alone on a line (the cover notice's signature), or leading the title."""
    for line in lines[:30]:
        if _ISSUER_RE.match(line):
            return line
    for line in lines[:3]:
        if match := re.match(r"^([\u4e00-\u9fff]{2,20}?(?:教育局|教育厅|教育委员会|教体局))关于", line):
            return match.group(1)
    return ""


def read_catalog(corpus_root: Path) -> dict[str, dict[str, str]]:
    """Rows of ``catalog.csv`` keyed by source; empty cells mean "not given"."""
    path = Path(corpus_root) / CATALOG_NAME
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.DictReader(handle)
        return {
            row["source"].strip(): {k: (v or "").strip() for k, v in row.items()}
            for row in rows
            if row.get("source")
        }
