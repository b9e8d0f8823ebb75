"""Regression guard on retrieval quality: the default fusion on all 400 NCP queries.

Builds the NCP index once into .cache/ncp-index (rebuilt only when the corpus hash, model or chunker
version in its manifest no longer match) and reuses bench/eval_ncp.py to score it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmod import bench_module

REPO = Path(__file__).resolve().parents[2]
NCP = REPO.parent / "shared/benchmarks/ncp"
INDEX = REPO / ".cache/ncp-index"
MARGIN = 0.01

# Measured 2026-12-02 with `.venv/bin/python bench/eval_ncp.py --grid` (fusion-default row of
# bench/results/ncp_eval.json: all 400 queries, default Weights(), the default multilingual-e5-small-int8,
# on an AMD EPYC without VNNI, so 7-bit int8 weights); update them when the default model, the weights,
# the legs, the passages, the chunker or the metadata reader change on purpose (last: the document
# character-pair leg and the weights retuned with it, MRR@10 0.8778 -> 0.9015, R@5 0.96 -> 0.97).
# answer@5 is over the 800-character passages hits return; answer_clause@5 over bare clause texts.
# 3 December (session 11), queries now encoded one at a time as searches encode them (the int8 model
# quantises activations per batch): R@5 0.9675, MRR@10 0.8993, answer@5 0.95, answer_clause@5 0.9075,
# inside the margin of the values below, which are kept rather than lowered to it.
MEASURED = {"R@5": 0.97, "MRR@10": 0.9015, "answer@5": 0.9475, "answer_clause@5": 0.905}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (NCP / "queries.jsonl").is_file(), reason=f"NCP benchmark not found at {NCP}"),
]


@pytest.fixture(scope="module")
def bench():
    from search.encoder import load_encoder
    from search.retrieve import Weights

    ev = bench_module("eval_ncp.py")
    encoder = load_encoder()
    ev.ensure_index(NCP, INDEX, encoder, progress=False)
    corpus, queries = ev.load_ncp(NCP)
    searcher = ev.open_searcher(INDEX, encoder, queries)
    assert searcher.weights == Weights()
    return ev, ev.Bench(searcher, corpus, queries)


def test_default_fusion_holds_its_measured_quality(bench):
    ev, judged = bench
    from search.retrieve import Weights

    assert len(judged.judged) == 400
    got = ev.summarise(ev.evaluate(judged, Weights()))
    low = {m: got[m] for m in MEASURED if got[m] < MEASURED[m] - MARGIN}
    assert not low, (
        f"NCP quality fell below the measured values minus {MARGIN}: {low} (measured {MEASURED}, got {got})"
    )
