"""The judged cross-plan topic set (bench/topics.jsonl): well formed, and every judged clause is a
clause the shipped corpus is read into today.

The judgements name clauses by (source, address, part) exactly as ``policy-search inspect`` gives
them. A reader change that renumbers, merges or splits a clause would silently turn a judged clause
into one no ranking can return; this test fails instead, naming the clauses to re-judge.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from search.pipeline import ParsedDoc

TOPICS = Path(__file__).resolve().parents[2] / "bench" / "topics.jsonl"
KEYS = {"id", "query", "kind", "relevant"}
OPTIONAL = {"note", "terms"}

Key = tuple[str, str, int]


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def format_problems(records: list[dict]) -> list[str]:
    """Why each malformed record is malformed; [] when all are well formed."""
    problems, ids, queries = [], set(), set()
    for n, rec in enumerate(records, 1):
        where = f"line {n} ({rec.get('id', '?')})"
        if missing := KEYS - rec.keys():
            problems.append(f"{where}: missing {sorted(missing)}")
            continue
        if extra := rec.keys() - KEYS - OPTIONAL:
            problems.append(f"{where}: unknown fields {sorted(extra)}")
        if not re.fullmatch(r"t\d{2,3}", rec["id"]) or rec["id"] in ids:
            problems.append(f"{where}: id must be t01, t02 … and unique")
        if not isinstance(rec["query"], str) or not rec["query"].strip() or rec["query"] in queries:
            problems.append(f"{where}: query must be non-empty text, unique in the file")
        if rec["kind"] != "topic":
            problems.append(f"{where}: kind must be 'topic'")
        ids.add(rec["id"])
        queries.add(rec["query"])
        relevant = rec["relevant"]
        if not isinstance(relevant, list) or not relevant:
            problems.append(f"{where}: relevant must be a non-empty list")
            continue
        seen = set()
        for item in relevant:
            ok = (
                isinstance(item, dict)
                and item.keys() == {"source", "address", "part"}
                and isinstance(item["source"], str)
                and isinstance(item["address"], str)
                and isinstance(item["part"], int)
                and not isinstance(item["part"], bool)
                and item["part"] >= 0
            )
            if not ok:
                problems.append(f"{where}: relevant item {item!r} is not {{source, address, part>=0}}")
                continue
            key = (item["source"], item["address"], item["part"])
            if key in seen:
                problems.append(f"{where}: {key} listed twice")
            seen.add(key)
        if "terms" in rec and not (
            isinstance(rec["terms"], list) and all(isinstance(t, str) and t for t in rec["terms"])
        ):
            problems.append(f"{where}: terms must be a list of non-empty strings")
    return problems


def judged(records: list[dict]) -> dict[Key, list[str]]:
    """Every judged clause with the ids of the queries that judge it."""
    out: dict[Key, list[str]] = {}
    for rec in records:
        for item in rec["relevant"]:
            out.setdefault((item["source"], item["address"], item["part"]), []).append(rec["id"])
    return out


def corpus_keys(seeds: dict[str, ParsedDoc]) -> set[Key]:
    return {(c.source, c.address, c.part) for parsed in seeds.values() for c in parsed.clauses}


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return load(TOPICS)


def test_every_record_is_well_formed(records):
    assert format_problems(records) == []


def test_the_set_is_large_and_spans_plans(records):
    """At least 30 queries, and most of them have answers in more than one plan: a set whose answers
    sit in one plan each could not tell a ranking that spans the plans from one that does not."""
    assert len(records) >= 30
    multi_plan = [r for r in records if len({item["source"] for item in r["relevant"]}) >= 2]
    assert len(multi_plan) >= 0.75 * len(records)


def test_every_judged_clause_exists_in_the_shipped_corpus(records, seeds):
    """The clauses as inspect reads corpus/ today; a reader change that moves one fails here."""
    have = corpus_keys(seeds)
    missing = {key: ids for key, ids in judged(records).items() if key not in have}
    assert not missing, f"judged clauses the corpus no longer has (re-judge these queries): {missing}"


def test_the_checks_catch_a_moved_or_malformed_judgement(records, seeds):
    """The validators are not vacuous: a clause address the chunker does not produce, a duplicate id
    and a part given as text are each reported."""
    source = records[0]["relevant"][0]["source"]
    moved = dict(records[0], relevant=[{"source": source, "address": "九（九）99", "part": 0}])
    assert next(iter(judged([moved]))) not in corpus_keys(seeds)
    text_part = [{"source": source, "address": "一", "part": "0"}]
    broken = dict(records[1], id=records[0]["id"], relevant=text_part)
    problems = format_problems([records[0], broken])
    assert any("unique" in p for p in problems)
    assert any("part>=0" in p for p in problems)
