"""The Milvus backend against the local one: same ranks, same census, same NCP figures, and latency.

Each corpus is built once locally with the real model, then rebuilt with ``--backend milvus`` into a
copy of that index (the rebuild reuses every stored vector, so both backends hold the same vectors).
Then, through the library's own Searcher on each backend:

- the shipped plans: the judged seed queries' top 10 (clause ids and scores) and the census of a few
  terms, compared;
- NCP: R@5, MRR@10 and answer@5 as bench/eval_ncp.py computes them, and how many queries rank their
  top 10 identically;
- sizes: sparse entries per clause and per document (the BM25 weights Milvus holds), disk per clause;
- latency: ``search`` (k=10) at 10k and 100k synthetic clauses (bench/scale_corpus.py; hash vectors of
  the real model's 384 dimensions, so no encoder runs and a 100k build takes minutes), both backends on
  this machine, unfiltered and filtered, with each Milvus call a search makes timed by kind.
  milvus-lite is a development engine embedded beside the app: its figure is a floor for what a Milvus
  server or cluster costs per query, not a promise for one.

Usage: .venv/bin/python bench/eval_backends.py [--quick] [--sizes 10000,100000] [--skip-parity]
       [--json bench/results/backends.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from search.backends.milvus import MilvusBackend, release_lite
from search.backends.serving import open_searcher
from search.build import build_index, embed_key, embed_text, embedding_identity
from search.census import census
from search.filters import Filters
from search.keyword import TokenIds, char_bigrams, document_keyword_text
from search.pipeline import READER_VERSIONS
from search.retrieve import Weights
from search.store import BuildPayload, manifest_base, write_generation

from eval_ncp import Bench, evaluate, load_ncp, summarise
from machine import provenance, relative
from scale_corpus import MemoTokenizer, generate, load_pool, synth_vectors

ROOT = Path(__file__).resolve().parents[1]
NCP = ROOT.parent / "shared/benchmarks/ncp"
SEED_QUERIES = ROOT / "bench/seed_queries.jsonl"
CENSUS_TERMS = ("双减", "教师", "课后服务", "经费", "“五项管理”")
NCP_METRICS = ("R@5", "MRR@10", "answer@5")
SYNTH_NOISE = 0.015  # per dimension, as bench/scale.py's uncalibrated default
SYNTH_FILTER = Filters(year_from=2018, year_to=2022, level="县")  # bench/scale.py's filter


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


def compare_top10(local, served, query: str, filters=None) -> tuple[bool, bool]:
    """(identical, identical up to ties): the same clauses in the same order with scores equal to
    float32 rounding (1e-5); up to ties, clauses of one score (copies of one text) may swap places,
    their order being the rounding's, and a tie cut by the tenth place may be cut elsewhere."""
    a, b = local.search(query, k=10, filters=filters), served.search(query, k=10, filters=filters)
    ids_a, ids_b = [h.clause.clause_id for h in a], [h.clause.clause_id for h in b]
    if len(a) != len(b) or any(abs(x.score - y.score) > 1e-5 for x, y in zip(a, b, strict=True)):
        return False, False
    if ids_a == ids_b:
        return True, True
    start = 0
    for i in range(1, len(a) + 1):
        if i == len(a) or abs(a[i].score - a[start].score) > 1e-6:
            if i < len(a) and sorted(ids_a[start:i]) != sorted(ids_b[start:i]):
                return False, False
            start = i
    return False, True


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
    same = [compare_top10(local, served, q) for q in queries]
    census_same = 0
    for term in CENSUS_TERMS:
        a, b = census(local, term), census(served, term)
        census_same += [m.to_json() for m in a.mentions] == [m.to_json() for m in b.mentions]
    out = {
        "seed_queries": len(queries),
        "seed_queries_identical_top10": sum(x for x, _ in same),
        "seed_queries_identical_top10_up_to_ties": sum(y for _, y in same),
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
    same = [compare_top10(local, served, q["query"]) for q in queries]
    out = {
        "queries": len(queries),
        "metrics": metrics,
        "largest_difference": max(abs(metrics["local"][m] - metrics["milvus"][m]) for m in NCP_METRICS),
        "identical_top10": sum(x for x, _ in same),
        "identical_top10_up_to_ties": sum(y for _, y in same),
        "seconds": seconds,
        "sizes": sizes(local, backend, local.store.n_clauses, local.n_docs),
    }
    backend.close()
    return out


def pct(times: list[float]) -> dict:
    times = sorted(times)
    return {"p50": round(statistics.median(times), 1), "p95": round(times[int(0.95 * (len(times) - 1))], 1)}


def synthetic_payload(pool, pool_vectors, n: int, encoder) -> BuildPayload:
    """``n`` synthetic clauses (bench/scale_corpus.py: real clauses recombined and perturbed, synthetic
    metadata) with their pool vectors plus noise: no model runs, so 100k clauses build in minutes."""
    corpus = generate(pool, n, seed=0, tokenizer=MemoTokenizer(pool.terms))
    vectors = synth_vectors(corpus, pool_vectors, SYNTH_NOISE, seed=0)
    titles = {d.source: d for d in corpus.documents}
    identity = embedding_identity(encoder)
    manifest = manifest_base(
        model=encoder.name, dim=int(vectors.shape[1]), prompts=dict(encoder.prompts), **READER_VERSIONS,
        corpus=["synthetic (bench/scale_corpus.py)"], corpus_hash=f"synthetic-{n}", embedded=0, reused=n,
        synthetic=True,
    )  # fmt: skip
    return BuildPayload(
        corpus.documents,
        corpus.clauses,
        vectors,
        [embed_key(identity, embed_text(titles[c.source], c)) for c in corpus.clauses],
        TokenIds.encode(corpus.clause_tokens),
        TokenIds.encode(corpus.doc_tokens),
        TokenIds.encode(char_bigrams(document_keyword_text(d)) for d in corpus.documents),
        pool.terms,
        manifest,
    )


def keyword_call(leg: str, limit: int) -> str:
    if leg != "clauses":
        return f"{leg}_pooled_documents_scored"
    return "clauses_top" if limit <= 64 else "clauses_tie_read"


def timed_calls(backend) -> dict[str, list[float]]:
    """Milliseconds of each backend call a search makes, by kind (each one round trip to Milvus),
    filled as the backend is used: the dense and clause-word legs' best rows and the wider reads a tie
    across the cut needs, the pooled rows' vectors and clause weights (read by id), the pooled documents'
    scores (a search filtered to them), the verbatim prefilter."""
    times: dict[str, list[float]] = {}

    def wrap(name: str, label) -> None:
        call = getattr(backend, name)

        def timed(*args):
            t0 = time.perf_counter()
            out = call(*args)
            times.setdefault(label(*args), []).append((time.perf_counter() - t0) * 1000)
            return out

        setattr(backend, name, timed)

    wrap("dense_search", lambda *a: "dense_top")
    wrap("vectors", lambda *a: "dense_cosines_by_id")
    wrap("keyword_scores", lambda leg, w, limit, where: keyword_call(leg, limit))
    wrap("weights", lambda leg, rows: f"{leg}_weights_by_id")
    wrap("rows_with_all", lambda leg, ids: f"{leg}_rows_with_all")
    return times


def timed_search(searcher, texts: list[str], filters, before=None) -> list[float]:
    for text in texts[:5]:
        searcher.search(text, k=10, filters=filters)  # warm-up
    if before is not None:
        before()
    times = []
    for text in texts:
        t0 = time.perf_counter()
        searcher.search(text, k=10, filters=filters)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def latency_size(pool, pool_vectors, encoder, n: int, texts: list[str], work: Path) -> dict:
    """Both backends over the same ``n`` synthetic clauses: build, search latency, per-call costs."""
    payload = synthetic_payload(pool, pool_vectors, n, encoder)
    out: dict = {"clauses": n, "documents": len(payload.documents), "queries": len(texts), "seconds": {}}
    t0 = time.perf_counter()
    write_generation(work / f"latency-{n}-local", payload)
    out["seconds"]["local_write"] = round(time.perf_counter() - t0, 1)
    backend = MilvusBackend(str(work / f"latency-{n}.db"))
    payload.manifest = {**payload.manifest}
    t0 = time.perf_counter()
    payload.manifest["backend"] = backend.publish(payload)
    write_generation(work / f"latency-{n}-milvus", payload)
    out["seconds"]["milvus_write"] = round(time.perf_counter() - t0, 1)
    out["dense_index"] = payload.manifest["backend"]["dense_index"]["type"]
    del payload
    backend.close()
    release_lite(backend.uri)  # served afresh, as an app opening the built index would be
    local = open_searcher(work / f"latency-{n}-local", encoder=encoder)
    served = open_searcher(work / f"latency-{n}-milvus", encoder=encoder, backend="milvus", uri=backend.uri)
    calls = timed_calls(served.legs.backend)
    out["ms"] = {}
    for label, filters in (("unfiltered", None), ("filtered", SYNTH_FILTER)):
        for name, searcher in (("local", local), ("milvus", served)):
            out["ms"][f"{name}_{label}"] = pct(timed_search(searcher, texts, filters, calls.clear))
        out["ms"][f"milvus_{label}_calls"] = {
            kind: {"per_query": round(len(ms) / len(texts), 2), "p50": pct(ms)["p50"],
                   "ms_per_query": round(sum(ms) / len(texts), 1)}
            for kind, ms in sorted(calls.items())
        }  # fmt: skip
        same = [compare_top10(local, served, t, filters) for t in texts]
        out[f"identical_top10_{label}"] = sum(x for x, _ in same)
        out[f"identical_top10_up_to_ties_{label}"] = sum(y for _, y in same)
    served.legs.backend.close()
    release_lite(backend.uri)
    for path in work.glob(f"latency-{n}*"):
        shutil.rmtree(path, ignore_errors=True)
    out["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    return out


def latency_part(work: Path, sizes: list[int], n_queries: int, data: Path, on_size=None) -> dict:
    """search() latency (k=10) at each size, both backends on this machine, unfiltered and filtered.

    Synthetic clauses from the shipped plans and NCP (bench/scale_corpus.py), hash vectors of the real
    model's 384 dimensions (tests/fakes.py) for the pool and the queries, so no encoder runs and the
    figures are the backends' alone; real NCP questions."""
    sys.path.insert(0, str(ROOT / "tests"))
    from fakes import HashEncoder

    encoder = HashEncoder(dim=384)
    pool = load_pool([("plans", ROOT / "corpus"), ("ncp", data / "corpus.jsonl")])
    pool_vectors = encoder.encode_passages(pool.texts)
    _, queries = load_ncp(data)
    texts = [q["query"] for q in queries[:n_queries]]
    result = {
        "corpus": "synthetic (bench/scale_corpus.py) from the shipped corpus and NCP; hash vectors, 384 dims",
        "filter": "year 2018-2022, level 县",
        "sizes": [],
    }
    for n in sizes:
        try:
            result["sizes"].append(latency_size(pool, pool_vectors, encoder, n, texts, work))
        except Exception as err:  # recorded, so the sizes measured before it are kept
            first = str(err).splitlines()[0].replace(str(work), "<work>")
            result["sizes"].append({"clauses": n, "failed": f"{type(err).__name__}: {first}"})
            for db in work.glob(f"latency-{n}*.db"):
                release_lite(str(db))
        print(f"latency {n}:", json.dumps(result["sizes"][-1], ensure_ascii=False), flush=True)
        if on_size is not None:
            on_size(result)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=NCP, help="NCP folder (corpus.jsonl, queries.jsonl)")
    parser.add_argument("--quick", action="store_true", help="80 NCP queries, 50 latency queries")
    parser.add_argument("--sizes", default="10000,100000", help="clauses in each latency corpus")
    parser.add_argument("--skip-parity", action="store_true", help="the latency part alone")
    parser.add_argument("--json", type=Path, default=ROOT / "bench/results/backends.json")
    args = parser.parse_args(argv)

    from search.encoder import load_encoder

    started = time.perf_counter()
    encoder = load_encoder(None)
    report: dict = {**provenance("eval_backends.py", argv), "model": encoder.name}
    report["note"] = "milvus-lite is embedded in the calling process: its latency is a floor, not a promise"
    report["data"] = relative(args.data)

    def write(_=None) -> None:  # after every part, so a failure later keeps what was measured
        report["seconds_total"] = round(time.perf_counter() - started, 1)
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    with tempfile.TemporaryDirectory(prefix="eval-backends-") as tmp:
        work = Path(tmp)
        try:
            if not args.skip_parity:
                report["seeds"] = seeds_part(encoder, work)
                print("seeds:", json.dumps(report["seeds"], ensure_ascii=False), flush=True)
                write()
                report["ncp"] = ncp_part(encoder, work, args.quick, args.data)
                print("ncp:", json.dumps(report["ncp"], ensure_ascii=False), flush=True)
                write()
            sizes = [int(n) for n in args.sizes.split(",")]
            report["latency"] = latency_part(work, sizes, 50 if args.quick else 100, args.data, write)
        finally:
            for db in work.glob("*.db"):
                release_lite(str(db))
    write()
    print(f"wrote {relative(args.json)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
