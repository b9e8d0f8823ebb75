"""A law's title, issuer, dates and level from its title and history line, typed as laws print them."""

from __future__ import annotations

import pytest

from search.law_metadata import body_name, looks_like_law_title
from search.pipeline import parse_raw
from search.records import Document, RawDoc


def _document(*lines: str) -> Document:
    return parse_raw(RawDoc("law.txt", "\n".join(lines), "txt")).document


CASES = [
    (  # amended by the NPC standing committee; effective date from the closing article
        [
            "中华人民共和国教师法",
            "（1993年10月31日第八届全国人民代表大会常务委员会第四次会议通过　"
            "根据2009年8月27日第十一届全国人民代表大会常务委员会第十次会议《关于修改部分法律的决定》修正）",
            "第一条　为了保障教师的合法权益，制定本法。",
            "第二条　本法适用于教师。",
            "第四十三条　本法自1994年1月1日起施行。",
        ],
        ("中华人民共和国教师法", "全国人民代表大会常务委员会", "2009-08-27", 2009, "1994-01-01", "国家"),
    ),
    (  # adopted by the NPC itself, amended three times (the latest counts), over two printed lines
        [
            "中华人民共和国教育法",
            "（1995年3月18日第八届全国人民代表大会第三次会议通过　"
            "根据2009年8月27日第十一届全国人民代表大会常务委员会第十次会议"
            "《关于修改部分法律的决定》第一次修正　根据2015年12月27日第十二届全国人民代表大会常务委员会",
            "第十八次会议《关于修改〈中华人民共和国教育法〉的决定》第二次修正　"
            "根据2021年4月29日第十三届全国人民代表大会常务委员会"
            "第二十八次会议《关于修改〈中华人民共和国教育法〉的决定》第三次修正）",
            "第一条　为了发展教育事业，制定本法。",
            "第二条　在中华人民共和国境内的各级各类教育，适用本法。",
            "第八十六条　本法自1995年9月1日起施行。",
        ],
        ("中华人民共和国教育法", "全国人民代表大会常务委员会", "2021-04-29", 2021, "1995-09-01", "国家"),
    ),
    (  # a code adopted by the NPC in plenary session
        [
            "中华人民共和国民法典",
            "（2020年5月28日第十三届全国人民代表大会第三次会议通过）",
            "第一条　为了保护民事主体的合法权益，制定本法。",
            "第二条　民法调整平等主体之间的关系。",
            "第一千二百六十条　本法自2021年1月1日起施行。",
        ],
        ("中华人民共和国民法典", "全国人民代表大会", "2020-05-28", 2020, "2021-01-01", "国家"),
    ),
    (  # a State Council regulation by order number, in force on promulgation
        [
            "校车安全管理条例",
            "（2012年4月5日中华人民共和国国务院令第617号公布　自公布之日起施行）",
            "第一条　为了加强校车安全管理，制定本条例。",
            "第二条　本条例所称校车，是指用于接送学生的车辆。",
            "第三条　县级以上地方人民政府应当加强校车安全管理。",
        ],
        ("校车安全管理条例", "国务院", "2012-04-05", 2012, "2012-04-05", "国家"),
    ),
    (  # a regulation first issued by commissions, revised by a State Council decision
        [
            "学校体育工作条例",
            "（1990年2月20日国务院批准　1990年3月12日国家教育委员会令第8号、国家体育运动委员会令第11号发布　"
            "根据2017年3月1日《国务院关于修改和废止部分行政法规的决定》修订）",
            "第一条　为保证学校体育工作的正常开展，制定本条例。",
            "第二条　学校体育工作是指普通中小学校的体育课教学。",
            "第三条　学校体育工作的基本任务是增进学生身心健康。",
        ],
        ("学校体育工作条例", "国务院", "2017-03-01", 2017, "", "国家"),
    ),
    (  # a ministry's rules (部门规章) with their own effective date
        [
            "未成年人学校保护规定",
            "（2021年6月1日教育部令第50号公布　自2021年9月1日起施行）",
            "第一条　为了落实学校保护职责，制定本规定。",
            "第二条　普通中小学、中等职业学校对未成年人的保护，适用本规定。",
            "第三条　学校应当全面贯彻国家教育方针。",
        ],
        ("未成年人学校保护规定", "教育部", "2021-06-01", 2021, "2021-09-01", "国家"),
    ),
    (  # the converter's phrasing (scripts/laws_from_package.py)
        [
            "中华人民共和国学位法",
            "（2024年4月26日全国人民代表大会常务委员会公布　自2025年1月1日起施行）",
            "第一条　为了规范学位授予工作，制定本法。",
            "第二条　国家实行学位制度。",
            "第三条　学位工作坚持中国共产党的领导。",
        ],
        ("中华人民共和国学位法", "全国人民代表大会常务委员会", "2024-04-26", 2024, "2025-01-01", "国家"),
    ),
]


