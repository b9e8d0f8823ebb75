"""Ranking across plans: the per-plan spread, the plan view and the verbatim rule, with a fake encoder."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np

from search.fusion import diversify, penalise_plans, plan_more, rank_order
from search.legs import ScoreArray
from search.plans import group_by_plan, plan_view
from search.records import Clause, Document, Hit
from search.retrieve import Filters
from search.text import squeeze


# ---- pure fusion -------------------------------------------------------------------------------------
def test_diversify_caps_each_plan_and_only_reorders():
    plans = list("AAAAABBC")
    order = diversify(plans, 2)
    assert sorted(order) == list(range(8))  # nothing lost
    assert [plans[i] for i in order] == list("AABBCAAA")
    assert order[5:] == [2, 3, 4]  # the deferred keep their order
    assert diversify(plans, 0) == list(range(8))


def test_diversify_spreads_each_group_in_its_own_places():
    plans = list("AAAABB")
    groups = [1, 1, 1, 0, 0, 0]  # three holders of the quoted terms lead
    order = diversify(plans, 1, groups)
    assert [groups[i] for i in order] == groups  # no item falls below a lesser group's
    assert [plans[i] for i in order[:3]] == list("AAA")  # the only holders stay ahead
    assert [plans[i] for i in order[3:]] == list("ABB")


def test_plan_penalty_alternates_plans_of_close_scores():
    plans, scores = list("AAB"), np.array([1.0, 0.95, 0.9])
    assert penalise_plans(plans, scores, 0.1) == [0, 2, 1]
    assert penalise_plans(plans, scores, 0.0) == [0, 1, 2]
    assert penalise_plans(plans, scores, 1.0, groups=[1, 1, 0]) == [0, 1, 2]  # B cannot pass a holder
    assert penalise_plans(list("AAAB"), np.array([1.0, 0.9, 0.8, 0.1]), 0.2) == [0, 1, 2, 3]  # B too weak


def test_plan_more_counts_the_plans_later_items():
    assert plan_more(list("ABAAB"), 2) == [2, 1]


def test_verbatim_holders_rank_before_higher_scores():
    fused = np.array([0.9, 0.2, 0.5])
    assert rank_order(fused).tolist() == [0, 2, 1]
    assert rank_order(fused, np.array([False, True, False])).tolist() == [1, 0, 2]


# ---- through a Searcher ----------------------------------------------------------------------------
def test_a_topic_query_spans_the_plans(searcher):
    flooded = Counter(h.document.source for h in searcher.search("课后服务 双减", k=10, per_plan=0))
    spread = Counter(h.document.source for h in searcher.search("课后服务 双减", k=10))
    capped = Counter(h.document.source for h in searcher.search("课后服务 双减", k=10, per_plan=2))
    assert len(spread) > len(flooded) and max(spread.values()) < max(flooded.values())
    assert len(spread) >= 3  # the unspread ranking gives one plan most of the page
    assert max(capped.values()) <= 2 and len(capped) >= 4


def test_hits_say_how_many_more_their_plan_has(searcher):
    hits = searcher.search("课后服务 双减", k=10)
    ranking = searcher.ranking("课后服务 双减", Filters())
    pooled = Counter(searcher.clause_doc[ranking.rows].tolist())
    for hit in hits:
        shown = sum(h.document.source == hit.document.source for h in hits)
        assert hit.plan_more == pooled[searcher.doc_row[hit.document.source]] - shown
        assert hit.to_json()["plan_more"] == hit.plan_more
    assert any(h.plan_more > 0 for h in hits)


def test_a_lookup_in_one_plan_is_not_spread(searcher):
    query = "高台县2023年教育项目投资多少"
    assert searcher.targets_one_plan(query, Filters())
    assert not searcher.targets_one_plan("如何减轻学生作业负担", Filters())
    assert searcher.targets_one_plan("如何减轻学生作业负担", Filters(source="001"))
    spread = [h.clause.clause_id for h in searcher.search(query, k=10)]
    assert spread == [h.clause.clause_id for h in searcher.search(query, k=10, per_plan=0)]
    one = searcher.search("作业负担", k=8, filters=Filters(source="001"))
    assert len(one) == 8  # a source filter is a lookup in one plan: no cap empties the page


def test_plan_view_ranks_plans_by_their_best_clause(searcher):
    rows = plan_view(searcher, "师德师风建设", k=5)
    sources = [r.document.source for r in rows]
    assert len(sources) == len(set(sources)) >= 3
    best = [r.hits[0].score for r in rows]
    assert all(1 <= len(r.hits) <= 2 for r in rows)
    assert rows[0].hits[0].clause.clause_id == searcher.search("师德师风建设", k=1)[0].clause.clause_id
    assert best[0] == max(best)
    assert all(r.to_json()["hits"][0]["citation"] for r in rows)


def test_group_by_plan_keeps_two_per_plan_and_counts_the_rest():
    doc = {s: Document(source=s, title=s, text="", raw="") for s in "ab"}

    def hit(s, i):
        return Hit(Clause(f"{s}{i}", s, str(i), (), "x", 0, 1), doc[s], 1.0 - i / 10)

    rows = group_by_plan([hit("a", 0), hit("b", 1), hit("a", 2), hit("a", 3)])
    assert [r.document.source for r in rows] == ["a", "b"]
    assert [len(r.hits) for r in rows] == [2, 1] and rows[0].more == 1


def _unique_spans(searcher, n: int, seed: int = 7) -> list[tuple[str, int]]:
    clauses = searcher.catalogue.all_clauses()
    joined = "\x00".join(squeeze(c.text) for c in clauses)
    rng, out = random.Random(seed), []
    while len(out) < n:
        row = rng.randrange(len(clauses))
        text = clauses[row].text
        if len(text) < 30:
            continue
        start = rng.randrange(len(text) - 24)
        span = text[start : start + 24]
        needle = squeeze(span)
        if len(needle) >= 12 and joined.count(needle) == 1:
            out.append((span, row))
    return out


def test_a_span_copied_from_a_clause_brings_that_clause_first(searcher):
    spans = _unique_spans(searcher, 60)
    first = [searcher.ranking(span, Filters()).rows[0] for span, _ in spans]
    assert [int(f) for f in first] == [row for _, row in spans]


def test_verbatim_ignores_spacing_width_and_quote_style(searcher):
    span, row = _unique_spans(searcher, 1, seed=3)[0]
    varied = " ".join(span).replace(",", "，").replace("“", '"')
    assert int(searcher.ranking(varied, Filters()).rows[0]) == row
    assert searcher.verbatim_rows("短语", ScoreArray(np.zeros(searcher.n_docs, np.float32)), None).size == 0


def test_verbatim_respects_filters(searcher):
    span, row = _unique_spans(searcher, 1, seed=5)[0]
    other = next(s for s in searcher.doc_source if s != searcher.doc_source[searcher.clause_doc[row]])
    ranking = searcher.ranking(span, Filters(source=other))
    assert row not in ranking.rows.tolist() and ranking.verbatim == 0


def test_app_shows_more_from_a_plan_and_the_plan_rows(searcher):
    from search import app_views

    hits = searcher.search("课后服务 双减", k=10)
    more = next(h for h in hits if h.plan_more)
    assert f"该文件更多 {more.plan_more} 条" in app_views.hit_card(more, 1)
    rows = plan_view(searcher, "课后服务 双减", k=3)
    page = app_views.plan_rows_html("课后服务 双减", rows)
    assert page.count('class="plan-row"') == len(rows) == 3
    assert all(h.citation.split(" · ")[0] in page for row in rows for h in row.hits)


def test_similar_ranks_long_shared_wording_first(searcher):
    from search.wording import similar

    span, row = _unique_spans(searcher, 1, seed=11)[0]
    draft = "关于本地区的安排：" + span + "，请各单位认真执行。"
    groups = similar(searcher, draft, k=3)
    hits = [(h, spans) for g in groups for h, spans in zip(g.hits, g.shared, strict=True)]
    target = searcher.clause(row).clause_id
    found = [spans for h, spans in hits if h.clause.clause_id == target]
    assert found and max(b - a for a, b in found[0]) >= 10
