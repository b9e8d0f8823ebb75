"""Citations: read from a clause, resolved against a small index (a fake law and plans citing it),
stored in JSON hits and inspect output, and followed back (被引用)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from fakes import HashEncoder

from search.build import build_index
from search.cli import main
from search.inspection import inspect_file
from search.links import article_of, cited_by, read_cites, title_key, titles_of
from search.records import Cite
from search.retrieve import QueryError, Searcher

LAW = """中华人民共和国教师法

第一章 总则

第一条 为了保障教师的合法权益，建设具有良好思想品德修养和业务素质的教师队伍，制定本法。

第二章 权利和义务

第七条 教师享有下列权利：进行教育教学活动，开展教育教学改革和实验。

第三章 待遇

第二十五条 教师的平均工资水平应当不低于或者高于国家公务员的平均工资水平，并逐步提高。
"""

PLAN = """某市2024年教育工作要点

一、加强教师队伍建设

1.保障教师待遇。认真落实《中华人民共和国教师法》，依照《教师法》第二十五条，确保义务教育教师平均工资收入水平不低于当地公务员。

2.推进依法治教。深入学习宣传《义务教育法》，开展《弟子规》诵读，落实《学校管理办法》。

3.加强师德建设。组织学习《教师法》第七条、第一条。
"""

OTHER_PLAN = """某县2023年教育工作要点

一、依法治教

