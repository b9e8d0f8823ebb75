"""The national education laws shipped in corpus/laws, indexed beside the plans (fake encoder): read as
laws, each article one clause at its 章/条 address, and linked from the plan that cites one."""

from __future__ import annotations

import pytest
from fakes import HashEncoder
from shipped import CORPUS, LAWS

from search.build import build_index
from search.census import census
from search.keyword import normalise
from search.links import cited_by
from search.retrieve import Searcher

TEACHERS = "laws/中华人民共和国教师法.txt"
FAMILY = "laws/中华人民共和国家庭教育促进法.txt"


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    index = tmp_path_factory.mktemp("shipped") / "index"
    report = build_index(CORPUS, index, HashEncoder())
    assert not report.problems
    return Searcher.open(index, encoder=HashEncoder())


def test_every_shipped_law_is_read_as_a_national_law(searcher):
    laws = [d for d in searcher.documents(with_text=False) if d.source.startswith("laws/")]
    assert len(laws) == len(list(LAWS.glob("*.txt"))) == 14
    for law in laws:
        assert law.title == law.source.removeprefix("laws/").removesuffix(".txt")
        assert law.level == "国家" and law.year and law.issuer.startswith("全国人民代表大会")


def test_an_article_is_one_clause_with_its_items_and_its_chapter_address(searcher):
    articles = [c for c in searcher.clauses_of(TEACHERS) if c.address.endswith("第七条")]
    assert [c.address for c in articles] == ["第二章第七条"]
    text = articles[0].text
    assert text.startswith("第七条") and "（一）" in text and "（六）" in text
    assert articles[0].path[0].startswith("第二章")


def test_the_plan_citing_a_shipped_law_links_to_it(searcher):
    citing = cited_by(searcher, FAMILY)
    assert {c.document.source[:3] for c in citing} == {"001"}
    assert all(c.cite.source == FAMILY for c in citing)


def test_quoted_law_wording_finds_its_article_first(searcher):
    hits = searcher.search("教师享有下列权利：进行教育教学活动，开展教育教学改革和实验", k=3)
    assert (hits[0].document.source, hits[0].clause.address) == (TEACHERS, "第二章第七条")


def test_census_over_plans_and_laws_equals_a_plain_scan(searcher):
    expected = {d.source for d in searcher.documents() if "劳动教育" in normalise(d.text)}
    assert {m.document.source for m in census(searcher, "劳动教育").mentions} == expected
    assert any(s.startswith("laws/") for s in expected) and any(not s.startswith("laws/") for s in expected)
