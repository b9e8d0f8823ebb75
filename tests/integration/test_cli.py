"""The CLI contract: JSON shapes, batch mode, filters and one-line errors, over a real index."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fakes import HIT_CONTRACT

pytestmark = pytest.mark.slow
CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "search.cli", *args], capture_output=True, text=True, timeout=300
    )
    if ok:
        assert result.returncode == 0, result.stderr
    return result


def test_query_json_contract(seed_index):
    hits = json.loads(
        run("query", "乡村教师支持计划", "-k", "3", "--index", str(seed_index), "--json").stdout
    )
    assert len(hits) == 3
    assert set(hits[0]) >= HIT_CONTRACT
    assert hits[0]["address"] == "三（三）17"


def test_batch_queries_print_json_lines_in_order(seed_index, tmp_path):
    batch = tmp_path / "q.txt"
    batch.write_text("学校封闭管理和保安配备\n\n家长学校建设\n", encoding="utf-8")
    lines = run(
        "query", "--batch", str(batch), "-k", "2", "--index", str(seed_index), "--json"
    ).stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["query"] for r in records] == ["学校封闭管理和保安配备", "家长学校建设"]
    assert all(len(r["hits"]) == 2 for r in records)


def test_filtered_query(seed_index):
    args = (
        "query",
        "学前教育",
        "-k",
        "4",
        "--year",
        "2020-2023",
        "--level",
        "县",
        "--index",
        str(seed_index),
        "--json",
    )
    hits = json.loads(run(*args).stdout)
    assert len(hits) == 4 and {h["region"] for h in hits} == {"高台县"}


def test_mentions_json(seed_index):
    docs = json.loads(run("mentions", "双减", "--index", str(seed_index), "--json").stdout)
    assert docs and all({"source", "title", "year", "count", "clauses"} <= set(d) for d in docs)
    assert all(d["count"] >= 1 for d in docs)


def test_ask_json(seed_index):
    data = json.loads(run("ask", "高台县2023年教育项目投资多少", "--index", str(seed_index), "--json").stdout)
    assert "1.1亿元" in data["answer"] and data["citations"][0]["address"]


def test_similar_json(seed_index):
    groups = json.loads(
        run("similar", "督促各地落实乡村教师支持计划", "--index", str(seed_index), "--json").stdout
    )
    years = [g["year"] or 9999 for g in groups]
    assert groups and years == sorted(years)  # precedents oldest first
    marked = [(c["text"], c["shared"]) for g in groups for c in g["clauses"] if c["shared"]]
    assert marked  # the seed plans carry this wording
    for text, spans in marked:  # each mark is a run of at least 4 characters the draft also has
        assert all(b - a >= 4 and text[a:b] in "督促各地落实乡村教师支持计划" for a, b in spans)
    assert any("乡村教师支持计划" in text[a:b] for text, spans in marked for a, b in spans)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("query", "   "), "empty query"),
        (("query", "教育", "--year", "2023-2020"), "bad year"),
        (("query", "教育", "--level", "乡"), "bad level"),
        (("mentions", ""), "empty term"),
    ],
)
def test_user_errors_are_one_line(seed_index, args, message):
    result = run(*args, "--index", str(seed_index), ok=False)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_index_is_one_line(tmp_path):
    result = run("query", "教育", "--index", str(tmp_path / "none"), ok=False)
    assert (
        result.returncode == 2 and "policy-search build" in result.stderr and "Traceback" not in result.stderr
    )


def test_inspect_json_shows_metadata_and_clauses():
    data = json.loads(run("inspect", str(CORPUS / "001_b9302f5c53e92b8b.txt"), "--json").stdout)
    doc = data["documents"][0]
    assert doc["doc_number"] == "高教发〔2023〕1号" and doc["provenance"]["doc_number"] == "read"
    assert [c["address"] for c in doc["clauses"]][1:4] == ["一1", "一2", "一3"]
