"""Hybrid retrieval: dense clauses, BM25 clauses and BM25 documents, fused; filters applied inside.

Why three legs: a clause embedding captures what an item is about; BM25 over the clause catches exact
policy terms and numbers the encoder blurs; BM25 over the whole document adds document-level
evidence (a notice that talks about the topic throughout outranks one that mentions it once).
Each leg is min-max normalised over the candidate pool and combined with weights tuned on the NCP
set (bench/eval_ncp.py). Filters become masks on every leg before ranking, so a filtered query
still returns k results whenever k exist.

The Searcher orchestrates: the legs' scores come through search.legs (the local FAISS and bm25s indexes
by default), records through search.catalogue, and hits are built by search.hits.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .catalogue import Catalogue
from .cues import (
    Cues,
    law_names,
    names_a_law,
    place_names,
    quoted_terms,
    substrings_in,
    targets_one_plan,
    verbatim_pairs,
)

# Filters and QueryError live in search.filters; callers import them from here as well
from .filters import FilterColumns, Filters, QueryError, law_documents, masks
from .fusion import Weights, fuse, rank_order, spread
from .hits import PASSAGE_CHARS, Hits, Layout
from .keyword import Tokenizer, char_bigrams, normalise
from .legs import Legs, LocalLegs, NoScores, Scores
from .records import Clause, Document, Hit
from .store import Store, check_model, open_store
from .text import squeeze

MAX_QUERY_CHARS = 2000
DOCUMENT_CACHE = 256  # documents kept in memory by Searcher.document
MASK_CACHE = 16  # filters whose masks are kept
VERBATIM_BATCH = 500  # clause rows read per SQL query by the verbatim check
MIN_VERBATIM = 8  # characters (squeezed) a query needs before a clause holding it verbatim ranks first
VERBATIM_DOCS = 50  # at most this many documents holding the query's rarest pairs are read for it


_SPACE_RE = re.compile(r"\s+")


@dataclass
class Pool:
    """Candidate rows with their raw per-leg scores."""

    rows: np.ndarray
    dense: np.ndarray
    keyword: np.ndarray
    document: np.ndarray
    pairs: np.ndarray
    quoted: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cue: np.ndarray = field(default_factory=lambda: np.zeros(0))
    verbatim: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    targeted: bool = False  # the query names one plan (place and year): not spread over plans
    names_law: bool = False  # the query asks for law text (cues.names_a_law): law articles not capped


@dataclass
class Ranking:
    """A query's whole candidate pool in rank order: rows, fused scores, normalised legs, and how many
    leading rows hold the query verbatim."""

    rows: np.ndarray
    scores: np.ndarray
    legs: dict[str, np.ndarray]
    verbatim: int = 0
    targeted: bool = False


class Searcher:
    """Everything a query needs, loaded once: the store, the encoder and the tokenizer. Scores come
    from ``legs`` alone (by default the store's own FAISS and bm25s indexes, search.legs)."""

    def __init__(
        self, store: Store, encoder=None, weights: Weights | None = None, legs: Legs | None = None
    ) -> None:
        self.store = store
        self.legs: Legs = LocalLegs(store) if legs is None else legs
        self._encoder = encoder
        self._encoder_lock = threading.Lock()
        self._documents: dict[str, Document] = {}
        self._mask_cache: dict[Filters, tuple] = {}  # filters -> (clause mask, doc mask), read-only
        self.weights = weights or Weights()
        self.tokenizer = Tokenizer(store.terms)
        self.catalogue = Catalogue(store.db)
        # each clause row's document, position and span, and every document's metadata row (texts
        # blanked), in memory: masks, cues, passages and citations need no SQL per query
        self.layout = Layout(self.catalogue.layout())
        self.clause_doc = self.layout.clause_doc
        meta = self.catalogue.metadata_rows()
        self.n_docs = len(meta)
        self.doc_row = {m["source"]: i for i, m in enumerate(meta)}
        self.doc_year = np.array([m["year"] or 0 for m in meta], dtype=np.int64)
        self.years = {int(y) for y in np.unique(self.doc_year) if y}  # the years some plan has
        self.doc_level = np.array([m["level"] or "" for m in meta], dtype=object)
        self.doc_names = [f"{m['issuer']}\x00{m['region']}\x00{m['title']}" for m in meta]
        self.doc_source = [m["source"] for m in meta]
        self.doc_place = [normalise(f"{m['region']} {m['issuer']} {m['title']}") for m in meta]
        self.places = set(place_names(normalise(m["region"]) for m in meta if m["region"]))
        self._place_len = max(map(len, self.places), default=0)
        self.doc_law = law_documents(self.catalogue.law_sources(), self.doc_source)  # per document
        self.law_names = set(law_names(meta[d]["title"] for d in np.flatnonzero(self.doc_law)))
        self._law_len = max(map(len, self.law_names), default=0)
        self.has_laws = bool(self.doc_law.any())
        self._filter_columns = FilterColumns(
            self.doc_year, self.doc_level, self.doc_names, self.doc_source, self.clause_doc,
            *self.catalogue.lead_columns(), self.doc_law,
        )  # fmt: skip
        self.hits = Hits(self.catalogue, self.layout, meta, self.doc_row)

    @classmethod
    def open(cls, index_dir: Path, model: str | None = None, encoder=None, check: bool = True) -> Searcher:
        """Open an index; the encoder defaults to the model the index was built with.

        The model itself loads on first use, so a census or a refused query never waits for it.
        """
        store = open_store(Path(index_dir), check=check)
        check_model(store.manifest, model if encoder is None else encoder.name)
        return cls(store, encoder)

    @property
    def encoder(self):
        """The query encoder, loaded on first use from the model recorded in the manifest (once, even
        when a warm-up thread and the first queries ask for it at the same time)."""
        if self._encoder is None:
            with self._encoder_lock:
                if self._encoder is None:
                    from .encoder import load_encoder

                    self._encoder = load_encoder(self.store.manifest["model"])
        return self._encoder

    @encoder.setter
    def encoder(self, encoder) -> None:
        """Serve queries with ``encoder`` (one of the index's model) instead of loading it by name."""
        self._encoder = encoder

    # ---- public API -------------------------------------------------------------------------------
    def search(
        self,
        query: str,
        k: int = 10,
        filters: Filters | None = None,
        context: int = 0,
        per_plan: int | None = None,
    ) -> list[Hit]:
        """The k best clauses for ``query``; near-duplicates from the same source are listed once.

        Results span the plans (a clause loses Weights.plan_penalty of its score per clause of its plan
        ranked above it; with ``per_plan`` N instead, no plan has more than N clauses ahead of another
        plan's next; 0: no spread), unless the query targets one plan (it names a place and a year, or
        a source filter is set). Each hit says how many more clauses of its plan
        the candidates hold (``plan_more``)."""
        query = check_query(query)
        if k < 1:
            raise QueryError("k must be at least 1")
        filters = filters or Filters()
        tokens = self.tokenizer(query)
        ranking = self.ranking(query, filters, tokens, per_plan)
        return self.hits.build(query, (ranking.rows, ranking.scores, ranking.legs), k, context, tokens)

    def rank(
        self, query: str, filters: Filters, limit: int, tokens: list[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray, dict]:
        """Fused ranking of clause rows (best first, spread over plans as search spreads them), with
        per-leg normalised scores; ``tokens`` are the query's, when the caller already has them."""
        r = self.ranking(query, filters, tokens)
        return r.rows[:limit], r.scores[:limit], {name: leg[:limit] for name, leg in r.legs.items()}

    def ranking(
        self, query: str, filters: Filters, tokens: list[str] | None = None, per_plan: int | None = None
    ) -> Ranking:
        """The whole candidate pool ranked: verbatim holders first, then by fused score, then spread
        over plans (see search)."""
        clause_mask, doc_mask = self._cached_masks(filters)
        empty = Ranking(np.zeros(0, dtype=np.int64), np.zeros(0), {})
        if clause_mask is not None and not clause_mask.any():
            return empty
        pool = self.candidates(query, clause_mask, doc_mask, tokens)
        if len(pool.rows) == 0:
            return empty
        raw = {"dense": pool.dense, "keyword": pool.keyword, "document": pool.document, "pairs": pool.pairs}
        fused, legs = fuse(raw, pool.quoted, pool.cue, self.weights)
        order = rank_order(fused, pool.verbatim)
        verbatim = int(pool.verbatim.sum())
        targeted = pool.targeted or bool(filters.source)
        if not targeted:
            cap_laws = self.has_laws and not pool.names_law and filters.kind != "law"
            order = order[self._spread(pool, order, fused, per_plan, cap_laws)]
        return Ranking(
            pool.rows[order], fused[order], {n: leg[order] for n, leg in legs.items()}, verbatim, targeted
        )

    def _spread(
        self, pool: Pool, order: np.ndarray, fused: np.ndarray, per_plan: int | None, cap_laws: bool = False
    ) -> list[int]:
        """The ranked pool spread over plans: a cap of ``per_plan`` clauses when asked for (or set in the
        weights; 0 asked: no spread), else the plan penalty; with ``cap_laws``, law articles capped
        (Weights.law_cap). Verbatim holders and holders of the quoted terms are spread among
        themselves only."""
        docs = self.clause_doc[pool.rows[order]]
        groups = (pool.verbatim * 2 + (pool.quoted > 0))[order].tolist()
        laws = self.doc_law[docs].tolist() if cap_laws else None
        return spread(docs.tolist(), fused[order], groups, self.weights, per_plan, laws)

    def _cached_masks(self, filters: Filters) -> tuple[np.ndarray | None, np.ndarray | None]:
        """masks(), remembered for the last few filters: a user pages through queries under one filter,
        and at 1M clauses building them costs ~5 ms a query. Read-only arrays, shared (so the local
        dense leg keeps their packed bits too)."""
        if not filters.active:
            return None, None
        cached = self._mask_cache.get(filters)
        if cached is None:
            cached = self.masks(filters)
            for array in cached:
                array.flags.writeable = False
            if len(self._mask_cache) >= MASK_CACHE:
                self._mask_cache.clear()
            self._mask_cache[filters] = cached
        return cached

    def masks(self, filters: Filters) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Boolean masks over clause rows and document rows, or None when nothing is filtered (the rules
        live in search.filters, shared with SQL)."""
        return masks(filters, self._filter_columns)

    def targets_one_plan(self, query: str, filters: Filters) -> bool:
        """The query's intent: a lookup in one plan (a source filter, or it names a place and a year:
        高台县2023年教育项目投资多少) rather than a question across plans (如何减轻学生作业负担).
        A lookup is ranked as is; a question across plans is spread over them."""
        return bool(filters.source) or targets_one_plan(self.cues(query))

    # ---- legs -------------------------------------------------------------------------------------
    def cues(self, query: str) -> Cues:
        """Years (that some plan has) and known place names mentioned in the query."""
        norm = normalise(query)
        years = {int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", norm)}
        places = substrings_in(norm, self.places, self._place_len)
        places = [p for p in places if not any(p != q and p in q for q in places)]  # 高台 inside 高台县
        return Cues(tuple(sorted(years & self.years)), tuple(sorted(places)))

    def _cue_match(self, cues: Cues, doc_rows: np.ndarray) -> np.ndarray:
        """Share of the query's cues each document matches (0 when the query names none)."""
        if not cues:
            return np.zeros(len(doc_rows), dtype=np.float32)
        hits = np.zeros(len(doc_rows), dtype=np.float32)
        for year in cues.years:
            hits += self.doc_year[doc_rows] == year
        for place in cues.places:
            hits += np.array([place in self.doc_place[d] for d in doc_rows.tolist()], dtype=np.float32)
        return hits / (len(cues.years) + len(cues.places))

    def candidates(
        self, query: str, clause_mask: np.ndarray | None, doc_mask: np.ndarray | None, tokens=None
    ) -> Pool:
        """The candidate rows (each clause leg's best ``weights.depth``, and the verbatim holders) with
        their raw leg scores and bonuses: what fusion.fuse ranks (the NCP benchmark reads it too)."""
        tokens = self.tokenizer(query) if tokens is None else tokens
        cues = self.cues(query)
        cue_tokens = {str(y) for y in cues.years} | set(cues.places)
        # cues choose the plan, so the clause leg keeps only the words that are not part of one
        clause_tokens = [t for t in tokens if not any(t in cue for cue in cue_tokens)] or tokens
        keyword = self.legs.keyword("clauses", clause_tokens, clause_mask)
        document = self._doc_leg(self.weights.document, "documents", tokens, doc_mask)
        pairs = self._doc_leg(self.weights.pairs, "pairs", char_bigrams(query), doc_mask)
        vector = self.query_vector(query)[0]  # local: searches may run concurrently
        depth = self.weights.depth
        dense_rows, _ = self.legs.dense(vector, depth, clause_mask)
        verbatim = self.verbatim_rows(query, pairs, clause_mask)
        rows = np.union1d(np.union1d(dense_rows, keyword.top(depth)), verbatim).astype(np.int64)
        names_law = names_a_law(normalise(query), self.law_names, self._law_len)
        if self.has_laws and not names_law:  # law articles will be capped: pool the plans' best too
            rows = np.union1d(rows, self._plan_rows(vector, keyword, clause_mask))
        dense = self.legs.cosines(rows, vector)  # for every pooled row, keyword-only ones too
        docs = self.clause_doc[rows]
        pool = Pool(rows, dense, keyword.at(rows), document.at(docs), pairs.at(docs))
        pool.quoted = self.quoted_bonus(query, rows)
        pool.cue = self._cue_match(cues, docs)
        pool.verbatim = np.isin(rows, verbatim)
        pool.targeted = targets_one_plan(cues)
        pool.names_law = names_law
        return pool

    def _plan_rows(self, vector: np.ndarray, keyword: Scores, clause_mask: np.ndarray | None):
        """The best plan clauses (kind plan) of the dense and keyword legs, pooled beside the best of all
        rows in an index that holds laws: a topic query's law articles, capped in the ranking, would
        otherwise take most of the pool (控辍保学: 3 plan clauses among 51 candidates)."""
        plans = self._cached_masks(Filters(kind="plan"))[0]
        if clause_mask is not None:
            plans = plans & clause_mask
        if not plans.any():
            return np.zeros(0, dtype=np.int64)
        depth = self.weights.depth
        dense_rows, _ = self.legs.dense(vector, depth, plans)
        return np.union1d(dense_rows, keyword.top(depth, plans))  # the clause scores already computed

    def verbatim_rows(self, query: str, pairs: Scores, clause_mask: np.ndarray | None) -> np.ndarray:
        """Clause rows (allowed by the mask) whose text holds the query verbatim, ignoring whitespace,
        punctuation, width and quote style; empty for queries under MIN_VERBATIM characters.

        Only the clauses of a few documents are read: those holding the query's rarest character pairs
        (posting lists of the document pair index), at most VERBATIM_DOCS of them, best by the pair leg
        (``pairs``), so the cost stays flat from ten thousand clauses to a million."""
        needle = squeeze(query)
        none = np.zeros(0, dtype=np.int64)
        if len(needle) < MIN_VERBATIM or self.n_docs == 0:
            return none
        docs = np.zeros(0, dtype=np.int64)
        for text in {query, _SPACE_RE.sub("", query)}:  # spaced as typed, and with no spaces at all
            found = self.legs.rows_with_all("pairs", verbatim_pairs(text))
            docs = np.union1d(docs, found) if found is not None else docs
        if len(docs) == 0:
            return none
        if len(docs) > VERBATIM_DOCS:
            docs = np.sort(docs[np.argsort(-pairs.at(docs), kind="stable")[:VERBATIM_DOCS]])
        rows = self.layout.rows_of(docs)
        if clause_mask is not None:
            rows = rows[clause_mask[rows]]
        rows = np.sort(rows).tolist()
        norms = self.catalogue.norm_texts_at(rows, VERBATIM_BATCH)
        found = [row for row, norm in zip(rows, norms, strict=True) if needle in squeeze(norm)]
        return np.array(found, dtype=np.int64)

    def _doc_leg(self, weight: float, leg: str, tokens: list[str], doc_mask: np.ndarray | None) -> Scores:
        """A document leg's scores, or none when its weight leaves it out of the fusion anyway."""
        return self.legs.keyword(leg, tokens, doc_mask) if weight else NoScores()

    def query_vector(self, query: str) -> np.ndarray:
        """The query's embedding, shape (1, dim) (a benchmark may serve these from a cache)."""
        return np.asarray(self.encoder.encode_queries([query]), dtype=np.float32)

    def quoted_bonus(self, query: str, rows: np.ndarray) -> np.ndarray:
        """1 for pooled clauses containing every quoted term of the query, else 0."""
        terms = quoted_terms(query)
        if not terms or len(rows) == 0:
            return np.zeros(len(rows), dtype=np.float32)
        texts = self.catalogue.norm_texts_at(rows.tolist())
        return np.array([all(t in text for t in terms) for text in texts], dtype=np.float32)

    # ---- records ----------------------------------------------------------------------------------
    def clause(self, row: int) -> Clause:
        return next(self.catalogue.clauses_at([row], 1))[0]

    def clause_by_id(self, clause_id: str) -> Clause | None:
        return self.catalogue.clause_by_id(clause_id)

    def document(self, source: str) -> Document:
        """One indexed document by its exact source; QueryError if it is not in the index.

        Kept in a small cache: hits of one query often share plans, and an index never changes under
        an open Searcher (a rebuild makes a new generation and a new Searcher).
        """
        cached = self._documents.get(source)
        if cached is not None:
            return cached
        document = self.catalogue.document(source)
        if document is None:
            raise QueryError(f"no document '{source}' in the index: see the documents list for sources")
        if len(self._documents) >= DOCUMENT_CACHE:
            self._documents.clear()
        self._documents[source] = document
        return document

    def documents(self, filters: Filters | None = None, with_text: bool = True) -> list[Document]:
        """Indexed documents passing ``filters``, by year then source; metadata only if not with_text."""
        where, args = (filters or Filters()).sql()
        return self.catalogue.documents(where, args, with_text)

    def clause_counts(self) -> dict[str, int]:
        """Number of clauses per document source."""
        return self.catalogue.clause_counts()

    def clauses_of(self, source: str) -> list[Clause]:
        return self.catalogue.clauses_of(source)

    def passage(self, clause: Clause, limit: int = PASSAGE_CHARS) -> tuple[int, int]:
        """Offsets into the document text of ``clause`` grown by whole neighbouring clauses, next and
        previous in turn, while the span stays within ``limit`` characters (search.passages says why)."""
        return self.hits.passages([clause], limit)[0]

    def passages(self, clauses: list[Clause], limit: int = PASSAGE_CHARS) -> list[tuple[int, int]]:
        """passage() for several clauses, from the in-memory layout of the index's rows."""
        return self.hits.passages(clauses, limit)

    def neighbours(self, clause: Clause, radius: int) -> list[Clause]:
        """Clauses within ``radius`` positions of ``clause`` in its document (itself excluded)."""
        return self.catalogue.neighbours(clause, radius)


def check_query(query: str) -> str:
    """Reject empty queries; cut very long ones (a pasted page) to MAX_QUERY_CHARS."""
    query = (query or "").strip()
    if not query or not re.search(r"[\w\u4e00-\u9fff]", query):
        raise QueryError("empty query: type some words to search for")
    return query[:MAX_QUERY_CHARS]
