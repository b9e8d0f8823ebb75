"""Find a plan's place among its words: 襄阳市, 未央区, 通道侗族自治县, never 全市, 市委 or 致全体市.

Titles and flattened pages run words into names (目前甘肃省, 中共大理州), and a plan that names no place
in its title says 全区 or 我市 when speaking of itself; jieba's dictionary tells a place from a verb.
"""

from __future__ import annotations

import re
from collections import Counter

_SUFFIX = r"(?P<suffix>自治区|自治州|自治县|省|市|州|盟|县|旗|区)"
_LEADING_REGION_RE = re.compile(rf"^(?:关于)?(?P<stem>[\u4e00-\u9fff]{{2,7}}?){_SUFFIX}")
_BOUNDED_REGION_RE = re.compile(
    rf"(?:(?<=[《“\"（(、，,。；;：:\n\s])|(?<=\d年)|^)(?P<stem>[\u4e00-\u9fff]{{2,5}}?){_SUFFIX}"
    r"(?=教育|人民政府|委|政府|关于|各|主要|基础|加快|第|[“《\s，,、])"
)
_STEM_VERBS = (
    "加快",
    "打造",
    "推进",
    "建设",
    "实施",
    "增设",
    "创建",
    "评选",
    "开展",
    "提升",
    "完善",
    "落实",
    "加强",
    "发展",
    "教育",
    "全面",
    "推动",
    "深化",
    "新建",
    "办好",
    "组织",
    "印发",
    "争取",
    "设立",
    "做好",
    "制定",
    "坚持",
    "服务",
    "建议",
    "要求",
)
_NOT_PLACE_CLASSES = {"v", "vn", "vd", "a", "ad", "an", "d", "p", "c", "r", "m", "q", "u", "f"}
# jieba classes of words that make a clause, not a name: verbs, prepositions, pronouns, adverbs, time words.
_CLAUSE_CLASSES = {"v", "vn", "vd", "p", "d", "ad", "r", "c", "u", "t"}
# …and of words that may stand before a place without being part of it (中共大理州, 度天津市).
_LEADING_CLASSES = _CLAUSE_CLASSES | {"j", "zg"}
_FUNCTION_CHARS = set("由的和与及为在对把将被等向从以于是")
_LINK_CHARS = _FUNCTION_CHARS | set("致到至")
_NOT_INITIAL_CHARS = set("在对致把被到至")  # no place name begins with these
_STEM_BAD_LAST = set("地社校园辖片景学山牧城街小特全我本各超委")
# The suffix character opens the next word, so no place ends there (重庆省际包车, 上海公共区域).
_SUFFIX_OPENS_WORD = {"省际", "区域", "省级", "市级", "县级", "区级"}
_SCOPE_RE = re.compile(r"(?:全|我|本)(省|市|县|区)")
_REGION_STOP = {
    "全",
    "我",
    "本",
    "各",
    "城",
    "市",
    "县",
    "社",
    "校",
    "园",
    "辖",
    "片",
    "景",
    "学",
    "山",
    "牧",
    "新",
    "老",
    "东",
    "西",
    "南",
    "北",
    "中",
    "地",
    "示范",
    "试验",
    "先行",
    "开发",
    "保护",
    "高新",
    "教育强",
    "各县",
    "省市",
    "县市",
    "市县",
    "城乡",
    "农村",
    "民族",
    "少数民族",
    "边远",
    "贫困",
    "欠发达",
    "发达",
    "周边",
    "其他",
    "所在",
    "所属",
    "街",
    "小",
    "特",
    "一",
    "二",
    "三",
    "本省",
    "外",
    "跨",
    "国家级",
    "省级",
    "市级",
    "县级",
    "区级",
    "盲",
    "误",
    "禁",
}
_LEVEL_OF_SUFFIX = {
    "省": "省",
    "自治区": "省",
    "市": "市",
    "州": "市",
    "自治州": "市",
    "盟": "市",
    "县": "县",
    "自治县": "县",
    "旗": "县",
    "区": "区",
}


def find_region(title: str, issuer: str, text: str) -> str:
    """The plan's place: from the title or issuer, else the commonest place of the plan's own scope.

    A plan says 全区/全县/我市 when speaking of itself, first of all in its opening; the place names of
    that level which occur most are its region (seed 003 has no title but says 全区 and 未央区).
    """
    for source in (title, issuer):
        names = _region_names(source, leading=True)
        if names:
            return names[0]
    scope = _SCOPE_RE.search(text)
    if not scope:
        return ""
    same_level = [n for n in _region_names(text) if level_of(n) == scope.group(1)]
    return Counter(same_level).most_common(1)[0][0] if same_level else ""


