"""Judged queries over the shipped plans, run with the real model: the right clause must be found.

Each query was written by reading the plans, with the clause(s) that answer it. Topic queries must
put an answering clause in the top 3, fact and wording queries at rank 1. The recall over this set is
also reported by bench/eval_seeds.py.
"""

from __future__ import annotations

import pytest

from search.answer import ask
from search.census import census
from search.keyword import normalise
from search.wording import similar

pytestmark = pytest.mark.slow

# (kind, query, acceptable (source prefix, address) pairs)
JUDGED = [
    ("topic", "普惠性幼儿园建设和学前教育学位", {("000", "三（二）6"), ("003", "二6")}),
    ("topic", "学校封闭管理和保安配备", {("003", "七31")}),
    ("topic", "家长学校建设", {("002", "二（六）一是")}),
    ("topic", "教育装备建设经费投入", {("004", "三（一）4")}),
    ("topic", "乡村教师支持计划", {("000", "三（三）17")}),
    ("topic", "校外培训机构监管", {("002", "二（三）七是"), ("003", "四17")}),
    (
        "topic",
        "特殊教育融合发展",
        {("002", "二（二）五是"), ("001", "二10"), ("000", "三（二）11"), ("003", "四16")},
    ),
    (
        "topic",
        "教育督导评估",
        {("000", "三（六）28"), ("001", "七27"), ("003", "七29"), ("002", "四（五）"), ("004", "三（五）3")},
    ),
    (
        "topic",
        "师德师风建设",
        {("000", "三（三）16"), ("001", "四17"), ("003", "五19"), ("002", "二（三）六是")},
    ),
    ("topic", "职业教育产教融合", {("002", "二（五）二是"), ("001", "二8"), ("000", "三（二）9")}),
    ("fact", "高台县2023年规划投资多少实施教育重点项目", {("001", "五20")}),
    ("fact", "襄阳市2017年资助家庭经济困难学生多少人次", {("000", "二（七）")}),
    ("fact", "家长学校建校率要达到多少", {("002", "二（六）一是")}),
    ("fact", "未央区普惠性幼儿园覆盖率任务", {("003", "二6")}),
    ("wording", "全面落实“双减”“五项管理”等政策", {("001", "二6")}),
    ("wording", "做好学校封闭管理、保安配备、一键报警接入率", {("003", "七31")}),
    ("wording", "督促各地落实乡村教师支持计划", {("000", "三（三）17")}),
]


def _found(hits, acceptable, depth):
    return any((h.document.source[:3], h.clause.address) in acceptable for h in hits[:depth])


@pytest.mark.parametrize(("kind", "query", "acceptable"), JUDGED, ids=[q for _, q, _ in JUDGED])
def test_judged_query_finds_its_clause(seed_searcher, kind, query, acceptable):
    hits = seed_searcher.search(query, k=5)
    depth = 3 if kind == "topic" else 1
    assert _found(hits, acceptable, depth), [(h.document.source[:3], h.clause.address) for h in hits]


def test_census_of_shuang_jian_lists_exactly_the_plans_that_say_it(seed_searcher):
    result = census(seed_searcher, "双减")
    expected = {d.source for d in seed_searcher.documents() if "双减" in normalise(d.text)}
    assert {m.document.source for m in result.mentions} == expected
    assert expected, "the shipped corpus mentions 双减"


def test_investment_question_is_answered_with_its_citation(seed_searcher):
    answer = ask(seed_searcher, "高台县2023年计划在教育项目上投资多少？")
    assert "1.1亿元" in answer.answer
    assert any(h.clause.address == "五20" and h.document.region == "高台县" for h in answer.citations)


def test_precedent_wording_finds_both_preschool_clauses_oldest_first(seed_searcher):
    groups = similar(seed_searcher, "积极发展普惠性学前教育，扩大普惠性学前教育资源覆盖面", k=10)
    years = [g.document.year for g in groups]
    assert years == sorted(years)
    addresses = {(g.document.source[:3], h.clause.address) for g in groups for h in g.hits}
    assert {("000", "三（二）6"), ("003", "二6")} <= addresses
