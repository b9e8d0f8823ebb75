"""Clauses: every numbered item of a plan becomes one clause with the right heading path and address."""

from __future__ import annotations

import json
import re
import time
from collections import Counter

import pytest
from shared_data import NCP_CORPUS, require

from search.clauses import MAX_CHARS, chunk_document, cn_to_int, find_markers
from search.pipeline import ParsedDoc, parse_corpus, parse_raw
from search.records import Clause, LoadProblem, RawDoc

CN = "一二三四五六七八"


def _range(prefix: str, first: int, last: int) -> list[str]:
    return [f"{prefix}{n}" for n in range(first, last + 1)]


def _pcn(prefix: str, count: int) -> list[str]:
    return [f"{prefix}（{CN[n]}）" for n in range(count)]


def _shi(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{CN[n]}是" for n in range(count)]


# Read off the documents themselves (see corpus/); 前言 is the text before the first numbered item.
EXPECTED_ADDRESSES = {
    "000": [
        "一",
        *_pcn("二", 7),
        *_range("三（一）", 1, 5),
        *_range("三（二）", 6, 15),
        *_range("三（三）", 16, 19),
        *_range("三（四）", 20, 23),
        *_range("三（五）", 24, 27),
        *_range("三（六）", 28, 33),
    ],
    "001": [
        "前言",
        *_range("一", 1, 4),
        *_range("二", 5, 11),
        *_range("三", 12, 16),
        *_range("四", 17, 19),
        *_range("五", 20, 23),
        *_range("六", 24, 25),
        *_range("七", 26, 30),
    ],
    "003": [
        "前言",
        *_range("一", 1, 3),
        *_range("二", 4, 7),
        *_range("三", 8, 11),
        *_range("四", 12, 18),
        *_range("五", 19, 21),
        *_range("五", 22, 27),
        *_range("七", 28, 33),
    ],
    "004": [
        "一",
        *_pcn("二", 8),
        *_range("三（一）", 1, 5),
        *_range("三（二）", 1, 5),
        *_range("三（三）", 1, 4),
        *_range("三（四）", 1, 4),
        *_range("三（五）", 1, 6),
    ],
    # 002: headings run inline; sections 二（一）…（六） have an introduction, then 一是/二是… items.
    "002": [
        "前言",
        "一（一）",
        "一（二）",
        "二",
        "二（一）",
        *_shi("二（一）", 5),
        "二（二）",
        *_shi("二（二）", 5),
        "二（三）",
        *_shi("二（三）", 7),
        "二（四）",
        *_shi("二（四）", 6),
        "二（五）",
        *_shi("二（五）", 5),
        "二（六）",
        *_shi("二（六）", 6),
        *_pcn("三", 3),
        *_pcn("四", 5),
    ],
}


def _addresses(clauses: list[Clause]) -> list[str]:
    """One entry per item: the parts of a split item share one address and are listed once."""
    out: list[str] = []
    for clause in clauses:
        if clause.part <= 1:
            out.append(clause.address)
    return out


def _by_address(parsed: ParsedDoc, address: str) -> list[Clause]:
    return [c for c in parsed.clauses if c.address == address]


# --- seeds -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", sorted(EXPECTED_ADDRESSES))
def test_seed_addresses_in_reading_order(seeds, seed):
    assert _addresses(seeds[seed].clauses) == EXPECTED_ADDRESSES[seed]


@pytest.mark.parametrize("seed", sorted(EXPECTED_ADDRESSES))
def test_parts_of_an_item_are_consecutive_and_numbered(seeds, seed):
    clauses = seeds[seed].clauses
    for i, clause in enumerate(clauses):
        assert clause.seq == i
        if clause.part > 1:
            assert (clauses[i - 1].address, clauses[i - 1].part) == (clause.address, clause.part - 1)
        if clause.part >= 1:
            assert clause.part > 1 or i + 1 < len(clauses) and clauses[i + 1].part == 2


def test_seed_000_items_1_to_33_each_once(seeds):
    numbers = [
        re.match(r"(\d+)、", c.text).group(1) for c in seeds["000"].clauses if re.match(r"\d+、", c.text)
    ]
    assert Counter(numbers) == Counter(str(n) for n in range(1, 34))


def test_seed_000_item_6_path_and_text(seeds):
    (clause,) = _by_address(seeds["000"], "三（二）6")
    assert clause.path == (
        "三、主要工作任务",
        "(二)提升教育质量,推进各级各类教育健康发展",
        "6、积极发展普惠性学前教育",
    )
    assert clause.text.startswith("6、积极发展普惠性学前教育。完成第二期学前教育三年行动计划")
    assert clause.text.endswith("组织开展省、市级示范园和学前教育示范县(市、区)创建工作。")


def test_seed_000_guiding_idea_keeps_its_heading_and_body(seeds):
    (clause,) = _by_address(seeds["000"], "一")
    assert clause.path == ("一、指导思想",)
    assert clause.text.startswith("一、指导思想\n深入学习贯彻党的十八大")
    assert clause.text.endswith("以优异的成绩迎接党的十九大胜利召开。")


def test_seed_000_ratio_colon_does_not_cut_a_heading(seeds):
    (clause,) = _by_address(seeds["000"], "二（五）")
    assert clause.path[-1].startswith("(五)完成教育信息化试点工作任务,“师机比”达到1:1,“生机比”达到9:1")


def test_headings_alone_are_not_clauses(seeds):
    addresses = {c.address for c in seeds["000"].clauses}
    assert not addresses & {"二", "三", "三（一）", "三（六）"}
    for parsed in seeds.values():
        for clause in parsed.clauses:
            assert clause.text.strip() != clause.path[-1].strip()


def test_seed_001_items_sit_under_their_sections(seeds):
    (clause,) = _by_address(seeds["001"], "七30")
    assert clause.path == ("七、实施“系统优化”工程,打造高质量教育发展保障平台", "30.统筹做好各项工作")
    preamble = _by_address(seeds["001"], "前言")
    assert preamble[0].text.startswith("高台县教育局关于印发高台县2023年教育工作要点的通知")
    assert preamble[-1].text.endswith("努力办好更加公平、更高质量、更有温度的人民满意教育。")


def test_seed_003_section_five_used_twice(seeds):
    first = _by_address(seeds["003"], "五19")[0]
    second = _by_address(seeds["003"], "五22")[0]
    assert first.path == ("五、加强队伍建设,提高师资职业素养", "19.不断深化师德师风建设")
    assert second.path == ("五、坚持立德树人,全面提升育人质量", "22.不断充实德育工作内容")
    (item28,) = _by_address(seeds["003"], "七28")
    assert item28.text.startswith("28. 提高教育经费保障水平。")


def test_seed_004_item_without_separator(seeds):
    (clause,) = _by_address(seeds["004"], "三（一）4")
    assert clause.path == (
        "三、重点工作",
        "(一)坚持教育优先科学发展,加快推进教育现代化",
        "4大力推进教育技术建设",
    )
    assert clause.text.startswith("4大力推进教育技术建设。继续加大教育装备建设经费投入")


def test_seed_004_targets_with_placeholders(seeds):
    (clause,) = _by_address(seeds["004"], "二（一）")
    assert clause.text == "(一)学前教育:在园幼儿达到x.xx万人,x~x周岁幼儿入园率达到xx.x%以上。"
    assert clause.path == ("二、事业目标", "(一)学前教育")


def test_seed_002_inline_headings_and_shi_items(seeds):
    parsed = seeds["002"]
    first = _by_address(parsed, "一（一）")[0]
    assert first.path == ("一、总体要求", "(一)指导思想")
    assert first.text.startswith("(一)指导思想。坚持以习近平新时代中国特色社会主义思想为指导")
    (shi,) = _by_address(parsed, "二（一）一是")
    assert shi.path[1:] == ("(一)以深化教育综合改革为抓手,着力打造体制机制创新城", "一是深化教育评价改革")
    assert shi.path[0].startswith("二、主要任务")
    assert shi.text.startswith("一是深化教育评价改革。全面落实市深化新时代教育评价改革实施方案")
    (special,) = _by_address(parsed, "二（二）五是")
    assert special.text.startswith("五是推动特殊教育公平融合发展。")
    (stage,) = _by_address(parsed, "三（二）")
    assert stage.text.startswith("(二)实施阶段。2023年至2024年为实施阶段")


def test_seed_002_no_clause_starts_with_a_page_number(seeds):
    for clause in seeds["002"].clauses:
        assert not re.match(r"\d{1,2}、", clause.text)
    goals = "".join(c.text for c in _by_address(seeds["002"], "一（二）"))
    assert "教师队伍建设显著提升" in goals
    assert any("教师队伍建设显著提升" in c.text for c in _by_address(seeds["002"], "一（二）"))


def test_seed_002_long_item_is_split_into_parts_that_keep_the_address(seeds):
    parts = _by_address(seeds["002"], "一（二）")
    assert [c.part for c in parts] == [1, 2, 3]
    assert all(len(c.text) <= MAX_CHARS for c in parts)
    assert all(c.text[-1] in "。；;！？" for c in parts[:-1])
    assert parts[0].text.startswith("(二)工作目标。总体目标:")
    assert all(c.path == ("一、总体要求", "(二)工作目标") for c in parts)


@pytest.mark.parametrize("seed", ["000", "001", "002", "003", "004"])
def test_clause_text_is_the_span_of_the_cleaned_text(seeds, seed):
    parsed = seeds[seed]
    for clause in parsed.clauses:
        assert clause.text == parsed.document.text[clause.start : clause.end]
        assert clause.text.strip() == clause.text and clause.text
        assert clause.source == parsed.document.source
        assert len(clause.text) <= MAX_CHARS


# --- stable ids ------------------------------------------------------------------------------------


def test_ids_are_stable_across_rebuilds(seed_dir, seeds):
    again = {item.document.source[:3]: item for item in parse_corpus(seed_dir)}
    for key, parsed in seeds.items():
        assert [c.clause_id for c in again[key].clauses] == [c.clause_id for c in parsed.clauses]
    all_ids = [c.clause_id for parsed in seeds.values() for c in parsed.clauses]
    assert len(set(all_ids)) == len(all_ids)


def test_editing_one_item_changes_only_its_id(seeds):
    document = seeds["000"].document
    edited = document.raw.replace("6、积极发展普惠性学前教育。完成", "6、积极发展普惠性学前教育。全面完成")
    assert edited != document.raw
    before = seeds["000"].clauses
    after = parse_raw(RawDoc(document.source, edited, "txt")).clauses
    changed = [b.address for b, a in zip(before, after, strict=True) if b.clause_id != a.clause_id]
    assert changed == ["三（二）6"]


# --- numbering families ----------------------------------------------------------------------------


def _chunk(text: str, source: str = "doc.txt") -> list[Clause]:
    return parse_raw(RawDoc(source, text, "txt")).clauses


def test_chapters_and_articles():
    text = "\n".join(
        [
            "某市中小学管理办法",
            "第一章 总则",
            "第一条 为了规范中小学办学行为，根据有关法律法规，制定本办法。",
            "第二条 本办法适用于本市行政区域内的中小学校。",
            "第二章 职责",
            "第三条 市教育局负责以下工作：",
            "（一）统筹规划全市中小学布局；",
            "（二）监督检查学校办学行为。",
        ]
    )
    clauses = _chunk(text)
    # the article is the clause: its items stay inside it, under the lead-in that gives them meaning
    assert _addresses(clauses) == ["第一章第一条", "第一章第二条", "第二章第三条"]
    assert clauses[2].path == ("第二章 职责", "第三条 市教育局负责以下工作")
    assert clauses[2].text == "\n".join(text.split("\n")[5:])


def test_full_width_dots_parenthesised_numbers_and_circled_numbers():
    text = "\n".join(
        [
            "某县2023年教育工作要点",
            "一、学前教育",
            "（一）扩大资源",
            "1．新建幼儿园。全年新建、改扩建幼儿园10所。",
            "2．提高质量。主要措施有：",
            "（1）开展游戏活动，推广安吉游戏经验。",
            "（2）做好幼小衔接，减缓衔接坡度。",
            "二、义务教育",
            "(一)均衡发展",
            "1.推进集团化办学。主要任务是：",
            "①组建教育集团5个；",
            "②开展城乡结对帮扶。",
        ]
    )
    assert _addresses(_chunk(text)) == [
        "一（一）1",
        "一（一）2（1）",
        "一（一）2（2）",
        "二（一）1①",
        "二（一）1②",
    ]


def test_inline_shi_enumeration():
    text = (
        "某县2023年教育工作要点\n一、加强党建。一是强化理论学习，深入学习党的二十大精神。"
        "二是建强基层组织，规范组织生活。三是从严管党治党。"
    )
    clauses = _chunk(text)
    assert _addresses(clauses) == ["一一是", "一二是", "一三是"]
    assert clauses[1].text == "二是建强基层组织，规范组织生活。"
    assert clauses[1].path == ("一、加强党建", "二是建强基层组织，规范组织生活")


def test_a_lonely_yi_shi_is_prose():
    clauses = _chunk(
        "某县2023年教育工作要点\n一、总体要求\n坚持实事求是，一是一，不搞形式主义，做到心中有数。"
    )
    assert _addresses(clauses) == ["一"]


def test_cross_references_are_not_items():
    text = "\n".join(
        [
            "某县2023年教育工作要点",
            "一、课程改革",
            "1、落实本办法第（二）项规定，在三、四年级开设科学课，推进第二章有关要求落地。",
            "2、完善评价。按照（一）（二）两类分别评价。",
        ]
    )
    assert _addresses(_chunk(text)) == ["一1", "一2"]


def test_years_counts_and_phone_numbers_are_not_items():
    text = "\n".join(
        [
            "某县2023年教育工作要点",
            "一、主要目标",
            "2020年全县学前三年毛入学率达到90%。",
            "35所幼儿园完成改扩建。",
            "3.5亿元用于改善办学条件。",
            "12.4国家宪法日开展宣传活动。",
            "咨询电话：12345，0710-3456789。",
            "1、加强党建。落实全面从严治党主体责任。",
            "2、推进改革。深化教育评价改革。",
        ]
    )
    clauses = _chunk(text)
    assert _addresses(clauses) == ["一", "一1", "一2"]
    assert clauses[0].text.endswith("咨询电话：12345，0710-3456789。")


def test_flattened_page_with_spaces_between_paragraphs():
    """JSONL corpora keep a whole page on one line; paragraphs are separated by spaces."""
    text = (
        "关于做好疫情防控期间复工复产工作的通知 各区县： 现将有关事项通知如下： 一、总体要求 坚持统筹推进。"
        " 二、主要措施 1.加强健康监测。每日测温两次。 2.做好物资保障。联系电话：12320。"
        " （1）储备口罩。 （2）储备消毒液。"
        " 三、保障措施 强化责任落实。 2020年2月10日"
    )
    assert _addresses(_chunk(text)) == ["前言", "一", "二1", "二2", "二2（1）", "二2（2）", "三"]


def test_chinese_numerals():
    assert [cn_to_int(t) for t in ["一", "十", "十二", "二十", "二十三", "一百零三", "12"]] == [
        1,
        10,
        12,
        20,
        23,
        103,
        12,
    ]


def test_markers_are_found_in_text_order():
    text = "一、总体要求\n（一）指导思想。坚持稳中求进。\n（二）工作目标。一是普及。二是提高。"
    assert [(m.family, m.label) for m in find_markers(text)] == [
        ("cn", "一"),
        ("pcn", "（一）"),
        ("pcn", "（二）"),
        ("shi", "一是"),
        ("shi", "二是"),
    ]


# --- long, short and unnumbered text ---------------------------------------------------------------


def test_over_long_item_splits_at_sentence_ends():
    sentences = [f"第{n}句话说明推进教育优质均衡发展的具体措施和工作要求。" for n in range(1, 61)]
    clauses = _chunk("某县2023年教育工作要点\n一、总体要求\n1、" + "".join(sentences))
    assert len(clauses) > 2
    assert {c.address for c in clauses} == {"一1"}
    assert [c.part for c in clauses] == list(range(1, len(clauses) + 1))
    assert all(len(c.text) <= MAX_CHARS and c.text.endswith("。") for c in clauses)
    assert "".join(c.text for c in clauses) == "1、" + "".join(sentences)


def test_text_without_sentence_ends_is_still_bounded():
    clauses = _chunk("某县2023年教育工作要点\n一、学校名单\n" + "第一中学、第二中学、实验小学、" * 200)
    assert len(clauses) > 1 and all(len(c.text) <= MAX_CHARS for c in clauses)


def test_unnumbered_document_falls_back_to_paragraph_windows():
    paragraphs = [
        f"第{n}段：" + "各地要统筹做好疫情防控和教育教学工作，确保师生安全。" * 4 for n in range(1, 9)
    ]
    clauses = _chunk("\n".join(paragraphs))
    assert [c.address for c in clauses] == [f"段{n}" for n in range(1, len(clauses) + 1)]
    assert 2 <= len(clauses) < len(paragraphs)
    assert all(len(c.text) <= MAX_CHARS for c in clauses)
    assert "\n".join(c.text for c in clauses) == "\n".join(paragraphs)


def test_preamble_that_is_only_the_title_is_not_a_clause():
    clauses = _chunk("某县2023年教育工作要点\n一、总体要求\n坚持稳中求进工作总基调，推动教育高质量发展。")
    assert [c.address for c in clauses] == ["一"]


def test_ten_thousand_numbered_items_chunk_quickly():
    lines = ["某县2023年教育工作要点"] + [
        f"{n}、推进第{n}项工作。加强管理，落实责任。" for n in range(1, 10_001)
    ]
    raw = RawDoc("many.txt", "\n".join(lines), "txt")
    started = time.perf_counter()
    clauses = parse_raw(raw).clauses
    assert time.perf_counter() - started < 5
    assert [c.address for c in clauses] == [str(n) for n in range(1, 10_001)]


def test_chunk_document_of_an_empty_text_is_empty(seeds):
    from dataclasses import replace

    assert chunk_document(replace(seeds["000"].document, text="")) == []


# --- the NCP benchmark corpus ----------------------------------------------------------------------


@pytest.mark.slow
def test_ncp_corpus_parses_into_bounded_non_empty_clauses():
    require(NCP_CORPUS, "the NCP benchmark corpus")
    expected_ids = [json.loads(line)["docid"] for line in NCP_CORPUS.open(encoding="utf-8")]
    items = list(parse_corpus(NCP_CORPUS))
    assert [i for i in items if isinstance(i, LoadProblem)] == []
    assert [i.document.source for i in items] == expected_ids
    for parsed in items:
        assert parsed.clauses, parsed.document.source
        for clause in parsed.clauses:
            assert clause.text.strip() and len(clause.text) <= 650, (clause.source, clause.address)


def _parse_text(text: str) -> list[Clause]:
    return parse_raw(RawDoc(source="t.txt", text=text, fmt="txt")).clauses


def test_a_later_section_with_subheadings_does_not_nest_under_an_earlier_item():
    text = (
        "某县2022年教育工作要点\n一、总体要求\n1、坚持立德树人根本任务，全面提高育人质量。\n"
        "2、坚持教育优先发展，保障教育经费投入。\n3、坚持改革创新，激发办学活力。\n"
        "二、重点任务\n（一）推进义务教育优质均衡\n1、扩充优质学位，新建学校三所。\n"
        '2、落实"双减"政策，规范校外培训。\n（二）加强教师队伍建设\n1、加强师德师风建设，完善考核。\n'
    )
    clauses = _parse_text(text)
    assert [c.address for c in clauses] == ["一1", "一2", "一3", "二（一）1", "二（一）2", "二（二）1"]
    shuang = next(c for c in clauses if "双减" in c.text)
    assert shuang.path == ("二、重点任务", "（一）推进义务教育优质均衡", '2、落实"双减"政策，规范校外培训')


def test_a_top_level_number_closes_arabic_items_listed_before_it():
    text = "前言说明文字。\n1、总体目标明确。\n2、工作原则清楚。\n一、主要任务\n1、推进学前教育普惠发展。\n"
    assert [c.address for c in _parse_text(text)] == ["前言", "1", "2", "一1"]


def test_an_item_repeated_word_for_word_gets_its_own_stable_id():
    item = "1.发现可疑症状应立即隔离。\n2.配合疾病预防控制中心工作人员开展流行病学调查。\n"
    text = "施工现场疫情防控指南\n■施工现场\n" + item + "■宿舍\n" + item
    first, again = _parse_text(text), _parse_text(text)
    repeated = [c for c in first if c.text == "1.发现可疑症状应立即隔离。"]
    assert len(repeated) == 2 and repeated[0].clause_id != repeated[1].clause_id
    ids = [c.clause_id for c in first]
    assert len(ids) == len(set(ids))
    assert ids == [c.clause_id for c in again]