def _region_names(text: str, leading: bool = False) -> list[str]:
    """Place names with an administrative suffix standing at a word boundary, placeholders excluded.

    ``leading`` (titles, issuers) accepts only a name at the start, after an optional 关于.
    """
    pattern = _LEADING_REGION_RE if leading else _BOUNDED_REGION_RE
    out = []
    for match in pattern.finditer(text):
        after = text[match.end() : match.end() + 1]
        if name := _place_name(match.group("stem"), match.group("suffix"), after):
            out.append(name)
    return out


def _place_name(stem: str, suffix: str, after: str) -> str:
    """The place a stem and suffix name, once leading words that are not part of it are peeled off
    (在重庆市 → 重庆市); "" when they name none (市委市, 致全体市, 贵州强化市).

    ``after`` is the character that follows: in 省际 and 区域 the suffix belongs to the next word.
    """
    if suffix + after in _SUFFIX_OPENS_WORD:
        return ""
    name = _peel(stem + suffix)
    return name if _plausible_place(name, name[: -len(suffix)]) else ""


def _plausible_place(name: str, stem: str) -> bool:
    """Not a placeholder (xx县), a generic scope (全市, 各县), an institution (学区, 市委), a clause, nor a
    bare suffix left when the words before it were peeled off (批准自治州 → 自治州)."""
    if not stem or stem in _REGION_STOP or stem[-1] in _STEM_BAD_LAST or any(v in stem for v in _STEM_VERBS):
        return False
    return not (
        "x" in stem.lower()
        or any(c in _FUNCTION_CHARS for c in stem[1:])
        or (len(stem) > 1 and _word_class(stem) in _NOT_PLACE_CLASSES)
        or _reads_as_clause(name)
    )


def _peel(name: str) -> str:
    """The longest dictionary place name ("ns") ending ``name`` once what stands before it may be dropped.

    Titles and flattened pages run words into a name: 目前甘肃省, 中共大理州, 致驻滨海新区, 调整北京市.
    Only words that cannot begin a place are dropped (jieba's time words, verbs, prepositions, adverbs,
    abbreviations such as 中共), so a name the dictionary lacks (东西湖区) keeps its head. A city named
    X州 (温州) is too short to be sure of, and is taken only from behind its province (浙江温州).
    """
    if _word_class(name) == "ns":
        return name
    for i in range(1, len(name) - 1):
        head, rest = name[:i], name[i:]
        if _word_class(rest) != "ns":
            continue
        if len(rest) >= 3 and all(tag in _LEADING_CLASSES for _, tag in _segment(head)):
            return rest
        if len(rest) == 2 and rest.endswith("州") and len(head) >= 2 and _word_class(head) == "ns":
            return rest
    return name


def _reads_as_clause(name: str) -> bool:
    """Whether jieba's dictionary splits ``name`` into clause words (李希到广州, 通过覆盖省, 在生活区).

    A lone character counts only when it is a function word, and first in the name only when it cannot
    begin a place (在, 对, 致; 从化区 and 和平区 do begin with function words); other lone characters are
    often pieces of a name the dictionary lacks (经开区 splits as 经/开/区). A name that is one dictionary
    word is no clause whatever its tag (临澧县 is tagged a verb), nor is an ethnic name (通道侗族自治县).
    """
    words = _segment(name)
    if len(words) == 1 or "族" in name:
        return False
    return any(
        tag in _CLAUSE_CLASSES and (len(word) > 1 or word in (_LINK_CHARS if i else _NOT_INITIAL_CHARS))
        for i, (word, tag) in enumerate(words)
    )


def _segment(text: str) -> list[tuple[str, str]]:
    """``text`` split into the fewest words of jieba's dictionary (a lone character where none fits),
    each with its part-of-speech tag; ties go to the longer first word, as jieba's own cut mostly does.

    Reading the dictionary's tag table directly keeps metadata from loading jieba's tokenizer (and
    writing its cache) for strings of a few characters.
    """
    best: list[list[str]] = [[] for _ in range(len(text) + 1)]
    for start in range(len(text) - 1, -1, -1):
        options = (
            [text[start:end], *best[end]]
            for end in range(len(text), start, -1)
            if end - start == 1 or _word_class(text[start:end])
        )
        best[start] = min(options, key=len)
    return [(word, _word_class(word)) for word in best[0]]


def _word_class(word: str) -> str:
    """jieba's part-of-speech tag for a dictionary word ("" if unknown): verbs are not place names."""
    from jieba import posseg

    return posseg.dt.word_tag_tab.get(word, "")


def level_of(region: str) -> str:
    """Administrative level from a place name's suffix."""
    for suffix in sorted(_LEVEL_OF_SUFFIX, key=len, reverse=True):
        if region.endswith(suffix):
            return _LEVEL_OF_SUFFIX[suffix]
    return ""
