"""Cross-plan topic queries over the shipped plans: does a topic query reach every plan that addresses it?

    .venv/bin/python bench/eval_topics.py                       # bench/topics.jsonl, the plans, then corpus/
    .venv/bin/python bench/eval_topics.py --topics FILE --index DIR --index-all DIR

Each topic (bench/topics.jsonl: {"id", "query", "kind": "topic", "relevant": [{"source", "address",
"part"}, …]}) lists every clause of every plan judged to address it. Metrics over the top 10 hits:
clause recall@10 (relevant clauses found / min(relevant, 10), so a topic with more than ten relevant
clauses can still score 1), plan recall@10 (of the plans holding a relevant clause, the share with a
hit in the top 10; ``plan_recall_relevant@10`` counts only hits that are themselves relevant) and
nDCG@10 (binary gains).

The per-plan spread is chosen by measurement: each configuration (no spread, a cap of 1–4 clauses per
plan, a plan penalty à la maximal marginal relevance) is tuned on one half of the topics (even or odd
position in the file) and reported on the other half, both ways; the figures of the library's default
are reported on all topics too.

Then the same topics over the whole shipped corpus, the plans and the national laws beside them
(corpus/ with corpus/laws): the law articles are unjudged (never relevant here), so the figures are
those of the plans' clauses, beside how many law articles take a place in the top 10 (``laws@10``).
The cap on law articles ahead of the plans' clauses (Weights.law_cap: none, 1, 2 or 3) is chosen
the same way, on one half of the topics and reported on the other.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import shutil
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from search.cues import names_a_law
from search.fusion import Weights
from search.keyword import normalise
from search.retrieve import Filters, Searcher

from machine import machine, write_result

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TOPICS = ROOT / "bench/topics.jsonl"
DEFAULT_JSON = ROOT / "bench/results/topics_eval.json"
K = 10
TARGETS = {"clause_recall@10": 0.90, "plan_recall@10": 0.95}
METRICS = ("clause_recall@10", "plan_recall@10", "plan_recall_relevant@10", "nDCG@10")
# configurations tried: ("cap", n) spreads with Weights.per_plan = n (0: none); ("penalty", x) ranks
# greedily by fused score minus x per clause of the same plan already taken
CONFIGS = [("cap", n) for n in (0, 1, 2, 3, 4)] + [("penalty", x) for x in (0.05, 0.1, 0.2, 0.3, 0.5)]
# over plans and laws, with the default spread: ("law_cap", n) keeps at most n law articles ahead of
# the plans' clauses (-1: no cap). A cap of 0 (law articles only when a query asks for law text) is
# left out by design: the law article that scores best on a topic is still shown once.
LAW_CONFIGS = [("law_cap", n) for n in (-1, 1, 2, 3)]


def load_topics(path: Path) -> list[dict]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def key(source: str, address: str, part: int) -> tuple[str, str, int]:
    return (source, address, int(part or 0))


def ranked_keys(searcher: Searcher, query: str, config: tuple[str, float]) -> list[tuple]:
    """(source, address, part) of the top K clauses under ``config``: through Searcher.search, with
    the cap asked for (``per_plan``) or the plan penalty set in its weights."""
    hits = ranked_hits(searcher, query, config)
    return [key(h.document.source, h.clause.address, h.clause.part) for h in hits]


def ranked_hits(searcher: Searcher, query: str, config: tuple[str, float]) -> list:
    """The top K hits under ``config`` (see ranked_keys; ("law_cap", n) sets Weights.law_cap)."""
    kind, value = config
    saved = searcher.weights
    if kind == "penalty":
        searcher.weights = replace(saved, plan_penalty=float(value), per_plan=0)
    if kind == "law_cap":
        searcher.weights = replace(saved, law_cap=int(value))
    try:
        return searcher.search(query, k=K, per_plan=int(value) if kind == "cap" else None)
    finally:
        searcher.weights = saved


def score(topic: dict, got: list[tuple]) -> dict[str, float]:
    relevant = {key(r["source"], r["address"], r.get("part", 0)) for r in topic["relevant"]}
    top = got[:K]
    found = [k in relevant for k in top]
    plans = {k[0] for k in relevant}
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), K)))
    dcg = sum(1 / math.log2(i + 2) for i, hit in enumerate(found) if hit)
    return {
        "clause_recall@10": sum(found) / min(len(relevant), K) if relevant else 0.0,
        "plan_recall@10": len(plans & {k[0] for k in top}) / len(plans) if plans else 0.0,
        "plan_recall_relevant@10": len(plans & {k[0] for k, f in zip(top, found, strict=True) if f})
        / len(plans)
        if plans
        else 0.0,
        "nDCG@10": dcg / ideal if ideal else 0.0,
    }


def mean(rows: list[dict]) -> dict[str, float]:
    return {m: round(float(np.mean([r[m] for r in rows])), 4) if rows else 0.0 for m in METRICS}


def choose(per: dict, half: list[int], configs: list[tuple] = CONFIGS) -> tuple:
    """The configuration best on ``half``: clause recall, then plan recall, then nDCG (ties: the
    earlier, simpler one)."""

    def by(config):
        m = mean([per[config][i] for i in half])
        return (m["clause_recall@10"], m["plan_recall@10"], m["nDCG@10"])

    return max(configs, key=by)


def folds_of(per: dict, n: int, configs: list[tuple]) -> dict:
    """Each half's pick (see choose) reported on the other half, both ways."""
    even = [i for i in range(n) if i % 2 == 0]
    odd = [i for i in range(n) if i % 2 == 1]
    folds = {}
    for name, tune, check in (("even→odd", even, odd), ("odd→even", odd, even)):
        picked = choose(per, tune, configs)
        folds[name] = {
            "picked": list(picked),
            "tuned": mean([per[picked][i] for i in tune]),
            "reported": mean([per[picked][i] for i in check]),
            "n_tune": len(tune),
            "n_report": len(check),
        }
    return folds


