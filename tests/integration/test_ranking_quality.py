"""Ranking across plans over the shipped plans with the real model: the judged cross-plan topics
(bench/topics.jsonl), verbatim spans, and the CLI's plan options."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from benchmod import bench_module

from search.retrieve import Filters

pytestmark = pytest.mark.slow
TOPICS = Path(__file__).resolve().parents[2] / "bench/topics.jsonl"
# floors under the figures of bench/results/topics_eval.json (default spread, all 45 topics: clause
# recall@10 0.825, plan recall@10 0.991, nDCG@10 0.849); the clause-recall target of 0.90 is not met
FLOORS = {"clause_recall@10": 0.80, "plan_recall@10": 0.95, "nDCG@10": 0.82}


def test_topic_queries_reach_the_plans_that_address_them(seed_searcher):
    ev = bench_module("eval_topics.py")
    from search.fusion import Weights

    topics = ev.load_topics(TOPICS)
    assert len(topics) >= 30
    default = ("penalty", Weights().plan_penalty)
    got = ev.mean([ev.score(t, ev.ranked_keys(seed_searcher, t["query"], default)) for t in topics])
    low = {m: got[m] for m, floor in FLOORS.items() if got[m] < floor}
    assert not low, f"cross-plan topics under their floors {FLOORS}: {got}"
    unspread = ev.mean([ev.score(t, ev.ranked_keys(seed_searcher, t["query"], ("cap", 0))) for t in topics])
    assert got["plan_recall@10"] > unspread["plan_recall@10"] + 0.2  # the spread is what reaches the plans


def test_spans_copied_from_clauses_bring_their_clause_first(seed_searcher):
    ev = bench_module("exact_spans.py")
    spans = ev.sample_spans(seed_searcher.catalogue.all_clauses(), 200)
    assert len(spans) == 200
    result = ev.evaluate(seed_searcher, spans)
    assert result["top1"] == 1.0, result["misses"]


def test_lookups_name_their_plan_and_topics_do_not(seed_searcher):
    assert seed_searcher.targets_one_plan("高台县2023年规划投资多少实施教育重点项目", Filters())
    assert not seed_searcher.targets_one_plan("如何减轻学生作业负担", Filters())


def run(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "search.cli", *args], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_cli_per_plan_caps_and_by_plan_lists_plans(seed_index):
    capped = json.loads(
        run("query", "双减", "-k", "10", "--per-plan", "1", "--index", str(seed_index), "--json")
    )
    sources = [h["source"] for h in capped]
    assert len(set(sources[:3])) == 3 and all("plan_more" in h for h in capped)
    flat = json.loads(
        run("query", "双减", "-k", "10", "--per-plan", "0", "--index", str(seed_index), "--json")
    )
    assert len(set(h["source"] for h in flat[:3])) < 3  # uncapped, one plan leads with several
    rows = json.loads(run("query", "双减", "-k", "4", "--by-plan", "--index", str(seed_index), "--json"))
    assert len(rows) == len({r["source"] for r in rows}) >= 2
    assert all(1 <= len(r["hits"]) <= 2 and r["hits"][0]["citation"] for r in rows)