@pytest.mark.parametrize(
    "lines, want", CASES, ids=["教师法", "教育法", "民法典", "校车条例", "体育条例", "规章", "converter"]
)
def test_title_issuer_date_year_effective_date_and_level(lines, want):
    d = _document(*lines)
    assert (d.title, d.issuer, d.date, d.year, d.effective_date, d.level) == want
    assert d.provenance["title"] == "read"


def test_a_local_regulation_is_not_national():
    d = _document(
        "北京市学前教育条例",
        "（2021年9月24日北京市第十五届人民代表大会常务委员会第三十三次会议通过）",
        "第一条　为了促进本市学前教育事业发展，制定本条例。",
        "第二条　本市行政区域内的学前教育，适用本条例。",
        "第三条　学前教育是国民教育体系的组成部分。",
    )
    assert (d.issuer, d.region, d.date) == ("北京市人民代表大会常务委员会", "北京市", "2021-09-24")
    assert d.level != "国家"


def test_a_plan_with_a_dated_line_in_brackets_is_not_read_as_a_law():
    d = _document(
        "某县2023年教育工作要点", "（2023年3月1日县教育局党组会议通过）", "一、学前教育", "二、义务教育"
    )
    assert d.title == "某县2023年教育工作要点" and d.effective_date == "" and d.level != "国家"


def test_body_names_and_law_titles():
    assert body_name("第十一届全国人民代表大会常务委员会第十次会议《关于修改部分法律的决定》第一次") == (
        "全国人民代表大会常务委员会"
    )
    assert body_name("中华人民共和国国务院令第372号") == "国务院"
    assert body_name("中华人民共和国中央军事委员会") == "中华人民共和国中央军事委员会"
    assert body_name("中华人民共和国主席令第五号") == ""
    assert looks_like_law_title("中华人民共和国刑法修正案（九）") and looks_like_law_title("校车安全管理条例")
    assert not looks_like_law_title("某县2023年教育工作要点")


def test_an_index_keeps_the_effective_date_and_filters_by_level_national(tmp_path, make_corpus):
    from fakes import HashEncoder

    from search.build import build_index
    from search.retrieve import Filters, Searcher

    law = "\n".join(CASES[0][0])
    plan = "某县2023年教育工作要点\n一、学前教育\n1、保障教师的合法权益。\n二、义务教育\n1、落实教师待遇。"
    root = make_corpus({"law.txt": law, "plan.txt": plan})
    encoder = HashEncoder()
    build_index(root, tmp_path / "index", encoder)
    searcher = Searcher.open(tmp_path / "index", encoder=encoder)
    assert searcher.document("law.txt").effective_date == "1994-01-01"
    hits = searcher.search("教师的合法权益", k=5, filters=Filters.parse(level="国家"))
    assert hits and {h.document.source for h in hits} == {"law.txt"}
    assert [d.source for d in searcher.documents(Filters.parse(level="国家"))] == ["law.txt"]
