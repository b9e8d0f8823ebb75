"""The law reader: articles are clauses, headings give paths and addresses, a 目录 is not the text."""

from __future__ import annotations

from search.clauses import MAX_CHARS, chunk_plan, cn_to_int
from search.laws import reads_as_amendment, reads_as_law
from search.pipeline import parse_raw
from search.records import Clause, Document, RawDoc

TEACHERS_LAW = """中华人民共和国教师法
（1993年10月31日第八届全国人民代表大会常务委员会第四次会议通过　根据2009年8月27日第十一届
全国人民代表大会常务委员会第十次会议《关于修改部分法律的决定》修正）
目　　录
第一章　总　　则
第二章　权利和义务
　第一节　权利
　第二节　义务
第三章　附　　则
第一章　总　　则
第一条　为了保障教师的合法权益，建设具有良好思想品德修养和业务素质的教师队伍，制定本法。
第二条　本法适用于在各级各类学校和其他教育机构中专门从事教育教学工作的教师。
第二章　权利和义务
第一节　权利
第三条　教师享有下列权利：
（一）进行教育教学活动，开展教育教学改革和实验；
（二）从事科学研究、学术交流，参加专业的学术团体；
（三）参加进修或者其他方式的培训。
第二节　义务
第四条　教师应当履行下列义务：
（一）遵守宪法、法律和职业道德，为人师表；
（二）不断提高思想政治觉悟和教育教学业务水平。
第四条规定的义务，学校应当予以保障。
第三章　附　　则
第五条　本法自1994年1月1日起施行。
"""


def _read(text: str, source: str = "law.txt") -> tuple[Document, list[Clause]]:
    parsed = parse_raw(RawDoc(source, text, "txt"))
    return parsed.document, parsed.clauses


def test_articles_are_the_clauses_with_chapter_and_section_in_their_address():
    _, clauses = _read(TEACHERS_LAW)
    assert [c.address for c in clauses] == [
        "前言",
        "第一章第一条",
        "第一章第二条",
        "第二章第一节第三条",
        "第二章第二节第四条",
        "第三章第五条",
    ]
    assert clauses[0].text.startswith("（1993年10月31日")  # the history line; the title is no clause


def test_items_and_paragraphs_stay_in_their_article_under_its_lead_in():
    _, clauses = _read(TEACHERS_LAW)
    third = clauses[3]
    assert third.text.startswith("第三条 教师享有下列权利：\n（一）进行教育教学活动")
    assert third.text.endswith("（三）参加进修或者其他方式的培训。")
    assert third.path == ("第二章 权利和义务", "第一节 权利", "第三条 教师享有下列权利")
    fourth = clauses[4]  # a paragraph citing 第四条 is a paragraph (款) of it, not a new article
    assert fourth.text.endswith("第四条规定的义务，学校应当予以保障。")


def test_the_table_of_contents_is_not_read_as_headings_or_clauses():
    document, clauses = _read(TEACHERS_LAW)
    lines = document.text.split("\n")
    assert lines[3] == "目  录" and lines.count("第三章 附  则") == 2  # kept in the text
    assert clauses[1].path[0] == "第一章 总  则"  # not 第三章, the 目录's last line
    assert all("目  录" not in c.text for c in clauses)


def test_a_law_without_a_contents_line_but_with_its_headings_listed_first():
    text = "\n".join(
        ["某某条例", "第一章 总则", "第二章 附则", "第一章 总则", "第一条 为了规范管理，制定本条例。"]
        + ["第二条 本条例适用于本市。", "第二章 附则", "第三条 本条例自公布之日起施行。"]
    )
    _, clauses = _read(text)
    assert [c.address for c in clauses] == ["第一章第一条", "第一章第二条", "第二章第三条"]


def test_numbers_up_to_the_thousands_and_inserted_articles():
    assert cn_to_int("一千二百六十") == 1260 and cn_to_int("一千零五十一") == 1051
    lines = ["第一千二百五十八条　甲。", "第一千二百五十八条之一　乙。", "第一千二百五十九条　丙。"]
    _, clauses = _read("\n".join(["某某法典", *lines, "第一千二百六十条　本法自2021年1月1日起施行。"]))
    assert [c.address for c in clauses] == [
        "第一千二百五十八条",
        "第一千二百五十八条之一",
        "第一千二百五十九条",
        "第一千二百六十条",
    ]


def test_parts_and_volumes_nest_and_chapters_restart_under_them():
    text = "\n".join(
        ["某某法典", "第一编 总则", "第一章 基本规定", "第一条 甲。", "第二编 物权", "第一章 一般规定"]
        + ["第二条 乙。", "第二章 登记", "第三条 丙。"]
    )
    _, clauses = _read(text)
    assert [c.address for c in clauses] == ["第一编第一章第一条", "第二编第一章第二条", "第二编第二章第三条"]
    assert clauses[2].path == ("第二编 物权", "第二章 登记", "第三条 丙")


def test_a_long_article_splits_into_parts_that_keep_its_address():
    body = "学校应当建立健全安全管理制度，落实安全责任。" * 40
    _, clauses = _read("\n".join(["某某条例", "第一条 " + body, "第二条 附则。", "第三条 施行。"]))
    parts = [c for c in clauses if c.address == "第一条"]
    assert len(parts) > 1 and [c.part for c in parts] == list(range(1, len(parts) + 1))
    assert all(len(c.text) <= MAX_CHARS for c in parts)


def test_the_genre_is_decided_by_which_markers_open_the_lines():
    assert reads_as_law(TEACHERS_LAW)
    plan = "某县2023年教育工作要点\n一、学前教育\n（一）扩大资源\n二、义务教育\n三、教师队伍"
    assert not reads_as_law(plan) and not reads_as_amendment(plan)
    # a plan citing articles in its text stays a plan
    cites = "一、依据教育法第五条，落实任务。\n二、按照教师法第七条，保障权利。\n三、第三条所列事项由县负责。"
    assert not reads_as_law(cites)


def test_a_plan_is_chunked_by_the_plan_reader_exactly():
    text = "某县2023年教育工作要点\n一、学前教育\n（一）扩大资源\n1、新建幼儿园。\n二、义务教育\n（一）均衡。"
    document, clauses = _read(text)
    assert clauses == chunk_plan(document)
    assert [c.address for c in clauses] == ["一（一）1", "二（一）"]


def test_an_amendment_keeps_each_change_whole_with_the_items_it_inserts():
    text = "\n".join(
        [
            "中华人民共和国刑法修正案（九）",
            "（2015年8月29日第十二届全国人民代表大会常务委员会第十六次会议通过）",
            "一、在刑法第一百二十条后增加一条，作为第一百二十条之二：",
            '"第一百二十条之二　有下列情形之一的，处五年以下有期徒刑：',
            "（一）为实施恐怖活动准备凶器的；",
            '（二）组织恐怖活动培训的。"',
            "二、将刑法第一百二十一条修改为：",
            '"以暴力劫持航空器的，处十年以上有期徒刑。"',
            "三、本修正案自2015年11月1日起施行。",
        ]
    )
    assert reads_as_amendment(text) and not reads_as_law(text)
    _, clauses = _read(text)
    assert [c.address for c in clauses] == ["前言", "一", "二", "三"]
    assert clauses[1].text.endswith('（二）组织恐怖活动培训的。"')