1.组织教师学习《中华人民共和国教师法》。
"""

CATALOG = """source,title,issuer,region,level,year,doc_number,date
teacher_law.txt,中华人民共和国教师法,全国人民代表大会常务委员会,,,1993,,
rules_a.txt,学校管理办法,甲市教育局,,,2020,,
rules_b.txt,学校管理办法,乙市教育局,,,2021,,
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("links") / "corpus"
    root.mkdir()
    (root / "teacher_law.txt").write_text(LAW, encoding="utf-8")
    (root / "plan.txt").write_text(PLAN, encoding="utf-8")
    (root / "other.txt").write_text(OTHER_PLAN, encoding="utf-8")
    for name, place in (("rules_a.txt", "甲市"), ("rules_b.txt", "乙市")):  # two documents of one title
        (root / name).write_text(f"学校管理办法\n\n第一条 {place}学校管理适用本办法。\n", encoding="utf-8")
    (root / "catalog.csv").write_text(CATALOG, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def searcher(corpus):
    encoder = HashEncoder()
    build_index(corpus, corpus.parent / "index", encoder)
    return Searcher.open(corpus.parent / "index", encoder=encoder)


def _clause(searcher, source, address):
    return next(c for c in searcher.clauses_of(source) if c.address == address)


def test_read_cites_gives_titles_and_each_article():
    text = (
        "落实《中华人民共和国义务教育法》和《教师法》第二十五条，"
        "学习《教师法》第七条、第一条第二款及《弟子规》。"
    )
    assert read_cites(text) == (
        Cite("中华人民共和国义务教育法"),
        Cite("教师法", "第二十五条"),
        Cite("教师法", "第七条"),
        Cite("教师法", "第一条"),
        Cite("弟子规"),
    )


def test_title_keys_match_the_short_and_the_dated_form():
    assert (
        title_key("中华人民共和国教师法")
        == title_key("教师法")
        == title_key("中华人民共和国教师法（2009年修正）")
    )
    assert title_key("教师法") != title_key("教育法")
    assert article_of("第三章第二十五条") == "第二十五条" and article_of("第二章第七条（一）") == "第七条"
    assert article_of("一（二）3") == ""


def test_citations_resolve_to_the_law_and_its_article(searcher):
    law = _clause(searcher, "teacher_law.txt", "第三章第二十五条")
    cites = _clause(searcher, "plan.txt", "一1").cites
    assert [c.to_json() for c in cites] == [
        {
            "title": "中华人民共和国教师法",
            "article": "",
            "source": "teacher_law.txt",
            "address": "",
            "clause_id": "",
        },
        {
            "title": "教师法",
            "article": "第二十五条",
            "source": "teacher_law.txt",
            "address": "第三章第二十五条",
            "clause_id": law.clause_id,
        },
    ]


def test_unknown_and_ambiguous_titles_link_nowhere(searcher):
    cites = {c.title: c for c in _clause(searcher, "plan.txt", "一2").cites}
    assert set(cites) == {"义务教育法", "弟子规", "学校管理办法"}
    assert all(c.source == "" for c in cites.values())  # not indexed; two documents of that title


def test_hits_carry_cites_and_task_fields_in_json(searcher):
    hits = searcher.search("教师平均工资 公务员", k=5)
    data = next(h.to_json() for h in hits if h.clause.source == "plan.txt" and h.clause.address == "一1")
    assert data["cites"][1]["address"] == "第三章第二十五条"
    assert data["lead_units"] == [] and data["responsible_units"] == [] and data["deadline"] == ""


def test_cited_by_lists_every_citing_clause_once_per_citation(searcher):
    found = cited_by(searcher, "teacher_law.txt")
    got = [(c.document.source, c.clause.address, c.cite.article, c.cite.address) for c in found]
    assert got == [
        ("other.txt", "一1", "", ""),
        ("plan.txt", "一1", "", ""),
        ("plan.txt", "一1", "第二十五条", "第三章第二十五条"),
        ("plan.txt", "一3", "第七条", "第二章第七条"),
        ("plan.txt", "一3", "第一条", "第一章第一条"),
    ]
    assert found[0].document.year == 2023 and found[0].document.text == ""
    assert cited_by(searcher, "plan.txt") == []
    with pytest.raises(QueryError):
        cited_by(searcher, "missing.txt")


def test_inspect_alone_gives_titles_and_with_an_index_the_targets(corpus, searcher):
    alone = inspect_file(corpus / "plan.txt")["documents"][0]["clauses"][0]["cites"]
    assert [(c["title"], c["article"], c["source"]) for c in alone] == [
        ("中华人民共和国教师法", "", ""),
        ("教师法", "第二十五条", ""),
    ]
    linked = inspect_file(corpus / "plan.txt", titles_of(searcher))["documents"][0]["clauses"][0]["cites"]
    assert [(c["source"], c["address"]) for c in linked] == [
        ("teacher_law.txt", ""),
        ("teacher_law.txt", "第三章第二十五条"),
    ]


def test_cli_inspect_with_index_and_cited_by(corpus, searcher):
    runner = CliRunner()
    index = str(corpus.parent / "index")
    result = runner.invoke(main, ["inspect", str(corpus / "plan.txt"), "--index", index])
    assert result.exit_code == 0, result.output
    assert "引用 《教师法》第二十五条 → teacher_law.txt 第三章第二十五条" in result.output
    result = runner.invoke(main, ["cited-by", "teacher_law.txt", "--index", index, "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 5 and rows[2]["cited"]["address"] == "第三章第二十五条"
    result = runner.invoke(main, ["cited-by", "nope.txt", "--index", index])
    assert result.exit_code == 2 and "error: no document 'nope.txt'" in result.output


# ---- app: cites as links on cards, 被引用 and tasks on a document's page ----------------------------


def test_cards_link_resolved_cites_and_show_unresolved_as_text(searcher):
    from search.app_views import hit_card

    hit = next(h for h in searcher.search("教师平均工资 公务员", k=5) if h.clause.address == "一1")
    card = hit_card(hit, 1)
    assert card.count('class="cite-link"') == 2 and 'data-doc="teacher_law.txt"' in card
    assert "《教师法》第二十五条</a>" in card
    hit = next(h for h in searcher.search("依法治教 弟子规 学校管理办法", k=8) if h.clause.address == "一2")
    card = hit_card(hit, 1)
    assert 'class="cite-link"' not in card and '<span class="cite-plain">《弟子规》</span>' in card


def test_views_escape_document_text():
    from search.link_views import cite_html, tasks_html
    from search.tasks import Task

    link = cite_html(Cite('<b x="1">法</b>', "第一条", 'a"b.txt', "第一条", "id"))
    assert "<b" not in link and 'data-doc="a&quot;b.txt"' in link
    clause = _task_clause()
    html = tasks_html([Task("一1", "<script>", ("<i>局</i>",), ("乙",), "", (clause,))])
    assert "<script>" not in html and "&lt;i&gt;局&lt;/i&gt;（1）" in html


def _task_clause():
    from search.records import Clause

    return Clause("x", "p.txt", "一1", ("一",), "text", 0, 4)


def test_app_document_page_lists_cited_by_and_tasks(corpus, searcher, tmp_path):
    from search.app_handlers import Handlers
    from search.engine import Engine

    engine = Engine(corpus.parent / "index", corpus, tmp_path / "uploads", encoder=searcher.encoder)
    app = Handlers(engine)
    engine.start()
    law = app.show_document("teacher_law.txt")
    assert "被引用 Cited by（5 处）" in law and law.count('class="cited-item"') == 5
    assert "某市2024年教育工作要点" in law and "（第三章第二十五条）" in law
    assert "被引用" not in app.show_document("plan.txt") and "任务分工" not in app.show_document("plan.txt")
    article = _clause(searcher, "teacher_law.txt", "第三章第二十五条").clause_id
    doc_pick, focus, tabs = app.open_cited(f"teacher_law.txt\n{article}")  # what a click on the link sends
    assert doc_pick["value"] == "teacher_law.txt" and focus == article and tabs.selected == "documents"
    page = app.show_document("teacher_law.txt", focus)
    assert (
        page.count('class="tree-clause focus"') == 1
        and f'focus" style="--depth:1" data-clause="{article}"' in page
    )
