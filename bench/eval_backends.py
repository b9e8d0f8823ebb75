"""The Milvus backend against the local one: same ranks, same census, same NCP figures, and latency.

Each corpus is built once locally with the real model, then rebuilt with ``--backend milvus`` into a
copy of that index (the rebuild reuses every stored vector, so both backends hold the same vectors).
Then, through the library's own Searcher on each backend:

- the shipped plans: the judged seed queries' top 10 (clause ids and scores) and the census of a few
  terms, compared;
- NCP: R@5, MRR@10 and answer@5 as bench/eval_ncp.py computes them, and how many queries rank their
  top 10 identically;
- sizes: sparse entries per clause and per document (the BM25 weights Milvus holds), disk per clause;
- latency: ``search`` (k=10) at about 10k clauses (NCP's notices three times over, hash vectors of the
  real model's 384 dimensions, so no encoder runs), both backends on this machine, unfiltered and with
  a year filter. milvus-lite is a development engine running in this process: its figure is a floor
  for what a Milvus server or cluster costs, not a promise for one.

Usage: .venv/bin/python bench/eval_backends.py [--quick] [--json bench/results/backends.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from search.backends.milvus import MilvusBackend, release_lite
from search.backends.serving import open_searcher
from search.build import build_index
from search.census import census
from search.filters import Filters
from search.retrieve import Weights

from eval_ncp import Bench, evaluate, load_ncp, summarise
from machine import provenance, relative

ROOT = Path(__file__).resolve().parents[1]
NCP = ROOT.parent / "shared/benchmarks/ncp"
SEED_QUERIES = ROOT / "bench/seed_queries.jsonl"
CENSUS_TERMS = ("双减", "教师", "课后服务", "经费", "“五项管理”")
NCP_METRICS = ("R@5", "MRR@10", "answer@5")


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def both(corpus, work: Path, name: str, encoder) -> tuple:
    """(local searcher, milvus searcher, backend, build seconds) for ``corpus``, built in ``work``."""
    local_dir, milvus_dir = work / f"{name}-local", work / f"{name}-milvus"
    t0 = time.perf_counter()
    build_index(corpus, local_dir, encoder)
    local_s = time.perf_counter() - t0
    # rebuilt once, reusing its vectors, as the milvus build below does: a text indexed twice was
    # embedded in two batches (the int8 model scales activations per batch, so its two vectors differ
    # slightly) and a rebuild keeps one vector per text; both backends then hold the same vectors
    assert build_index(corpus, local_dir, encoder).embedded == 0
    shutil.copytree(local_dir, milvus_dir)
    backend = MilvusBackend(str(work / f"{name}.db"))
    t0 = time.perf_counter()
    report = build_index(corpus, milvus_dir, encoder, backend=backend)
    milvus_s = time.perf_counter() - t0
    assert report.embedded == 0, "the milvus build should reuse every vector"
    local = open_searcher(local_dir, encoder=encoder)
    served = open_searcher(milvus_dir, encoder=encoder, backend="milvus", uri=backend.uri)
    seconds = {"local_build": round(local_s, 1), "milvus_rebuild_reusing_vectors": round(milvus_s, 1)}
    return local, served, backend, seconds


def same_top10(local, served, query: str) -> bool:
    """The same clauses in the same order, scores equal to float32 rounding (1e-5)."""
    a, b = local.search(query, k=10), served.search(query, k=10)
    scores = max((abs(x.score - y.score) for x, y in zip(a, b, strict=False)), default=0.0)
    return [h.clause.clause_id for h in a] == [h.clause.clause_id for h in b] and scores <= 1e-5


def sizes(local, backend: MilvusBackend, n_clauses: int, n_docs: int) -> dict:
    """Sparse entries per row of each keyword leg (what Milvus stores: 8 bytes an entry, id + float32)."""
    store = local.store
    nnz = {
        leg: sum(len(ids) for ids, _ in getattr(store, f"bm25_{leg}").row_weights())
        for leg in ("clauses", "documents", "doc_pairs")
    }
    return {
        "clauses": n_clauses,
        "documents": n_docs,
        "sparse_entries_per_clause": round(nnz["clauses"] / n_clauses, 1),
        "sparse_entries_per_document": {
            "words": round(nnz["documents"] / n_docs, 1),
            "pairs": round(nnz["doc_pairs"] / n_docs, 1),
        },
        "sparse_entries_per_clause_all_legs": round(sum(nnz.values()) / n_clauses, 1),
        "local_generation_bytes_per_clause": round(dir_size(store.path) / n_clauses),
        "milvus_lite_bytes_per_clause": round(dir_size(Path(backend.uri)) / n_clauses),
    }


def seeds_part(encoder, work: Path) -> dict:
    local, served, backend, seconds = both(ROOT / "corpus", work, "seeds", encoder)
    queries = [json.loads(line)["query"] for line in SEED_QUERIES.open(encoding="utf-8")]
    same = sum(same_top10(local, served, q) for q in queries)
    census_same = 0
    for term in CENSUS_TERMS:
        a, b = census(local, term), census(served, term)
        census_same += [m.to_json() for m in a.mentions] == [m.to_json() for m in b.mentions]
    out = {
        "seed_queries": len(queries),
        "seed_queries_identical_top10": same,
        "census_terms": list(CENSUS_TERMS),
        "census_identical": census_same,
        "seconds": seconds,
        "sizes": sizes(local, backend, local.store.n_clauses, local.n_docs),
    }
    backend.close()
    return out


def ncp_part(encoder, work: Path, quick: bool, data: Path) -> dict:
    corpus, queries = load_ncp(data)
    queries = queries[:80] if quick else queries
    local, served, backend, seconds = both(data / "corpus.jsonl", work, "ncp", encoder)
    metrics = {}
    for name, searcher in (("local", local), ("milvus", served)):
        bench = Bench(searcher, corpus, queries)
        per_query = evaluate(bench, Weights())
        metrics[name] = {m: v for m, v in summarise(per_query).items() if m in NCP_METRICS}
    same = sum(same_top10(local, served, q["query"]) for q in queries)
    out = {
        "queries": len(queries),
        "metrics": metrics,
        "largest_difference": max(abs(metrics["local"][m] - metrics["milvus"][m]) for m in NCP_METRICS),
        "identical_top10": same,
        "seconds": seconds,
        "sizes": sizes(local, backend, local.store.n_clauses, local.n_docs),
    }
    backend.close()
    return out


def pct(times: list[float]) -> dict:
    times = sorted(times)
    return {"p50": round(statistics.median(times), 1), "p95": round(times[int(0.95 * (len(times) - 1))], 1)}


def latency_part(work: Path, copies: int, n_queries: int, data: Path) -> dict:
    """search() latency at NCP × ``copies`` with hash vectors (no model), both backends."""
    sys.path.insert(0, str(ROOT / "tests"))
    from fakes import HashEncoder

    corpus, queries = load_ncp(data)
    path = work / "latency.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for copy in range(copies):  # a distinct line per copy: identical documents are indexed once
            for docid, text in corpus.items():
                out.write(
                    json.dumps({"docid": f"{docid}-{copy}", "text": f"{text}\n（第{copy + 1}份）"}) + "\n"
                )
    local, served, backend, seconds = both(path, work, "latency", HashEncoder(dim=384))
    texts = [q["query"] for q in queries[:n_queries]]
    year = Filters.parse(year="2020")
    result = {"clauses": local.store.n_clauses, "queries": len(texts), "seconds": seconds, "ms": {}}
    for name, searcher in (("local", local), ("milvus", served)):
        for label, filters in (("unfiltered", None), ("year_2020", year)):
            for text in texts[:5]:
                searcher.search(text, k=10, filters=filters)  # warm-up
            times = []
            for text in texts:
                t0 = time.perf_counter()
                searcher.search(text, k=10, filters=filters)
                times.append((time.perf_counter() - t0) * 1000)
            times.sort()
            result["ms"][f"{name}_{label}"] = pct(times)
    # one Milvus call of each kind: the whole-array keyword interface fetches every matching row (up
    # to 16,384 a leg); a seam asking for the top rows and the pooled rows' scores needs ~100
    tokens = [local.tokenizer(text) for text in texts]
    for label, limit in (("clause_words_all_rows", local.store.n_clauses), ("clause_words_top100", 100)):
        times = []
        for toks in tokens:
            weights = local.store.bm25_clauses.query_weights(toks)
            t0 = time.perf_counter()
            backend.keyword_scores("clauses", weights, limit, None)
            times.append((time.perf_counter() - t0) * 1000)
        result["ms"][f"milvus_call_{label}"] = pct(times)
    vectors = HashEncoder(dim=384).encode_queries(texts)
    times = []
    for vector in vectors:
        t0 = time.perf_counter()
        backend.dense_search(vector, 50, None)
        times.append((time.perf_counter() - t0) * 1000)
    result["ms"]["milvus_call_dense_top50"] = pct(times)
    backend.close()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=NCP, help="NCP folder (corpus.jsonl, queries.jsonl)")
    parser.add_argument("--quick", action="store_true", help="80 NCP queries, 50 latency queries")
    parser.add_argument("--copies", type=int, default=3, help="NCP copies in the latency corpus")
    parser.add_argument("--json", type=Path, default=ROOT / "bench/results/backends.json")
    args = parser.parse_args(argv)

    from search.encoder import load_encoder

    started = time.perf_counter()
    encoder = load_encoder(None)
    report: dict = {**provenance("eval_backends.py", argv), "model": encoder.name}
    with tempfile.TemporaryDirectory(prefix="eval-backends-") as tmp:
        work = Path(tmp)
        try:
            report["seeds"] = seeds_part(encoder, work)
            print("seeds:", json.dumps(report["seeds"], ensure_ascii=False))
            report["ncp"] = ncp_part(encoder, work, args.quick, args.data)
            print("ncp:", json.dumps(report["ncp"], ensure_ascii=False))
            report["latency"] = latency_part(work, args.copies, 50 if args.quick else 200, args.data)
            print("latency:", json.dumps(report["latency"], ensure_ascii=False))
        finally:
            for db in work.glob("*.db"):
                release_lite(str(db))
    report["note"] = "milvus-lite runs in-process: its latency is a floor for a Milvus server, not a promise"
    report["data"] = relative(args.data)
    report["seconds_total"] = round(time.perf_counter() - started, 1)
    args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {relative(args.json)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
