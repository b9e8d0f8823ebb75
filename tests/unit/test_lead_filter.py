"""The lead-unit filter: one rule (a normalised substring of one lead unit) for every leg, SQL and census."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from search.answer import ask
from search.census import census, merged_spans
from search.cli import main
from search.filters import Filters
from search.keyword import normalise
from search.retrieve import Filters as ReExported
from search.wording import similar

PLAN = "002_0bc6a5b737179746.txt"


def _leading(searcher, unit: str) -> set[str]:
    """Clause ids whose lead units contain ``unit``, read plainly from every clause."""
    return {
        c.clause_id
        for d in searcher.documents(with_text=False)
        for c in searcher.clauses_of(d.source)
        if any(normalise(unit) in normalise(u) for u in c.lead_units)
    }


def test_filters_keep_their_old_import_path():
    assert ReExported is Filters
    assert Filters.parse(lead=" 市财政局 ").lead == "市财政局" and Filters.parse(lead="市财政局").active


@pytest.mark.parametrize(("unit", "n"), [("市财政局", 1), ("财政局", 1), ("市委宣传部", 1), ("市教育局", 42)])
def test_masks_allow_exactly_the_clauses_a_unit_leads(searcher, unit, n):
    clause_mask, doc_mask = searcher.masks(Filters.parse(lead=unit))
    allowed = {searcher.clause(int(r)).clause_id for r in np.flatnonzero(clause_mask)}
    assert allowed == _leading(searcher, unit) and len(allowed) == n
    assert [searcher.doc_source[i] for i in np.flatnonzero(doc_mask)] == [PLAN]


def test_search_ask_and_similar_return_only_led_clauses(searcher):
    led = _leading(searcher, "市财政局")
    filters = Filters.parse(lead="市财政局")
    hits = searcher.search("教育经费投入保障", k=5, filters=filters)
    assert [h.clause.address for h in hits] == ["四（二）"] and {h.clause.clause_id for h in hits} == led
    assert hits[0].clause.lead_units == ("市财政局",)
    assert all(
        h.clause.clause_id in led for h in ask(searcher, "教育经费如何保障？", filters=filters).citations
    )
    groups = similar(searcher, "加强对教育经费投入保障", filters=filters)
    assert {h.clause.clause_id for g in groups for h in g.hits} <= led
    assert searcher.search("教育经费", k=5, filters=Filters.parse(lead="市卫健委")) == []


def test_a_lead_filter_combines_with_document_filters(searcher):
    assert searcher.search("教育", k=5, filters=Filters.parse("2017", lead="市教育局")) == []
    assert searcher.documents(Filters.parse(lead="市教育局"), with_text=False)[0].source == PLAN
    assert len(searcher.documents(Filters.parse(lead="市教育局"), with_text=False)) == 1


@pytest.mark.parametrize(
    ("term", "unit"), [("教育", "市教育局"), ("经费", "财政局"), ("各县(市)区", "市教育局")]
)
def test_census_with_a_lead_equals_a_plain_scan_of_those_clauses(searcher, term, unit):
    result = census(searcher, term, Filters.parse(lead=unit))
    needle = normalise(term)
    expected = {}
    for d in searcher.documents():
        spans = merged_spans(
            (c.start, c.end) for c in searcher.clauses_of(d.source) if any(unit in u for u in c.lead_units)
        )
        count = sum(normalise(d.text[a:b]).count(needle) for a, b in spans)
        if count:
            expected[d.source] = count
    assert {m.document.source: m.count for m in result.mentions} == expected and expected
    for m in result.mentions:
        assert all(needle in normalise(c.text) and any(unit in u for u in c.lead_units) for c in m.clauses)
    unfiltered = {m.document.source: m.count for m in census(searcher, term).mentions}
    assert all(n <= unfiltered[s] for s, n in expected.items())


def test_lead_units_lists_the_index_units_commonest_first(searcher):
    units = dict(searcher.catalogue.lead_units())
    assert units == {"市教育局": 42, "市财政局": 1, "市委宣传部": 1, "市政府办": 1}
    assert next(iter(units)) == "市教育局"


def test_cli_mentions_takes_a_lead_filter(searcher):
    index = str(searcher.store.path.parent)
    result = CliRunner().invoke(main, ["mentions", "经费", "--lead", "市财政局", "--index", index, "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["source"], [c["address"] for c in r["clauses"]]) for r in rows] == [(PLAN, ["四（二）"])]
    assert rows[0]["clauses"][0]["lead_units"] == ["市财政局"]
