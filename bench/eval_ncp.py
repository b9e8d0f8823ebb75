"""Retrieval quality on the NCP policy-QA set: each leg alone, the default fusion, and a weight grid.

    .venv/bin/python bench/eval_ncp.py            # legs + default fusion on all 400 queries
    .venv/bin/python bench/eval_ncp.py --grid     # ... plus a dense/keyword/document/depth grid
    .venv/bin/python bench/eval_ncp.py --quick    # first 80 queries only
    .venv/bin/python bench/eval_ncp.py --grid --study  # ... plus smaller, more regular grids, held out

Metrics (per configuration, documents = documents of the ranked clauses, first occurrence kept):
document Recall@1/5/10, MRR@10, "answer in top-5 passages" (answer@5: the normalised, whitespace-free
answer span lies inside the passage of one of the 5 best clauses, i.e. the clause grown by whole
neighbours to at most 800 characters, as every hit returns it), the same over the bare clause texts
(answer_clause@5), and "answer-bearing document recall@5" (any of the 5 best documents contains the
answer span: about a fifth of the answers also appear in a duplicated notice), and the MRR@10 of the
first such answer-bearing document (relevant or a notice carrying the same answer), beside the strict one.

The legs are evaluated through ``Searcher.rank`` with other ``Weights``; the grid ranks with the
library's own fusion functions (search.fusion) over per-query leg scores computed once (checked
against ``Searcher.rank``), without the spread over plans (it never moves a document's first clause,
so the document metrics are unchanged; answer@5 may move). Held-out figures: the grid picks weights on
even qids (qid read as a hex number) and they are scored on the odd ones through ``Searcher.rank``
(spread included), then the reverse; "held-out both folds" scores each query by weights not chosen
on it. The grid's size (configurations per fold) is reported beside them.

``--study`` runs the same two-fold procedure over smaller and more regular search spaces (coarser
steps, one depth, every leg kept at a floor weight): does a grid that can fit its half less hold out
better? Choosing the procedure by its held-out figure would tune on the held-out halves, so these
are reported beside the main procedure, not swapped in for it.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import re
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from search.build import (
    build_index,
    collect,
    corpus_hash,
    embed_key,
    embed_text,
    embedding_identity,
)
from search.fusion import LEGS, Weights, minmax, rank_order, spread, top
from search.keyword import normalise
from search.pipeline import outdated_reader
from search.retrieve import PASSAGE_CHARS, Filters, Searcher
from search.store import IndexError_, open_store

from machine import provenance, relative, write_result

ROOT = Path(__file__).resolve().parents[1]

DEFAULT_DATA = ROOT.parent / "shared/benchmarks/ncp"
DEFAULT_INDEX = ROOT / "bench/out/ncp-index"
DEFAULT_JSON = ROOT / "bench/results/ncp_eval.json"
TARGETS = {"R@5": 0.96, "MRR@10": 0.90, "answer@5": 0.92}
METRICS = ("R@1", "R@5", "R@10", "MRR@10", "answer@5", "answer_clause@5", "answer_doc@5", "answer_doc_MRR@10")
DEPTHS = (50, 100, 200)
META_FIELDS = ("source", "title", "issuer", "region", "level", "year")
META_SQL = ", ".join(META_FIELDS)
EVERYTHING = 10**9  # rank limit that keeps the whole candidate pool


# ---- data and index -------------------------------------------------------------------------------
def load_ncp(data_dir: Path = DEFAULT_DATA) -> tuple[dict[str, str], list[dict]]:
    """The corpus as {docid: text} and the queries as dicts (qid, query, docid, answer)."""
    data_dir = Path(data_dir)
    with (data_dir / "corpus.jsonl").open(encoding="utf-8") as handle:
        corpus = {r["docid"]: r["text"] for r in map(json.loads, handle) if r}
    with (data_dir / "queries.jsonl").open(encoding="utf-8") as handle:
        queries = [json.loads(line) for line in handle if line.strip()]
    return corpus, queries


def span_key(text: str) -> str:
    """The form answer spans are matched in: normalised, whitespace removed."""
    return re.sub(r"\s+", "", normalise(text))


def index_is_current(index_dir: Path, corpus_path: Path, encoder) -> bool:
    """True when ``index_dir`` holds this corpus (manifest corpus_hash), cut into exactly the clauses the
    current chunker gives (the chunker version is not always bumped), read into the same metadata, and
    embedded by this very encoder: each clause's embed key covers the model, its export (an int8 model
    exported for another CPU differs) and the text embedded (the title is part of it); and its manifest
    names the reader versions of this code (the keyword indexes' contents are checked by nothing else)."""
    try:
        store = open_store(Path(index_dir))
    except IndexError_:
        return False
    try:
        if store.manifest.get("model") != encoder.name or outdated_reader(store.manifest, index_dir):
            return False  # another model, or files read (or words indexed) by an older reader
        stored = store.db.execute(
            "SELECT source, address, part, text, embed_key FROM clauses ORDER BY vec"
        ).fetchall()
        stored_meta = store.db.execute(f"SELECT {META_SQL} FROM documents ORDER BY doc_row").fetchall()
    finally:
        store.db.close()
    parsed, _ = collect(corpus_path)
    identity = embedding_identity(encoder)
    current = [
        (c.source, c.address, c.part, c.text, embed_key(identity, embed_text(p.document, c)))
        for p in parsed
        for c in p.clauses
    ]
    meta = sorted(tuple(getattr(p.document, f) for f in META_FIELDS) for p in parsed)
    same_meta = sorted(map(tuple, stored_meta)) == meta  # region, year: the cues read them
    return store.manifest.get("corpus_hash") == corpus_hash(parsed) and stored == current and same_meta


def ensure_index(
    data_dir: Path, index_dir: Path, encoder, rebuild: bool = False, progress: bool = True
) -> dict:
    """Build the NCP index into ``index_dir`` if missing, stale or ``rebuild`` (then from scratch)."""
    corpus_path = Path(data_dir) / "corpus.jsonl"
    if not rebuild and index_is_current(index_dir, corpus_path, encoder):
        return {"built": False, "index": relative(index_dir)}
    if rebuild and Path(index_dir).exists():
        shutil.rmtree(index_dir)  # a true rebuild: every clause re-embedded, so the timing means something
    report = build_index(corpus_path, Path(index_dir), encoder, progress=progress)
    return {
        "built": True,
        "index": relative(index_dir),
        "seconds": round(report.seconds, 1),
        "documents": report.n_documents,
        "clauses": report.n_clauses,
        "embedded": report.embedded,
        "reused": report.reused,
        "clauses_per_s": round(report.n_clauses / report.seconds, 1) if report.seconds else None,
        "problems": [str(p) for p in report.problems],
    }


def open_searcher(index_dir: Path, encoder, queries: list[dict]) -> Searcher:
    """A Searcher whose query vectors are computed once per query (cached for the grid's reruns).

    Each query is encoded alone, as a search encodes it: the int8 model quantises its activations
    with one scale per batch, so a query encoded in a batch of others gets a slightly different
    vector (up to 0.013 in a component on NCP) and the benchmark would score another dense leg than
    the one users get."""
    searcher = Searcher.open(Path(index_dir), encoder=encoder)
    texts = [q["query"] for q in queries]
    cache = {t: np.asarray(encoder.encode_queries([t]), dtype=np.float32) for t in texts}
    original = searcher.query_vector
    searcher.query_vector = lambda query: cache[query] if query in cache else original(query)
    return searcher


# ---- per-query judgements -------------------------------------------------------------------------
@dataclass
class Judged:
    """What counts as a hit for one query, over the rows of one index."""

    qid: str
    query: str
    relevant_doc: int  # doc_row of the relevant document (-1: not in the index)
    answer_clauses: np.ndarray  # bool per clause row: the answer span lies inside the clause text
    answer_passages: np.ndarray  # bool per clause row: ... inside the passage a hit on it returns
    answer_docs: np.ndarray  # bool per doc row: the document text contains the answer span


class Bench:
    """An opened NCP index, its documents and clauses, and the judged queries."""

    def __init__(self, searcher: Searcher, corpus: dict[str, str], queries: list[dict]) -> None:
        self.searcher = searcher
        db = searcher.store.db
        self.doc_source = dict(db.execute("SELECT doc_row, source FROM documents"))
        self.n_docs = len(self.doc_source)
        row_of = {s: r for r, s in self.doc_source.items()}
        clauses = searcher.catalogue.all_clauses()
        self.clause_keys = [span_key(c.text) for c in clauses]
        doc_text = dict(db.execute("SELECT source, text FROM documents"))
        spans = [searcher.passage(c) for c in clauses]  # what a hit on each clause returns
        self.passage_keys = [
            span_key(doc_text[c.source][a:b]) for c, (a, b) in zip(clauses, spans, strict=True)
        ]
        self.longest_passage = max((b - a for a, b in spans), default=0)
        self.clause_doc = searcher.clause_doc
        # documents the build dropped as identical copies count as their indexed twin
        twin = {
            hashlib.sha1(normalise(corpus[s]).encode()).hexdigest(): r for r, s in self.doc_source.items()
        }
        doc_keys = [span_key(corpus.get(self.doc_source[r], "")) for r in range(self.n_docs)]
        self.remapped = 0
        self.judged: list[Judged] = []
        for q in queries:
            relevant = row_of.get(q["docid"])
            if relevant is None:
                relevant = twin.get(hashlib.sha1(normalise(corpus[q["docid"]]).encode()).hexdigest(), -1)
                self.remapped += relevant >= 0
            key = span_key(q["answer"])
            self.judged.append(
                Judged(
                    q["qid"],
                    q["query"],
                    relevant,
                    np.fromiter(
                        (key in c for c in self.clause_keys), dtype=bool, count=len(self.clause_keys)
                    ),
                    np.fromiter(
                        (key in p for p in self.passage_keys), dtype=bool, count=len(self.passage_keys)
                    ),
                    np.fromiter((key in d for d in doc_keys), dtype=bool, count=self.n_docs),
                )
            )
        self.longest_clause = max(map(len, self.clause_keys), default=0)
        self.unreachable_answers = sum(not j.answer_clauses.any() for j in self.judged)
        self.unreachable_in_passages = sum(not j.answer_passages.any() for j in self.judged)


def score_ranking(judged: Judged, clause_doc: np.ndarray, ranked_rows: np.ndarray) -> np.ndarray:
    """The METRICS of one query's ranked clause rows, as a float vector."""
    docs_in_order = clause_doc[ranked_rows]
    _, first = np.unique(docs_in_order, return_index=True)
    docs = docs_in_order[np.sort(first)][:10]
    where = np.flatnonzero(docs == judged.relevant_doc)
    rank = int(where[0]) + 1 if len(where) else 0
    bearing = np.flatnonzero((docs == judged.relevant_doc) | judged.answer_docs[docs])
    bearing_rank = int(bearing[0]) + 1 if len(bearing) else 0
    return np.array(
        [
            1 <= rank <= 1,
            1 <= rank <= 5,
            1 <= rank <= 10,
            1.0 / rank if rank else 0.0,
            judged.answer_passages[ranked_rows[:5]].any(),
            judged.answer_clauses[ranked_rows[:5]].any(),
            judged.answer_docs[docs[:5]].any(),
            1.0 / bearing_rank if bearing_rank else 0.0,
        ],
        dtype=np.float64,
    )


def summarise(per_query: np.ndarray) -> dict[str, float]:
    means = per_query.mean(axis=0) if len(per_query) else np.zeros(len(METRICS))
    return {m: round(float(v), 4) for m, v in zip(METRICS, means, strict=True)}


def evaluate(bench: Bench, weights: Weights, judged: list[Judged] | None = None) -> np.ndarray:
    """Per-query METRICS (rows) for ``weights`` through the library's own ``Searcher.rank``."""
    searcher = bench.searcher
    saved, searcher.weights = searcher.weights, weights
    try:
        out = [
            score_ranking(j, bench.clause_doc, searcher.rank(j.query, Filters(), EVERYTHING)[0])
            for j in judged or bench.judged
        ]
    finally:
        searcher.weights = saved
    return np.array(out)


# ---- numpy replica of Searcher.rank for the grid ---------------------------------------------------
class Replica:
    """Raw legs of every judged query over all clauses, taken once from the library's own
    ``Searcher.candidates`` at full depth, and the library's fusion (search.fusion) over them for any
    weights and depth."""

    LEGS = LEGS  # pool fields, min-max normalised and weighted
    BONUSES = ("quoted", "cue")  # pool fields added after the weighted legs, weights kept as given

    def __init__(self, bench: Bench) -> None:
        searcher = bench.searcher
        self.bench = bench
        n = searcher.store.faiss_index.ntotal
        saved, searcher.weights = searcher.weights, Weights(depth=n)
        try:
            self.pools = [searcher.candidates(j.query, None, None) for j in bench.judged]
        finally:
            searcher.weights = saved
        for pool in self.pools:
            assert len(pool.rows) == n and np.array_equal(pool.rows, np.arange(n)), "full pool expected"
        # dense order as FAISS returns it at any depth (best first, ties by row)
        self.dense_order = [np.argsort(-pool.dense, kind="stable") for pool in self.pools]

    def pool(self, i: int, depth: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Candidate rows, their min-max normalised legs (rows × LEGS) and the raw bonuses
        (rows × BONUSES), as ``Searcher.rank`` sees them at ``depth``."""
        full = self.pools[i]
        verbatim = full.rows[full.verbatim]
        rows = np.union1d(self.dense_order[i][:depth], top(full.keyword, depth, None))
        rows = np.union1d(rows, verbatim).astype(np.int64)
        legs = [minmax(getattr(full, leg)[rows]) for leg in self.LEGS]
        bonuses = [getattr(full, name)[rows] for name in self.BONUSES]
        return rows, np.stack(legs, axis=1), np.stack(bonuses, axis=1).astype(np.float32)

    @staticmethod
    def _bonus_weights(weights: Weights) -> np.ndarray:
        return np.array([getattr(weights, name) for name in Replica.BONUSES], dtype=np.float32)

    def rank(self, i: int, weights: Weights) -> tuple[np.ndarray, np.ndarray]:
        rows, normed, bonuses = self.pool(i, weights.depth)
        fused = np.zeros(len(rows), dtype=np.float32)
        for k, leg in enumerate(self.LEGS):
            fused = fused + getattr(weights, leg) * normed[:, k]  # same operation order as rank
        for k, b in enumerate(self._bonus_weights(weights)):
            fused = fused + b * bonuses[:, k]  # same operation order as rank
        full = self.pools[i]
        verbatim = full.verbatim[rows]
        order = rank_order(fused, verbatim)
        if not full.targeted:
            groups = (verbatim * 2 + (bonuses[:, 0] > 0))[order].tolist()
            plans = self.bench.clause_doc[rows[order]].tolist()
            order = order[spread(plans, fused[order], groups, weights)]
        return rows[order], fused[order]

    def grid(self, weight_rows: np.ndarray, depth: int, base: Weights) -> np.ndarray:
        """Per (weights, query) METRICS for every row of LEGS weights at ``depth``, bonus weights from
        ``base``: shape (W, Q, M)."""
        out = np.zeros((len(weight_rows), len(self.pools), len(METRICS)))
        w = weight_rows.astype(np.float32)
        bonus_w = self._bonus_weights(base)
        for i, judged in enumerate(self.bench.judged):
            rows, normed, bonuses = self.pool(i, depth)
            fused = (normed[:, None, :] * w[None, :, :]).sum(axis=2)
            for k, b in enumerate(bonus_w):
                fused = fused + b * bonuses[:, k, None]
            orders = np.argsort(-fused, axis=0, kind="stable")
            for k in range(len(w)):
                out[k, i] = score_ranking(judged, self.bench.clause_doc, rows[orders[:, k]])
        return out

    def check(self, weights: Weights, n: int = 25) -> dict:
        """Compare the replica with ``Searcher.rank`` on the first ``n`` queries."""
        searcher = self.bench.searcher
        saved, searcher.weights = searcher.weights, weights
        same_top10 = same_order = 0
        worst = 0.0
        try:
            for i, j in enumerate(self.bench.judged[:n]):
                lib_rows, lib_scores, _ = searcher.rank(j.query, Filters(), EVERYTHING)
                rep_rows, rep_scores = self.rank(i, weights)
                same_top10 += bool(np.array_equal(lib_rows[:10], rep_rows[:10]))
                same_order += bool(np.array_equal(lib_rows, rep_rows))
                if len(lib_rows) == len(rep_rows):
                    worst = max(worst, float(np.abs(lib_scores - rep_scores).max(initial=0.0)))
                else:
                    worst = float("inf")
        finally:
            searcher.weights = saved
        return {
            "queries": min(n, len(self.pools)),
            "same_top10": same_top10,
            "same_full_order": same_order,
            "max_score_diff": worst,
        }


def simplex(step: float, legs: int = len(Replica.LEGS)) -> np.ndarray:
    """All weight vectors of ``legs`` entries on a grid of ``step`` summing to 1."""
    n = round(1 / step)
    rows = [c for c in itertools.product(range(n + 1), repeat=legs - 1) if sum(c) <= n]
    return np.array([(*c, n - sum(c)) for c in rows], dtype=np.float64) / n


def run_grid(
    replica: Replica,
    step: float,
    base: Weights,
    tune: np.ndarray,
    check: np.ndarray,
    depths: tuple[int, ...] = DEPTHS,
    floor: float = 0.0,
) -> dict:
    """Best (LEGS weights, depth): among those meeting the R@5 and answer@5 targets, by MRR@10 (the
    target still behind when this was written) then R@5 then answer@5; the bonus weights
    (quoted, cue) kept at ``base``: tuned on ``tune`` queries and checked on ``check``, and on all.
    ``floor``: the dense, keyword and pairs weights at least this (the document's words may be 0)."""
    weight_rows = simplex(step)
    kept = [i for i, leg in enumerate(Replica.LEGS) if leg != "document"]
    weight_rows = weight_rows[(weight_rows[:, kept] >= floor - 1e-9).all(axis=1)]
    results = []  # (depth, weights, per-query metrics)
    for depth in depths:
        per = replica.grid(weight_rows, depth, base)
        results += [(depth, tuple(map(float, w)), per[k]) for k, w in enumerate(weight_rows)]

    def key(subset):
        def by(item):
            m = item[2][subset].mean(axis=0)
            meets = m[1] >= TARGETS["R@5"] and m[4] >= TARGETS["answer@5"]
            return (meets, round(m[3], 6), round(m[1], 6), round(m[4], 6))

        return by

    def describe(item):
        depth, weights, per = item
        return {
            "weights": {
                **{leg: round(w, 3) for leg, w in zip(Replica.LEGS, weights, strict=True)},
                **{name: getattr(base, name) for name in Replica.BONUSES},
                "depth": depth,
            },
            "all": summarise(per),
            "tune": summarise(per[tune]),
            "check": summarise(per[check]),
        }

    ranked_all = sorted(results, key=key(np.ones(len(tune), dtype=bool)), reverse=True)
    ranked_tune = sorted(results, key=key(tune), reverse=True)
    best_all, best_tune = key(np.ones(len(tune), dtype=bool))(ranked_all[0]), key(tune)(ranked_tune[0])
    return {
        "configs_tied_with_best_on_all": sum(
            key(np.ones(len(tune), dtype=bool))(r) == best_all for r in results
        ),
        "configs_tied_with_best_on_tune": sum(key(tune)(r) == best_tune for r in results),
        "step": step,
        "configs": len(results),
        "best_on_all": describe(ranked_all[0]),
        "best_on_tune": describe(ranked_tune[0]),
        "top10_on_all": [describe(r) for r in ranked_all[:10]],
        "top10_on_tune": [describe(r) for r in ranked_tune[:10]],
    }


def heldout(bench: Bench, even_tuned: dict, odd_tuned: dict, even: np.ndarray) -> dict:
    """Two-fold figures: the weights the grid picked on even qids scored on the odd ones, and the
    reverse, each through the library's own ranking (Searcher.rank, plan spread included); ``pooled``
    averages all 400 queries, each scored by weights not chosen on it."""
    folds, per_query = {}, np.zeros((len(bench.judged), len(METRICS)))
    for name, grid, report_on in (("even→odd", even_tuned, ~even), ("odd→even", odd_tuned, even)):
        picked = grid["best_on_tune"]["weights"]
        weights = Weights(**picked)
        judged = [j for j, keep in zip(bench.judged, report_on, strict=True) if keep]
        per = evaluate(bench, weights, judged)
        per_query[report_on] = per
        folds[name] = {"weights": picked, "tuned": grid["best_on_tune"]["tune"], "reported": summarise(per)}
    return {
        "folds": folds,
        "pooled": summarise(per_query),
        "configs_per_fold": even_tuned["configs"],
        "targets": TARGETS,
    }


# grid procedures of --study: (name, step, depths, floor)
STUDY = [
    ("step 0.1, depths 50/100/200 (the CI guard's)", 0.1, DEPTHS, 0.0),
    ("step 0.1, depth 50", 0.1, (50,), 0.0),
    ("step 0.2, depth 50", 0.2, (50,), 0.0),
    ("step 0.1, depth 50, dense/keyword/pairs >= 0.2", 0.1, (50,), 0.2),
    ("step 0.05, depth 50, dense/keyword/pairs >= 0.2", 0.05, (50,), 0.2),
]


def study(bench: Bench, replica: Replica, even: np.ndarray) -> list[dict]:
    """Each STUDY procedure's held-out figures (as ``heldout``), with its configurations per fold."""
    out = []
    for name, step, depths, floor in STUDY:
        grids = [run_grid(replica, step, Weights(), t, ~t, depths, floor) for t in (even, ~even)]
        held = heldout(bench, grids[0], grids[1], even)
        out.append({"procedure": name, "step": step, "depths": list(depths), "floor": floor, **held})
        print(f"study: {name}: {held['configs_per_fold']} configs per fold, pooled {held['pooled']}")
    return out


# ---- reporting -----------------------------------------------------------------------------------
LEG_CONFIGS = {
    "bm25-clause": Weights(dense=0, keyword=1, document=0, pairs=0, quoted=0, cue=0),
    "bm25-document": Weights(dense=0, keyword=0, document=1, pairs=0, quoted=0, cue=0),
    "bm25-document-pairs": Weights(dense=0, keyword=0, document=0, pairs=1, quoted=0, cue=0),
    "dense": Weights(dense=1, keyword=0, document=0, pairs=0, quoted=0, cue=0),
    "fusion-default": Weights(),
}


def table(rows: dict[str, dict[str, float]]) -> str:
    width = max(map(len, rows), default=10) + 2
    lines = [f"{'config':<{width}}" + "".join(f"{m:>18}" for m in METRICS)]
    for name, metrics in rows.items():
        lines.append(f"{name:<{width}}" + "".join(f"{metrics[m]:>18.3f}" for m in METRICS))
    lines.append(f"{'target':<{width}}" + "".join(f"{TARGETS.get(m, float('nan')):>18.2f}" for m in METRICS))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="NCP folder (corpus.jsonl, queries.jsonl)"
    )
    parser.add_argument("--index", type=Path, default=None, help=f"default {DEFAULT_INDEX}[-MODEL]")
    parser.add_argument("--model", default=None, help="encoder name or path (default: the built-in model)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the index from scratch")
    parser.add_argument("--quick", action="store_true", help="first 80 queries only")
    parser.add_argument("--grid", action="store_true", help="search fusion weights and depth")
    parser.add_argument("--step", type=float, default=0.05, help="grid step on the weight simplex")
    parser.add_argument("--study", action="store_true", help="with --grid: smaller grids, held out")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = parser.parse_args(argv)

    from search.encoder import load_encoder

    started = time.perf_counter()
    corpus, queries = load_ncp(args.data)
    if args.quick:
        queries = queries[:80]
    encoder = load_encoder(args.model)
    if args.index is None:
        suffix = "" if args.model is None else "-" + re.sub(r"[^\w.-]+", "_", args.model)
        args.index = DEFAULT_INDEX.with_name(DEFAULT_INDEX.name + suffix)
    build = ensure_index(args.data, args.index, encoder, rebuild=args.rebuild)
    if build["built"]:
        print(
            f"built {args.index}: {build['documents']} documents, {build['clauses']} clauses "
            f"({build['embedded']} embedded) in {build['seconds']:.1f} s = {build['clauses_per_s']} clauses/s"
        )
    else:
        print(f"reusing {args.index} (same corpus, model, chunker and reader versions)")
    t0 = time.perf_counter()
    searcher = open_searcher(args.index, encoder, queries)
    bench = Bench(searcher, corpus, queries)
    prep_s = time.perf_counter() - t0
    print(
        f"{len(queries)} queries, {bench.n_docs} documents, {len(bench.clause_keys)} clauses "
        f"(longest {bench.longest_clause} chars); "
        f"{bench.unreachable_answers} answers lie in no single clause, "
        f"{bench.unreachable_in_passages} in no passage (longest {bench.longest_passage} chars); "
        f"{bench.remapped} relevant docs indexed as an identical twin; prepared in {prep_s:.1f} s"
    )

    t0 = time.perf_counter()
    per_config = {name: evaluate(bench, w) for name, w in LEG_CONFIGS.items()}
    rows = {name: summarise(per) for name, per in per_config.items()}
    eval_s = time.perf_counter() - t0

    report: dict = {
        **provenance("eval_ncp.py", argv),
        "data": relative(args.data),
        "queries": len(queries),
        "documents": bench.n_docs,
        "clauses": len(bench.clause_keys),
        "longest_clause_chars": bench.longest_clause,
        "answers_in_no_single_clause": bench.unreachable_answers,
        "answers_in_no_passage": bench.unreachable_in_passages,
        "longest_passage_chars": bench.longest_passage,
        "passage_chars_limit": PASSAGE_CHARS,
        "relevant_docs_remapped_to_identical_twin": bench.remapped,
        "model": searcher.store.manifest.get("model"),
        "build": build,
        "configs": {name: {"weights": asdict(LEG_CONFIGS[name]), **rows[name]} for name in rows},
        "targets": TARGETS,
    }

    tune = np.array([int(j.qid, 16) % 2 == 0 for j in bench.judged])
    if args.grid:
        t0 = time.perf_counter()
        replica = Replica(bench)
        checks = {name: replica.check(w) for name, w in LEG_CONFIGS.items()}
        report["replica_check"] = checks
        agree = {
            name: summarise(
                np.array(
                    [
                        score_ranking(j, bench.clause_doc, replica.rank(i, w)[0])
                        for i, j in enumerate(bench.judged)
                    ]
                )
            )
            == rows[name]
            for name, w in LEG_CONFIGS.items()
        }
        report["replica_metrics_equal_rank"] = agree
        print(f"replica vs Searcher.rank: {checks['fusion-default']} ; metrics equal: {agree}")
        grid = run_grid(replica, args.step, Weights(), tune, ~tune)
        report["heldout"] = heldout(bench, grid, run_grid(replica, args.step, Weights(), ~tune, tune), tune)
        if args.study:
            report["study"] = study(bench, replica, tune)
        grid["seconds"] = round(time.perf_counter() - t0, 1)
        default = per_config["fusion-default"]
        grid["default_on_tune"], grid["default_on_check"] = (
            summarise(default[tune]),
            summarise(default[~tune]),
        )
        grid["split"] = {
            "tune": "even qids (int(qid, 16) % 2 == 0)",
            "check": "odd qids",
            "tune_n": int(tune.sum()),
            "check_n": int((~tune).sum()),
        }
        report["grid"] = grid
        best, tuned = grid["best_on_all"], grid["best_on_tune"]
        n_tune, n_check = int(tune.sum()), int((~tune).sum())
        rows["grid-best(all)"] = best["all"]
        rows[f"tuned(even)→even{n_tune}"] = tuned["tune"]
        rows[f"tuned(even)→odd{n_check}"] = tuned["check"]
        rows[f"default→even{n_tune}"] = grid["default_on_tune"]
        rows[f"default→odd{n_check}"] = grid["default_on_check"]
        for name, fold in report["heldout"]["folds"].items():
            rows[f"held-out {name}"] = fold["reported"]
        rows["held-out both folds"] = report["heldout"]["pooled"]

    print()
    print(table(rows))
    if args.grid:
        print(
            f"\ngrid ({grid['configs']} configs, step {args.step}, depth {DEPTHS}, "
            f"bonuses {best['weights']['quoted']}/{best['weights']['cue']} (quoted/cue), "
            f"{grid['seconds']} s)"
        )
        print(f"best on all {len(queries)}: {best['weights']}")
        print(f"best on even qids: {tuned['weights']}  tune={tuned['tune']}  odd={tuned['check']}")
    report["seconds"] = {
        "prepare": round(prep_s, 1),
        "evaluate_configs": round(eval_s, 1),
        "total": round(time.perf_counter() - started, 1),
    }
    print(f"\neval {eval_s:.1f} s, total {report['seconds']['total']:.1f} s")
    write_result(args.json, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