def evaluate(searcher: Searcher, topics: list[dict]) -> dict:
    per = {c: [score(t, ranked_keys(searcher, t["query"], c)) for t in topics] for c in CONFIGS}
    default = ("penalty", Weights().plan_penalty)
    return {
        "configs_tried": [list(c) for c in CONFIGS],
        "all_topics": {f"{k}={v}": mean(per[(k, v)]) for k, v in CONFIGS},
        "folds": folds_of(per, len(topics), CONFIGS),
        "default": {"config": list(default), **mean(per[default])},
        "targeted_as_one_plan": [t["id"] for t in topics if searcher.targets_one_plan(t["query"], Filters())],
        "per_topic_default": {t["id"]: per[default][i] for i, t in enumerate(topics)},
    }


def evaluate_with_laws(searcher: Searcher, topics: list[dict]) -> dict:
    """The topics over plans and laws: the plans' figures and law articles in the top 10 per law
    cap, the cap chosen on one half and reported on the other; and the plans alone (kind=plan)."""
    laws = {searcher.doc_source[d] for d in np.flatnonzero(searcher.doc_law)}
    per, counts = {}, {}
    for config in LAW_CONFIGS:
        hits = [ranked_hits(searcher, t["query"], config) for t in topics]
        per[config] = [score(t, [key(h.document.source, h.clause.address, h.clause.part) for h in found])
                       for t, found in zip(topics, hits, strict=True)]  # fmt: skip
        counts[config] = [sum(h.document.source in laws for h in found) for found in hits]
    plans_only = [
        score(t, [key(h.document.source, h.clause.address, h.clause.part) for h in found])
        for t in topics
        for found in [searcher.search(t["query"], k=K, filters=Filters(kind="plan"))]
    ]
    default = ("law_cap", Weights().law_cap)
    with_counts = {
        f"{k}={v}": {**mean(per[(k, v)]), "laws@10": round(float(np.mean(counts[(k, v)])), 2),
                     "topics_with_a_law": int(sum(c > 0 for c in counts[(k, v)]))}
        for k, v in LAW_CONFIGS
    }  # fmt: skip
    folds = folds_of(per, len(topics), LAW_CONFIGS)
    for fold in folds.values():
        picked = tuple(fold["picked"])
        half = range(1 if fold is folds["even→odd"] else 0, len(topics), 2)
        fold["reported_laws@10"] = round(float(np.mean([counts[picked][i] for i in half])), 2)
    return {
        "laws_indexed": len(laws),
        "configs_tried": [list(c) for c in LAW_CONFIGS],
        "all_topics": with_counts,
        "folds": folds,
        "default": {"config": list(default), **with_counts[f"law_cap={default[1]}"]},
        "kind_plan_filter": mean(plans_only),
        "topics_naming_a_law": [t["id"] for t in topics if names_law(searcher, t["query"])],
    }


def names_law(searcher: Searcher, query: str) -> bool:
    names = searcher.law_names
    return names_a_law(normalise(query), names, max(map(len, names), default=0))


def open_index(index: Path | None, corpus: Path, encoder) -> Searcher:
    """``index`` opened, or an index of ``corpus`` built into a temporary folder."""
    from search.build import build_index

    if index is None:
        index = Path(tempfile.mkdtemp(prefix="topics-index-")) / "index"
        build_index(corpus, index, encoder, progress=False)
    return Searcher.open(index, encoder=encoder)


def plans_copy() -> Path:
    """The shipped plans and their catalog (corpus/'s top level) copied into a temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="topics-plans-"))
    for path in (ROOT / "corpus").iterdir():
        if path.is_file():
            shutil.copy2(path, folder / path.name)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topics", type=Path, default=DEFAULT_TOPICS)
    parser.add_argument(
        "--index", type=Path, default=None, help="an index of the plans alone (default: build one)"
    )
    parser.add_argument(
        "--index-all", type=Path, default=None, help="an index of corpus/ (plans, laws; default: build one)"
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    topics = load_topics(args.topics)
    from search.encoder import load_encoder

    encoder = load_encoder()
    searcher = open_index(args.index, plans_copy(), encoder)
    result = evaluate(searcher, topics)
    result["with_laws"] = evaluate_with_laws(open_index(args.index_all, ROOT / "corpus", encoder), topics)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    report = {
        "command": ".venv/bin/python bench/eval_topics.py"
        + (" --index <an index of the plans>" if args.index else "")
        + (" --index-all <an index of corpus/>" if args.index_all else ""),
        "commit": commit.strip(),
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(),
        "topics": args.topics.name,
        "n_topics": len(topics),
        "relevant_clauses": sum(len(t["relevant"]) for t in topics),
        "model": searcher.store.manifest.get("model"),
        "targets": TARGETS,
        **result,
        "seconds": round(time.perf_counter() - started, 1),
    }
    for name, row in report["all_topics"].items():
        print(f"{name:14s} " + "  ".join(f"{m} {row[m]:.3f}" for m in METRICS))
    for name, fold in report["folds"].items():
        print(f"{name}: picked {fold['picked']} tuned {fold['tuned']} reported {fold['reported']}")
    print(f"default {report['default']}")
    laws = report["with_laws"]
    for name, row in laws["all_topics"].items():
        print(f"with laws {name:10s} " + "  ".join(f"{m} {v}" for m, v in row.items()))
    for name, fold in laws["folds"].items():
        print(f"with laws {name}: picked {fold['picked']} reported {fold['reported']}")
    print(f"with laws, kind=plan: {laws['kind_plan_filter']}")
    write_result(args.json, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
