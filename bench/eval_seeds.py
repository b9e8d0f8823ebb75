"""Recall on the judged queries over the shipped plans (bench/seed_queries.jsonl), per leg and fused.

Usage: .venv/bin/python bench/eval_seeds.py [--json bench/results/seed_eval.json]
Builds a temporary index of corpus/ with the default model, then reports, for BM25-only, dense-only
and the default fusion, the share of retrieval queries whose answering clause is at rank 1 / in the
top 3 / top 5, per kind (topic, fact, wording), and whether every census term lists exactly its plans.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

from search.build import build_index
from search.census import census
from search.encoder import load_encoder
from search.retrieve import Searcher

from machine import ROOT, provenance, write_result

LEGS = {
    "bm25": dict(dense=0.0, keyword=1.0, document=0.0, pairs=0.0),
    "dense": dict(dense=1.0, keyword=0.0, document=0.0, pairs=0.0),
}


def load_queries(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def rank_of(searcher: Searcher, record: dict) -> int | None:
    """1-based rank of the first answering clause in the top 5, or None."""
    answers = {tuple(a) for a in record["answers"]}
    for rank, hit in enumerate(searcher.search(record["query"], k=5), 1):
        if (hit.document.source[:3], hit.clause.address) in answers:
            return rank
    return None


def evaluate(searcher: Searcher, records: list[dict]) -> dict:
    ranks = {r["query"]: rank_of(searcher, r) for r in records if r["kind"] != "census"}
    out = {}
    for kind in ("topic", "fact", "wording", "all"):
        chosen = [r for r in records if r["kind"] != "census" and kind in ("all", r["kind"])]
        found = [ranks[r["query"]] for r in chosen]
        out[kind] = {
            f"R@{k}": round(sum(1 for x in found if x and x <= k) / len(found), 3) for k in (1, 3, 5)
        } | {"n": len(found)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=ROOT / "bench/results/seed_eval.json")
    args = parser.parse_args()
    records = load_queries(ROOT / "bench/seed_queries.jsonl")
    encoder = load_encoder()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        build_index(ROOT / "corpus", Path(tmp) / "index", encoder)
        build_seconds = time.perf_counter() - started
        searcher = Searcher.open(Path(tmp) / "index", encoder=encoder)
        default = searcher.weights
        results = {"fusion": evaluate(searcher, records)}
        for name, weights in LEGS.items():
            searcher.weights = replace(default, quoted=0.0, **weights)
            results[name] = evaluate(searcher, records)
        searcher.weights = default
        census_ok = {
            r["query"]: {m.document.source[:3] for m in census(searcher, r["query"]).mentions}
            == {a[0] for a in r["answers"]}
            for r in records
            if r["kind"] == "census"
        }
    print(f"seed index built in {build_seconds:.1f}s")
    print(f"{'config':8s} {'kind':8s} {'n':>3s} {'R@1':>6s} {'R@3':>6s} {'R@5':>6s}")
    for config, table in results.items():
        for kind, row in table.items():
            cells = " ".join(f"{row[m]:6.3f}" for m in ("R@1", "R@3", "R@5"))
            print(f"{config:8s} {kind:8s} {row['n']:3d} {cells}")
    print(f"census terms exact: {sum(census_ok.values())}/{len(census_ok)}")
    payload = {
        **provenance("eval_seeds.py"),
        "weights": asdict(default),
        "results": results,
        "census_exact": census_ok,
        "build_seconds": round(build_seconds, 1),
    }
    write_result(args.json, payload)


if __name__ == "__main__":
    main()
