"""Read a law's metadata from its title line and its history line.

Laws, regulations and 规章 are printed with their title, then a history line in parentheses that says
who adopted each version and when, and often when it takes effect:

    （1993年10月31日第八届全国人民代表大会常务委员会第四次会议通过　根据2009年8月27日第十一届全国人民代表
    大会常务委员会第十次会议《关于修改部分法律的决定》修正）
    （2003年1月1日中华人民共和国国务院令第372号公布　自2003年3月1日起施行）

The document's date is that of its latest version (the last 通过 / 修正 / 修订 / 公布), its issuer the
body that made it, and its effective date the one the line gives, else the law's own closing article
(本法自1994年1月1日起施行). A law of the whole country (中华人民共和国…, or by a national body) is of
level 国家.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HISTORY_SPAN = 6  # the history line follows the title within the first few lines
HISTORY_MAX_LINES = 4  # a history line printed over several lines is closed within this many
LAW_KINDS = ("法", "法典", "条例", "规定", "办法", "细则", "规则", "决定", "决议", "解释", "修正案")
LAW_KINDS += ("纲要", "章程")
_CN_DATE = r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"
_VERBS = "通过|公布|发布|修正|修订|批准|施行|颁布|印发"
# one dated event of a history: a date, who, and what they did (…会议通过, 国务院令第372号公布, …修正)
_EVENT_RE = re.compile(rf"{_CN_DATE}(?P<body>[^（(]*?(?:《[^》]*》[^（(]*?)?)(?P<verb>{_VERBS})")
_EFFECTIVE_RE = re.compile(rf"自\s*{_CN_DATE}\s*起\s*(?:施行|实施|生效)")
_FROM_PROMULGATION_RE = re.compile(r"自(?:公布|发布|印发)之日起\s*(?:施行|实施|生效)")
# the closing article: 本法自1994年1月1日起施行, 本条例自…起施行, 本办法自公布之日起施行
_CLOSING_RE = re.compile(
    rf"本(?:法|法典|条例|规定|办法|细则|规则|决定|决议|解释|修正案)\s*自\s*(?:{_CN_DATE}|(?:公布|发布|印发)之日)\s*起\s*"
    r"(?:施行|实施|生效)"
)
_SESSION_RE = re.compile(
    r"第[一二三四五六七八九十百零〇\d]+届|第[一二三四五六七八九十百零〇\d]+次(?:全体|常务)?会议|"
    r"(?:全体|常务|部务|委务|署务|局务|办公)会议|会议"
)
_ORDER_RE = re.compile(r"令\s*(?:第\s*[\d一二三四五六七八九十百零〇]+\s*号)?")
_NATIONAL_PREFIX_RE = re.compile(
    r"^(?:中华人民共和国|全国人民代表大会|国务院|中共中央|中央|最高人民|国家|中国人民银行)"
)
# a title naming the state or its legislature: 中华人民共和国教师法, 全国人民代表大会常务委员会关于…的决定
_NATIONAL_TITLE_RE = re.compile(r"^(?:中华人民共和国|全国人民代表大会|国务院)")
_MINISTRY_RE = re.compile(r"^[\u4e00-\u9fff]{1,10}(?:部|委员会|总局|总署|审计署)$")  # 教育部, 海关总署
_EDITION_RE = re.compile(r"[（(][^（()）]{1,10}[）)]$")
_LOCAL_RE = re.compile(r"(?:省|市|县|自治区|自治州|区|州|盟|旗)")


@dataclass(frozen=True)
class LawMetadata:
    """What a law's title and history line say; empty strings where they say nothing."""

    title: str
    issuer: str = ""
    date: str = ""  # ISO date of the latest version
    effective_date: str = ""  # ISO
    national: bool = False


