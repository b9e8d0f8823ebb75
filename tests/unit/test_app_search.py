"""The app's search tab and its start-up: result cards as the library ranks them, each plan's further hits
opening in place ("该文件更多 N 条"), the page's static files as package data, and `policy-search app`
taking the options of app.py. A fake encoder; no browser (tests/browser drives the page itself)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakes import HashEncoder

from search import app_views
from search.app_handlers import Handlers
from search.build import build_index
from search.engine import Engine
from search.plans import further_by_plan, search_with_further
from search.records import Clause, Document, Hit

ROOT = Path(__file__).resolve().parents[2]
QUERY = "课后服务 双减"  # a topic many plans address: the spread leaves further clauses of each plan
RANKED = re.compile(r'<article class="hit-card" data-source="([^"]*)" data-clause="([^"]*)"')
FURTHER = re.compile(r'<details class="more-hits" data-source="([^"]*)">(.*?)</details>(?=</article>)', re.S)


def hit(source: str, n: int, plan_more: int = 0) -> Hit:
    clause = Clause(f"{source}-{n}", source, f"一{n}", ("一",), f"第{n}条", 0, 3, 0, n)
    document = Document(source=source, title=source, text="", raw="")
    return Hit(clause, document, 1.0 / (n + 1), plan_more=plan_more)


# ---- pure --------------------------------------------------------------------------------------------
def test_further_by_plan_keeps_the_first_k_and_hands_each_plan_its_later_hits():
    # a deeper list A1 B1 A2 | C1 A3 B2 A4 D1: plan_more as a search for all eight counts it
    deeper = [hit("A", 1, 2), hit("B", 1, 1), hit("A", 2, 2), hit("C", 1, 0), hit("A", 3, 2)]
    deeper += [hit("B", 2, 1), hit("A", 4, 2), hit("D", 1, 0)]
    shown, further = further_by_plan(deeper, 3, limit=1)
    assert [h.clause.clause_id for h in shown] == ["A-1", "B-1", "A-2"]  # the first k, in rank order
    assert [h.plan_more for h in shown] == [4, 2, 4]  # as a search for k=3 counts them
    assert {s: [h.clause.clause_id for h in hs] for s, hs in further.items()} == {"A": ["A-3"], "B": ["B-2"]}


def test_results_open_each_plans_further_hits_under_its_last_card_only():
    shown, further = further_by_plan([hit("A", 1, 3), hit("B", 1, 0), hit("A", 2, 3), hit("A", 3, 3)], 2)
    page = app_views.results_html("q", shown, further=further)
    assert [m[0] for m in RANKED.findall(page)] == ["A", "B"]  # further hits are not ranked cards
    (source, inside), *others = FURTHER.findall(page)
    assert source == "A" and not others
    assert "该文件更多 5 条" in inside and inside.count('class="more-card"') == 2  # of 5
    assert "另有 3 条" in inside  # the rest: through the document filter
    assert page.count("该文件更多") == 1  # one expander per plan, no separate note
    assert "该文件更多" not in app_views.results_html("q", shown[1:], further={})  # B has none


# ---- the handler over an index -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def app(tmp_path_factory):
    root = tmp_path_factory.mktemp("app-search")
    encoder = HashEncoder()
    build_index(ROOT / "corpus", root / "index", encoder)
    engine = Engine(root / "index", ROOT / "corpus", root / "uploads", read_only=True, encoder=encoder)
    engine.start()
    return Handlers(engine)


def test_search_cards_are_the_librarys_hits_and_each_plan_expands_in_place(app):
    page, cites = app.do_search(QUERY, 10, 0, False, "", "", "", "", "", "")
    with app.engine.use() as searcher:
        expected = searcher.search(QUERY, k=10)
    assert RANKED.findall(page) == [(h.document.source, h.clause.clause_id) for h in expected]
    assert cites.count("\n") == len(expected) - 1

    more = {h.document.source: h.plan_more for h in expected if h.plan_more}
    expanders = dict(FURTHER.findall(page))
    assert more and set(expanders) == set(more)  # every plan with more clauses opens them
    shown = {h.clause.clause_id for h in expected}
    for source, inside in expanders.items():
        assert f"该文件更多 {more[source]} 条" in inside
        cards = re.findall(r'<article class="more-card" data-source="([^"]*)" data-clause="([^"]*)"', inside)
        assert cards and {s for s, _ in cards} == {source}  # that plan's clauses ...
        assert not {c for _, c in cards} & shown  # ... not already shown


def test_one_deeper_ranking_gives_the_k_hits_of_a_search_with_their_context(app):
    with app.engine.use() as searcher:
        hits, further = search_with_further(searcher, QUERY, k=8, context=1)
        expected = searcher.search(QUERY, k=8, context=1)

    def seen(h):
        return h.clause.clause_id, h.plan_more, [c.clause_id for c in h.context]

    assert [seen(h) for h in hits] == [seen(h) for h in expected] and any(h.context for h in hits)
    counts = {h.document.source: h.plan_more for h in hits}
    assert further and all(0 < len(more) <= counts[source] for source, more in further.items())


def test_plan_view_rows_open_their_further_clauses(app):
    page, _ = app.do_search(QUERY, 3, 0, True, "", "", "", "", "", "")
    assert page.count('class="plan-row"') == 3
    rows = page.split('<section class="plan-row"')[1:]
    assert any('class="more-hits"' in row for row in rows)
    for row in rows:
        if 'class="more-hits"' in row:
            assert row.count('class="hit-card"') == 2 and 'class="more-card"' in row


def test_the_kind_filter_keeps_plans_or_laws(app):
    with app.engine.use() as searcher:
        laws = {searcher.doc_source[d] for d in searcher.doc_law.nonzero()[0]}

    def sources(kind: str) -> set[str]:
        page, _ = app.do_search("教师 权利 义务", 10, 0, False, *[""] * 6, kind)
        return {source for source, _ in RANKED.findall(page)}

    both, plans, only_laws = sources(""), sources("plan"), sources("law")
    assert both & laws and both - laws  # unfiltered: a teacher's rights are in plans and laws alike
    assert plans and not plans & laws
    assert only_laws and only_laws <= laws


# ---- start-up ----------------------------------------------------------------------------------------
def test_the_pages_style_and_script_are_package_data():
    from search.app_ui import STATIC, page_css, page_js

    assert ".more-card" in page_css() and "data-copy" in page_js()
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    packaged = {p for pattern in package_data["search"] for p in (ROOT / "search").glob(pattern)}
    assert packaged == set(STATIC.iterdir())  # every static file ships with an installed package


def test_policy_search_app_takes_the_options_of_app_py():
    import app as app_py
    from search import cli

    assert [p.name for p in cli.main.commands["app"].params] == [p.name for p in app_py.main.params]
    result = CliRunner().invoke(cli.main, ["app", "--help"])
    assert result.exit_code == 0 and "--read-only" in result.output and "--no-mcp" in result.output
    refused = CliRunner().invoke(cli.main, ["app", "--auth", "nocolon"])
    assert refused.exit_code != 0
    assert "error: --auth: expected USER:PASSWORD" in refused.output
