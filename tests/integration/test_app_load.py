"""The app under concurrent clients answers every request, and answers it right (bench/load_app.py --quick).

bench/load_app.py starts app.py in a subprocess over the shipped corpus's index and runs 4 clients for
5 seconds through the app's HTTP API: searches with the judged queries of bench/seed_queries.jsonl, plus
a census and a cited answer now and then. These tests assert behaviour only: no request fails, and every
search returns its judged clause where tests/integration/test_seed_queries.py expects it (so concurrent
requests neither error nor get each other's results). Timings are reported by the script, never
asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from benchmod import bench_module

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "bench" / "load_app.py"
KNOWN_QUERY = "普惠性幼儿园建设和学前教育学位"  # client 0's first request
KNOWN_CLAUSES = {("000", "三（二）6"), ("003", "二6")}


@pytest.fixture(scope="module")
def load_app():
    return bench_module("load_app.py")


def test_the_checker_accepts_the_apps_real_rendering_and_rejects_wrong_or_empty_results(
    load_app, seed_searcher
):
    """The script reads hits out of the app's HTML; this pins that reading to the real renderer."""
    from search import app_views

    searches, _, _ = load_app.load_cases()
    case = next(c for c in searches if c.text == KNOWN_QUERY)
    assert case.answers == KNOWN_CLAUSES
    hits = seed_searcher.search(case.text, k=load_app.SEARCH_K, context=load_app.SEARCH_CONTEXT)
    result = (app_views.results_html(case.text, hits), app_views.citations_text(hits))

    assert load_app.search_hits(result[0]) == [(h.document.source[:3], h.clause.address) for h in hits]
    assert load_app.check(case, result) == ""
    assert load_app.check(case, ("", "")), "an empty result (what a user error gives) is a failure"
    assert load_app.check(case, (app_views.results_html(case.text, []), "")), "no hits is a failure"
    elsewhere = load_app.Case("search", case.text, judged="fact", answers=frozenset({("004", "一1")}))
    assert load_app.check(elsewhere, result), "a result without the judged clause is a failure"


def test_the_checker_reads_the_data_apis_json_and_rejects_wrong_or_empty_results(load_app, seed_searcher):
    from search import api

    searches, census, asks = load_app.load_cases()
    case = next(c for c in searches if c.text == KNOWN_QUERY)
    hits = api.search(seed_searcher, case.text, k=load_app.SEARCH_K, context=load_app.SEARCH_CONTEXT)

    assert load_app.api_search_hits(hits) == [(h["source"][:3], h["address"]) for h in hits]
    assert load_app.check(case, hits, "api") == ""
    assert load_app.check(case, [], "api"), "no hits is a failure"
    elsewhere = load_app.Case("search", case.text, judged="fact", answers=frozenset({("004", "一1")}))
    assert load_app.check(elsewhere, hits, "api"), "a result without the judged clause is a failure"
    term = census[0]
    plans = api.census(seed_searcher, term.text)
    assert load_app.check(term, plans, "api") == ""
    assert load_app.check(term, plans[1:], "api"), "a plan missing from the census is a failure"
    question = asks[0]
    answer = api.ask(seed_searcher, question.text, k=load_app.ASK_K)
    assert load_app.check(question, answer, "api") == ""
    assert load_app.check(question, {**answer, "citations": []}, "api"), "an uncited answer is a failure"


@pytest.mark.slow
def test_quick_load_through_the_data_api_every_request_succeeds(load_app, seed_index, tmp_path):
    args = load_app.parse_args(
        ["--quick", "--endpoints", "api", "--index", str(seed_index), "--output", str(tmp_path / "load.json")]
    )
    report = load_app.run(args)

    assert report.endpoints == "api" and report.clients == 4
    assert report.requests == len(report.records) > 0
    assert report.errors == 0, report.error_samples
    assert {"search"} <= {r.kind for r in report.records} <= {"search", "census", "ask"}
    judged = {c.text: c for c in load_app.load_cases()[0]}
    for record in (r for r in report.records if r.kind == "search"):
        assert set(record.hits[: load_app.search_depth(judged[record.query])]) & judged[record.query].answers


@pytest.mark.slow
def test_quick_load_every_request_succeeds_with_its_judged_clause(load_app, seed_index, tmp_path):
    args = load_app.parse_args(
        ["--quick", "--index", str(seed_index), "--output", str(tmp_path / "load.json")]
    )
    report = load_app.run(args)

    assert report.clients == 4 and report.transport == "client"
    assert report.requests == len(report.records) > 0
    assert report.errors == 0, report.error_samples
    assert all(count > 0 for count in report.per_client_requests), report.per_client_requests
    judged = {c.text: c for c in load_app.load_cases()[0]}
    searches = [r for r in report.records if r.kind == "search"]
    assert searches
    for record in searches:
        case = judged[record.query]
        top = record.hits[: load_app.search_depth(case)]
        assert set(top) & case.answers, (record.query, record.hits)
    known = [r for r in searches if r.query == KNOWN_QUERY]
    assert known, "client 0 starts with the known query"
    assert all(set(r.hits[:3]) & KNOWN_CLAUSES for r in known)


@pytest.mark.slow
def test_quick_load_from_the_command_line_over_plain_http(seed_index, tmp_path):
    output = tmp_path / "app_load-quick.json"
    command = [sys.executable, str(SCRIPT), "--quick", "--transport", "http", "--index", str(seed_index),
               "--output", str(output)]  # fmt: skip
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(output.read_text(encoding="utf-8"))
    assert report["transport"] == "http" and report["clients"] == 4
    assert report["requests"] > 0 and report["errors"] == 0, report["error_samples"]
    assert report["by_kind"]["search"]["requests"] > 0
    assert report["by_kind"]["search"]["errors"] == 0
    assert "records" not in report