def read_law_metadata(lines: list[str], reads_as_law: bool = False) -> LawMetadata | None:
    """The metadata of a law whose title is followed by a history line, or of a text the law reader
    reads (``reads_as_law``) that opens with a law's title; None for any other document."""
    found = _history(lines)
    if found is None:
        if not (reads_as_law and lines and looks_like_law_title(lines[0])):
            return None
        title = lines[0].strip()
        national = bool(_NATIONAL_TITLE_RE.match(title))
        return LawMetadata(title, effective_date=_effective("", "", lines), national=national)
    title_at, history = found
    title = lines[title_at]
    events = [_event(m) for m in _EVENT_RE.finditer(history)]
    dated = [e for e in events if e[2] != "施行"]
    date = max((e[0] for e in dated), default="")
    issuer = _issuer(dated)
    return LawMetadata(
        title=title,
        issuer=issuer,
        date=date,
        effective_date=_effective(history, date, lines),
        national=bool(_NATIONAL_TITLE_RE.match(title)) or _national(issuer),
    )


def looks_like_law_title(line: str) -> bool:
    """A short line ending in a law's kind (…法, …条例, …办法, …决定) and not a sentence."""
    line = line.strip()
    kind = _EDITION_RE.sub("", line)  # 刑法修正案（九）, 宪法（2018年修正）
    return 2 <= len(line) <= 80 and kind.endswith(LAW_KINDS) and not re.search(r"[。；;，,：:]", line)


def _history(lines: list[str]) -> tuple[int, str] | None:
    """(index of the title line, history text) where a law title is followed by a history line: a
    bracketed run of lines opening right under the title and naming at least one dated event."""
    head = lines[:HISTORY_SPAN]
    for i in range(len(head) - 1):
        if not looks_like_law_title(head[i]) or not head[i + 1].startswith(("（", "(")):
            continue
        text = ""
        for line in lines[i + 1 : i + 1 + HISTORY_MAX_LINES]:
            text += line
            if line.endswith(("）", ")")):
                break
        if _EVENT_RE.search(text):
            return i, text
    return None


def _event(match: re.Match[str]) -> tuple[str, str, str]:
    """(ISO date, body, verb) of one dated event."""
    year, month, day = match.group(1, 2, 3)
    return f"{int(year):04d}-{int(month):02d}-{int(day):02d}", match.group("body"), match.group("verb")


def _issuer(events: list[tuple[str, str, str]]) -> str:
    """The body of the latest event that names one (a 修正 by 《国务院关于…的决定》 names 国务院)."""
    for _date, body, _verb in sorted(events, key=lambda e: e[0], reverse=True):
        if name := body_name(body):
            return name
    return ""


def body_name(body: str) -> str:
    """The body an event names: 第十一届全国人民代表大会常务委员会第十次会议 → 全国人民代表大会常务委员会;
    中华人民共和国国务院令第372号 → 国务院; 《国务院关于修改部分行政法规的决定》 → 国务院; "" where no body
    is named (a 主席令 promulgates, it does not make the law)."""
    if "主席令" in body:
        return ""
    before, _, quoted = body.partition("《")
    name = _ORDER_RE.sub("", _SESSION_RE.sub("", before)).strip().strip("，,")  # 国务院令第372号
    name = re.sub(r"^(?:根据|经|由)", "", name)
    if "令" in before and name.startswith("中华人民共和国") and len(name) > len("中华人民共和国"):
        name = name.removeprefix("中华人民共和国")
    if not name and "关于" in quoted:
        name = quoted.partition("关于")[0]
    name = re.sub(r"第[一二三四五六七八九十]+次$", "", name).strip()
    return name if 2 <= len(name) <= 30 else ""


def _effective(history: str, date: str, lines: list[str]) -> str:
    """The effective date the history line gives (自…起施行, 自公布之日起施行), else the closing article's."""
    if match := _EFFECTIVE_RE.search(history):
        return _iso(*match.group(1, 2, 3))
    if _FROM_PROMULGATION_RE.search(history):
        return date
    closing = list(_CLOSING_RE.finditer("\n".join(lines[-40:])))
    if not closing:
        return ""
    last = closing[-1]
    return _iso(*last.group(1, 2, 3)) if last.group(1) else date


def _national(issuer: str) -> bool:
    """A national body: the NPC and its standing committee, the State Council, a ministry or 国家…局."""
    if _NATIONAL_PREFIX_RE.match(issuer):
        return True
    return bool(_MINISTRY_RE.match(issuer)) and not _LOCAL_RE.search(issuer[:-3])


def _iso(year: str, month: str, day: str) -> str:
    return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"
