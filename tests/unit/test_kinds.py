"""Plans and laws in one index: the kind filter (one rule for SQL and for the search masks) and the
cap that keeps law articles from filling a topic query's list unless the query asks for law text."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from click.testing import CliRunner
from fakes import HashEncoder
from shipped import CORPUS, LAWS

from search import api
from search.build import build_index
from search.census import census
from search.cli import main
from search.cues import law_names, names_a_law
from search.fusion import Weights, cap_flagged, spread
from search.retrieve import Filters, QueryError, Searcher

TOPIC = "课后服务 双减"


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    index = tmp_path_factory.mktemp("kinds") / "index"
    build_index(CORPUS, index, HashEncoder())
    return index


@pytest.fixture(scope="module")
def searcher(index):
    return Searcher.open(index, encoder=HashEncoder())


def law_sources() -> set[str]:
    return {f"laws/{p.name}" for p in LAWS.glob("*.txt")}


# ---- the rule ------------------------------------------------------------------------------------
def test_kind_parses_plan_or_law_and_refuses_anything_else():
    assert Filters.parse(kind="law").kind == "law" and Filters.parse(kind=" Plan ").kind == "plan"
    assert Filters.parse(kind="law").active and not Filters.parse().active
    with pytest.raises(QueryError, match="use plan or law"):
        Filters.parse(kind="laws")
    assert api.parse_filters(kind="law") == Filters.parse(kind="law")


def test_the_laws_are_the_documents_read_as_articles_in_sql_and_in_the_masks(searcher):
    laws = {d.source for d in searcher.documents(Filters(kind="law"), with_text=False)}
    plans = {d.source for d in searcher.documents(Filters(kind="plan"), with_text=False)}
    assert laws == law_sources() and len(plans) == 5 and not laws & plans
    for kind, expected in (("law", laws), ("plan", plans)):
        _, doc_mask = searcher.masks(Filters(kind=kind))
        assert {searcher.doc_source[d] for d in doc_mask.nonzero()[0]} == expected


def test_a_search_and_a_census_keep_to_the_kind_asked_for(searcher):
    for kind, expected in (("law", law_sources()), ("plan", None)):
        hits = searcher.search(TOPIC, k=10, filters=Filters(kind=kind))
        sources = {h.document.source for h in hits}
        assert hits and (sources <= expected if expected else not sources & law_sources())
    said = {m.document.source for m in census(searcher, "劳动教育", Filters(kind="law")).mentions}
    assert said and said <= law_sources()


# ---- the cap -------------------------------------------------------------------------------------
def test_cap_flagged_moves_the_later_flagged_items_after_the_others_and_cuts_nothing():
    flags = [True, False, True, True, False, False]
    assert cap_flagged(flags, 1) == [0, 1, 4, 5, 2, 3]
    assert cap_flagged(flags, 0) == [1, 4, 5, 0, 2, 3]
    assert cap_flagged([False] * 3, 0) == [0, 1, 2]
    # a group (the verbatim holders) keeps its places: its law stays first
    assert cap_flagged([True, True, False], 0, groups=[1, 0, 0]) == [0, 2, 1]


def test_spread_caps_laws_only_when_asked_to():
    plans, fused = [9, 8, 7, 1, 2], [0.9, 0.8, 0.7, 0.6, 0.5]
    laws = [True, True, True, False, False]
    weights = Weights(law_cap=1)
    assert spread(plans, fused, [0] * 5, weights, laws=laws) == [0, 3, 4, 1, 2]
    assert spread(plans, fused, [0] * 5, weights) == [0, 1, 2, 3, 4]
    assert spread(plans, fused, [0] * 5, replace(weights, law_cap=-1), laws=laws) == [0, 1, 2, 3, 4]


def test_a_topic_query_gets_at_most_the_law_cap_of_law_articles(searcher):
    def laws_in_top10(weights: Weights) -> int:
        saved, searcher.weights = searcher.weights, weights
        try:
            return sum(h.document.source.startswith("laws/") for h in searcher.search(TOPIC, k=10))
        finally:
            searcher.weights = saved

    assert Weights().law_cap == 1
    assert laws_in_top10(Weights()) <= 1
    assert laws_in_top10(Weights(law_cap=-1)) > 1  # without the cap the laws fill the list


def test_the_pool_holds_the_plans_best_clauses_beside_the_laws(searcher):
    plan_rows = lambda pool: int((~searcher.doc_law[searcher.clause_doc[pool.rows]]).sum())  # noqa: E731
    pool = searcher.candidates(TOPIC, None, None)
    assert pool.rows.size and plan_rows(pool) >= Weights().depth  # the plans' own best of each leg
    named = searcher.candidates("教师法 " + TOPIC, None, None)  # law text asked for: one pool of all
    assert plan_rows(named) < Weights().depth


def test_a_query_naming_a_law_or_an_article_ranks_law_articles_uncapped(searcher):
    names = set(law_names(["中华人民共和国教师法"]))
    assert names == {"中华人民共和国教师法", "教师法"}
    assert names_a_law("教师法规定的教师权利", names, 10)
    assert names_a_law("第七条 教师享有的权利", set(), 0)
    assert names_a_law("《家庭教育促进法》怎么说", set(), 0)
    assert not names_a_law("课后服务 双减", names, 10)
    many = names | {f"第{i}号条例" for i in range(300)}  # past a direct scan: the query's substrings
    assert names_a_law("教师法规定的教师权利", many, 10) and not names_a_law("课后服务 双减", many, 10)
    hits = searcher.search("教师法 教师的权利和义务", k=10)
    assert sum(h.document.source == "laws/中华人民共和国教师法.txt" for h in hits) >= 2


def test_quoted_law_wording_still_comes_first(searcher):
    hits = searcher.search("教师享有下列权利：进行教育教学活动，开展教育教学改革和实验", k=3)
    assert (hits[0].document.source, hits[0].clause.address) == (
        "laws/中华人民共和国教师法.txt",
        "第二章第七条",
    )


# ---- the surfaces --------------------------------------------------------------------------------
def test_cli_kind_option_on_query_and_mentions(index, monkeypatch):
    import search.encoder

    monkeypatch.setattr(search.encoder, "load_encoder", lambda *args, **kwargs: HashEncoder())
    runner = CliRunner()
    out = runner.invoke(main, ["query", TOPIC, "--kind", "law", "--index", str(index), "--json"])
    assert out.exit_code == 0, out.output
    assert {h["source"] for h in json.loads(out.output)} <= law_sources()
    out = runner.invoke(main, ["mentions", "劳动教育", "--kind", "plan", "--index", str(index), "--json"])
    assert out.exit_code == 0, out.output
    assert not {m["source"] for m in json.loads(out.output)} & law_sources()
    bad = runner.invoke(main, ["query", TOPIC, "--kind", "rule", "--index", str(index)])
    assert bad.exit_code == 2


def test_api_search_takes_the_kind(searcher):
    hits = api.search(searcher, TOPIC, k=5, kind="law")
    assert hits and {h["source"] for h in hits} <= law_sources()
