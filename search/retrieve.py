"""Hybrid retrieval: dense clauses, BM25 clauses and BM25 documents, fused; filters applied inside.

Why three legs: a clause embedding captures what an item is about; BM25 over the clause catches exact
policy terms and numbers the encoder blurs; BM25 over the whole document adds document-level
evidence (a notice that talks about the topic throughout outranks one that mentions it once).
Each leg is min-max normalised over the candidate pool and combined with weights tuned on the NCP
set (bench/eval_ncp.py). Filters become masks on every leg before ranking, so a filtered query
still returns k results whenever k exist.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# Filters and QueryError live in search.filters; callers import them from here as well
from .filters import FilterColumns, Filters, QueryError, lead_columns, masks
from .keyword import Tokenizer, char_bigrams, normalise
from .records import Clause, Document, Hit
from .store import EXACT_LIMIT, Store, check_model, clause_from_row, document_from_row, open_store

MAX_QUERY_CHARS = 2000
PASSAGE_CHARS = 800  # a hit's passage: its clause plus neighbours, at most this long (the NCP metric's)
DOCUMENT_CACHE = 256  # documents kept in memory by Searcher.document
METADATA_CACHE = 4096  # metadata-only documents kept for hits' citations
MASK_CACHE = 16  # filters whose masks are kept
TOP_BLOCK = 256  # rows per group in _top's threshold
SQL_BATCH = 100  # rows or spans read per SQL query (well inside SQLite's compound-select limit of 500)
PASSAGE_RADIUS = 20  # neighbours looked at on each side when growing a passage
# a filter allowing at most this many clauses is searched exactly (flat scan of the allowed rows), even
# in an HNSW index: about as cheap as a graph walk through mostly forbidden nodes, and never misses
EXACT_FILTERED_LIMIT = EXACT_LIMIT


_SPACE_RE = re.compile(r"\s+")
_META_COLUMNS = (  # the documents table without its (large) text columns
    "source, title, issuer, region, level, year, doc_number, date, '' AS text, '' AS raw, '' AS norm, "
    "provenance, doc_row"
)


@dataclass(frozen=True)
class Weights:
    """Fusion weights and candidate depth (defaults tuned on the NCP set, see bench/eval_ncp.py).

    The document's character pairs carry the largest weight: alone they rank the NCP notices better
    than the three other legs fused did (MRR@10 0.892 vs 0.878), and fused with them reach 0.90.
    """

    dense: float = 0.30
    keyword: float = 0.25  # the clause's words
    document: float = 0.05  # the document's words
    pairs: float = 0.40  # the document's character pairs (keyword.char_bigrams)
    quoted: float = 0.5  # bonus for a clause containing every quoted term of the query
    cue: float = 0.15  # bonus for clauses of plans matching the query's year and place cues
    depth: int = 50  # candidates taken from each clause leg


@dataclass
class _Pool:
    """Candidate rows with their raw per-leg scores."""

    rows: np.ndarray
    dense: np.ndarray
    keyword: np.ndarray
    document: np.ndarray
    pairs: np.ndarray
    quoted: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cue: np.ndarray = field(default_factory=lambda: np.zeros(0))


@dataclass(frozen=True)
class Cues:
    """Years and places a query names: they pick the plan, not the clause (高台县2023年…投资多少)."""

    years: tuple[int, ...] = ()
    places: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.years or self.places)


class Searcher:
    """Everything a query needs, loaded once: the store, the encoder and the tokenizer."""

    def __init__(self, store: Store, encoder=None, weights: Weights | None = None) -> None:
        self.store = store
        self._encoder = encoder
        self._encoder_lock = threading.Lock()
        self._documents: dict[str, Document] = {}
        self._mask_cache: dict[Filters, tuple] = {}  # filters -> (clause mask, doc mask, packed bits)
        self._metadata_cache: dict[str, Document] = {}
        self.weights = weights or Weights()
        self.tokenizer = Tokenizer(store.terms)
        self._load_layout(store)
        # every document's metadata row (texts blanked), in doc_row order: filters build their masks
        # from it and hits take their citation fields from it, without touching SQLite per query
        meta = store.db.execute(f"SELECT {_META_COLUMNS} FROM documents ORDER BY doc_row").fetchall()
        self._meta_rows = meta
        self.n_docs = len(meta)
        self.doc_row = {m[0]: i for i, m in enumerate(meta)}
        self.doc_year = np.array([m[5] or 0 for m in meta], dtype=np.int64)
        self.years = {int(y) for y in np.unique(self.doc_year) if y}  # the years some plan has
        self.doc_level = np.array([m[4] or "" for m in meta], dtype=object)
        self.doc_names = [f"{m[2]}\x00{m[3]}\x00{m[1]}" for m in meta]  # issuer, region, title
        self.doc_source = [m[0] for m in meta]
        self.doc_place = [normalise(f"{m[3]} {m[2]} {m[1]}") for m in meta]
        self.places = set(_place_names(normalise(m[3]) for m in meta if m[3]))
        self._place_len = max(map(len, self.places), default=0)
        self._filter_columns = FilterColumns(
            self.doc_year, self.doc_level, self.doc_names, self.doc_source, self.clause_doc,
            *lead_columns(store.db),
        )  # fmt: skip

    def _load_layout(self, store: Store) -> None:
        """Each clause row's document, position and span, and the rows ordered by (document, position):
        a hit's neighbours (for its passage) are then found in memory, not by a query per hit."""
        rows = store.db.execute(
            'SELECT d.doc_row, c.seq, c.start, c."end" FROM clauses c JOIN documents d USING(source) '
            "ORDER BY c.vec"
        ).fetchall()
        layout = np.array(rows, dtype=np.int64).reshape(-1, 4)
        self.clause_doc = np.ascontiguousarray(layout[:, 0])
        self._seq, self._start, self._end = (np.ascontiguousarray(layout[:, i]) for i in (1, 2, 3))
        self._by_position = np.lexsort((self._seq, self.clause_doc))  # rows by document, then seq
        self._seq_span = int(self._seq.max(initial=0)) + 1
        self._position_keys = self._position_key(self.clause_doc, self._seq)[self._by_position]  # sorted
        self._passage_spans = grow_all_passages(
            self.clause_doc, self._start, self._end, self._by_position, PASSAGE_CHARS
        )

    def _position_key(self, doc, seq):
        return doc * self._seq_span + seq

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

    # ---- public API -------------------------------------------------------------------------------
    def search(self, query: str, k: int = 10, filters: Filters | None = None, context: int = 0) -> list[Hit]:
        """The k best clauses for ``query``; near-duplicates from the same source are listed once."""
        query = check_query(query)
        if k < 1:
            raise QueryError("k must be at least 1")
        tokens = self.tokenizer(query)
        rows, scores, legs = self.rank(query, filters or Filters(), k * 3 + 10, tokens)
        return self._hits(query, rows, scores, legs, k, context, tokens)

    def rank(
        self, query: str, filters: Filters, limit: int, tokens: list[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray, dict]:
        """Fused ranking of clause rows (best first), with per-leg normalised scores; ``tokens`` are the
        query's, when the caller already has them."""
        clause_mask, doc_mask = self._cached_masks(filters)
        if clause_mask is not None and not clause_mask.any():
            return np.zeros(0, dtype=np.int64), np.zeros(0), {}
        pool = self._pool(query, clause_mask, doc_mask, tokens)
        if len(pool.rows) == 0:
            return pool.rows, np.zeros(0), {}
        w = self.weights
        legs = {
            "dense": _minmax(pool.dense),
            "keyword": _minmax(pool.keyword),
            "document": _minmax(pool.document),
            "pairs": _minmax(pool.pairs),
        }
        fused = w.dense * legs["dense"] + w.keyword * legs["keyword"] + w.document * legs["document"]
        fused = fused + w.pairs * legs["pairs"]
        fused = fused + w.quoted * pool.quoted + w.cue * pool.cue
        order = np.argsort(-fused, kind="stable")[:limit]
        return pool.rows[order], fused[order], {name: leg[order] for name, leg in legs.items()}

    def _cached_masks(self, filters: Filters) -> tuple[np.ndarray | None, np.ndarray | None]:
        """masks(), remembered for the last few filters with the clause mask's packed bits (dense_plan's
        selector): a user pages through queries under one filter, and at 1M clauses building both costs
        ~5 ms a query. Read-only arrays, shared."""
        if not filters.active:
            return None, None
        cached = self._mask_cache.get(filters)
        if cached is None:
            clause_mask, doc_mask = self.masks(filters)
            cached = (clause_mask, doc_mask, np.packbits(clause_mask, bitorder="little"))
            for array in cached:
                array.flags.writeable = False
            if len(self._mask_cache) >= MASK_CACHE:
                self._mask_cache.clear()
            self._mask_cache[filters] = cached
        return cached[0], cached[1]

    def masks(self, filters: Filters) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Boolean masks over clause rows and document rows, or None when nothing is filtered (the rules
        live in search.filters, shared with SQL)."""
        return masks(filters, self._filter_columns)

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

    def _pool(
        self, query: str, clause_mask: np.ndarray | None, doc_mask: np.ndarray | None, tokens=None
    ) -> _Pool:
        tokens = self.tokenizer(query) if tokens is None else tokens
        cues = self.cues(query)
        cue_tokens = {str(y) for y in cues.years} | set(cues.places)
        # cues choose the plan, so the clause leg keeps only the words that are not part of one
        clause_tokens = [t for t in tokens if not any(t in cue for cue in cue_tokens)] or tokens
        keyword = self.store.bm25_clauses.scores(clause_tokens, clause_mask)
        document = self._doc_leg(self.weights.document, self.store.bm25_documents, tokens, doc_mask)
        pairs = self._doc_leg(self.weights.pairs, self.store.bm25_doc_pairs, char_bigrams(query), doc_mask)
        vector = self._query_vector(query)  # local: searches may run concurrently
        dense_rows, _ = self._dense(vector, clause_mask)
        depth = self.weights.depth
        kw_rows = _top(keyword, depth)  # keyword scores are already 0 outside the mask
        rows = np.union1d(dense_rows, kw_rows).astype(np.int64)
        dense = self.store.vectors()[rows] @ vector[0]  # cosine for every pooled row, keyword-only ones too
        docs = self.clause_doc[rows]
        pool = _Pool(rows, dense, keyword[rows], document[docs], pairs[docs])
        pool.quoted = self._quoted_bonus(query, rows)
        pool.cue = self._cue_match(cues, docs)
        return pool

    def _doc_leg(self, weight: float, index, tokens: list[str], doc_mask: np.ndarray | None) -> np.ndarray:
        """A document index's scores, or zeros when its weight leaves it out of the fusion anyway."""
        return index.scores(tokens, doc_mask) if weight else np.zeros(self.n_docs, dtype=np.float32)

    def _query_vector(self, query: str) -> np.ndarray:
        return np.asarray(self.encoder.encode_queries([query]), dtype=np.float32)

    def _dense(self, vector: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Top rows by inner product, searching only allowed rows when filtered."""
        if self.store.faiss_index.ntotal == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        index, depth, params, _bits = self.dense_plan(mask)  # _bits: referenced until the search returns
        scores, rows = faiss_search(index, vector, depth, params)
        keep = rows[0] >= 0
        return rows[0][keep].astype(np.int64), scores[0][keep]

    def dense_plan(self, mask: np.ndarray | None) -> tuple:
        """(FAISS index, depth, search parameters, selector bits) for a dense search over allowed rows:
        the index itself, or its exact view when a filter leaves at most EXACT_FILTERED_LIMIT rows.
        The caller keeps the bits alive while it searches (bench/scale.py times the same plan)."""
        import faiss

        n = self.store.faiss_index.ntotal
        allowed = n if mask is None else int(np.count_nonzero(mask))
        depth = min(self.weights.depth, allowed)
        if mask is None:
            return self.store.faiss_index, depth, None, None
        # a cached mask brings its bits (packing 1M rows is not free); any other mask is packed here
        cached = (bits for clause_mask, _, bits in list(self._mask_cache.values()) if clause_mask is mask)
        bits = next(cached, None)
        if bits is None:
            bits = np.packbits(mask, bitorder="little")
        params = faiss.SearchParameters(sel=row_selector(bits, len(mask)))
        index = self.store.exact_index() if allowed <= EXACT_FILTERED_LIMIT else self.store.faiss_index
        return index, depth, params, bits

    def _quoted_bonus(self, query: str, rows: np.ndarray) -> np.ndarray:
        """1 for pooled clauses containing every quoted term of the query, else 0."""
        terms = quoted_terms(query)
        if not terms or len(rows) == 0:
            return np.zeros(len(rows), dtype=np.float32)
        texts = (norm for _, norm in self._rows_by_vec("vec, norm_text", rows.tolist(), SQL_BATCH))
        return np.array([all(t in text for t in terms) for text in texts], dtype=np.float32)

    # ---- hits -------------------------------------------------------------------------------------
    def _hits(self, query: str, rows, scores, legs, k: int, context: int, tokens: list[str]) -> list[Hit]:
        chosen = self._distinct(rows.tolist(), k)
        # every row's passage was grown once, when the index was opened
        passages = [tuple(span) for span in self._passage_spans[rows[[i for i, _ in chosen]]].tolist()]
        texts = self._document_slices(
            [(c.source, *span) for (_, c), span in zip(chosen, passages, strict=True)]
        )
        marks = mark_all([clause.text for _, clause in chosen], highlight_terms(query, tokens))
        return [
            Hit(
                clause,
                self._metadata(clause.source),
                float(scores[i]),
                {n: float(v[i]) for n, v in legs.items()},
                spans,
                self.neighbours(clause, context) if context else [],
                span,
                text,
            )
            for (i, clause), span, text, spans in zip(chosen, passages, texts, marks, strict=True)
        ]

    def _distinct(self, rows: list[int], k: int) -> list[tuple[int, Clause]]:
        """The first k of ``rows`` (as (rank, clause)) skipping near-duplicates of a clause already taken
        from the same source."""
        chosen: list[tuple[int, Clause]] = []
        seen: dict[str, list[str]] = {}  # per source, the normalised texts already taken
        # a text loses its spaces only when first compared: most hits are their source's only one
        spaceless = functools.cache(lambda norm: _SPACE_RE.sub("", norm))
        for i, (clause, norm) in enumerate(self._clause_rows(rows, k + 2)):
            earlier = seen.setdefault(clause.source, [])
            if any(_near_duplicate(spaceless(norm), spaceless(other)) for other in earlier):
                continue
            earlier.append(norm)
            chosen.append((i, clause))
            if len(chosen) == k:
                break
        return chosen

    def _clause_rows(self, rows: list[int], batch: int):
        """(clause, normalised text) for each row in order, read ``batch`` rows per SQL query: most
        queries need only the first k rows, and one query per row was a fifth of a search's library time."""
        for record in self._rows_by_vec("*", rows, batch):
            yield clause_from_row(record), record[6]

    def _rows_by_vec(self, columns: str, rows: list[int], batch: int):
        """The clauses table's ``columns`` (vec first) for each row in order, ``batch`` rows per SQL query.
        Callers needing one column name just it: building Clause objects for the ~100 rows of a pool
        tripled the quoted-term bonus's time (0.42 → 1.15 ms at 10k)."""
        for at in range(0, len(rows), batch):
            chunk = rows[at : at + batch]
            marks = ",".join("?" * len(chunk))
            found = {
                r[0]: r
                for r in self.store.db.execute(f"SELECT {columns} FROM clauses WHERE vec IN ({marks})", chunk)
            }
            yield from (found[row] for row in chunk)

    def _metadata(self, source: str) -> Document:
        """A document's metadata without its texts: what a hit's citation needs (kept for the next hits
        from the same plan; a Document is frozen)."""
        document = self._metadata_cache.get(source)
        if document is None:
            if len(self._metadata_cache) >= METADATA_CACHE:
                self._metadata_cache.clear()
            document = document_from_row(self._meta_rows[self.doc_row[source]])
            self._metadata_cache[source] = document
        return document

    def _document_slices(self, spans: list[tuple[str, int, int]]) -> list[str]:
        """Characters [start, end) of documents' texts for (source, start, end) spans, read by SQLite
        in one query per SQL_BATCH spans without loading whole documents."""
        out: list[str] = []
        for at in range(0, len(spans), SQL_BATCH):
            chunk = spans[at : at + SQL_BATCH]
            select = "SELECT ?, substr(text, ?, ?) FROM documents WHERE source = ?"
            args = [x for i, (src, a, b) in enumerate(chunk) for x in (i, a + 1, max(0, b - a), src)]
            found = dict(self.store.db.execute(" UNION ALL ".join([select] * len(chunk)), args))
            out += [found.get(i) or "" for i in range(len(chunk))]
        return out

    def clause(self, row: int) -> Clause:
        return next(self._clause_rows([row], 1))[0]

    def clause_by_id(self, clause_id: str) -> Clause | None:
        row = self.store.db.execute("SELECT * FROM clauses WHERE clause_id = ?", (clause_id,)).fetchone()
        return clause_from_row(row) if row else None

    def document(self, source: str) -> Document:
        """One indexed document by its exact source; QueryError if it is not in the index.

        Kept in a small cache: hits of one query often share plans, and an index never changes under
        an open Searcher (a rebuild makes a new generation and a new Searcher).
        """
        cached = self._documents.get(source)
        if cached is not None:
            return cached
        row = self.store.db.execute("SELECT * FROM documents WHERE source = ?", (source,)).fetchone()
        if row is None:
            raise QueryError(f"no document '{source}' in the index: see the documents list for sources")
        if len(self._documents) >= DOCUMENT_CACHE:
            self._documents.clear()
        self._documents[source] = document = document_from_row(row)
        return document

    def documents(self, filters: Filters | None = None, with_text: bool = True) -> list[Document]:
        """Indexed documents passing ``filters``, by year then source; metadata only if not with_text."""
        where, args = (filters or Filters()).sql()
        columns = "*" if with_text else _META_COLUMNS
        rows = self.store.db.execute(
            f"SELECT {columns} FROM documents WHERE {where} ORDER BY year, source", args
        )
        return [document_from_row(r) for r in rows]

    def clause_counts(self) -> dict[str, int]:
        """Number of clauses per document source."""
        return dict(self.store.db.execute("SELECT source, count(*) FROM clauses GROUP BY source"))

    def clauses_of(self, source: str) -> list[Clause]:
        rows = self.store.db.execute("SELECT * FROM clauses WHERE source = ? ORDER BY seq", (source,))
        return [clause_from_row(r) for r in rows]

    def passage(self, clause: Clause, limit: int = PASSAGE_CHARS) -> tuple[int, int]:
        """Offsets into the document text of ``clause`` grown by whole neighbouring clauses, next and
        previous in turn, while the span stays within ``limit`` characters.

        Why: an answer often runs on into the next item or needs the line before it (19 of the 400 NCP
        answers straddle two clauses), and a reader judges a clause by its surroundings.
        """
        return self.passages([clause], limit)[0]

    def passages(self, clauses: list[Clause], limit: int = PASSAGE_CHARS) -> list[tuple[int, int]]:
        """passage() for several clauses, from the in-memory layout of the index's rows."""
        return [grow_passage(c, near, limit) for c, near in zip(clauses, self._near(clauses), strict=True)]

    def _near(self, clauses: list[Clause]) -> list[list[tuple[int, int, int]]]:
        """For each clause, (seq, start, end) of the clauses within PASSAGE_RADIUS positions of it in its
        document: one set of array operations for all of a search's hits, not one per hit (numpy's call
        overhead: 0.16 → 0.12 ms for ten hits)."""
        n = len(self._position_keys)
        if n == 0 or not clauses:
            return [[] for _ in clauses]
        docs = np.array([self.doc_row.get(c.source, -1) for c in clauses], dtype=np.int64)
        seqs = np.array([c.seq for c in clauses], dtype=np.int64)
        keys = self._position_key(docs, seqs)
        at = np.minimum(np.searchsorted(self._position_keys, keys), n - 1)
        found = (docs >= 0) & (seqs >= 0) & (seqs < self._seq_span) & (self._position_keys[at] == keys)
        slots = at[:, None] + np.arange(-PASSAGE_RADIUS, PASSAGE_RADIUS + 1)[None, :]
        window = self._by_position[np.clip(slots, 0, n - 1)]
        seq = self._seq[window]
        keep = (slots >= 0) & (slots < n) & found[:, None]
        keep &= (self.clause_doc[window] == docs[:, None]) & (seq != seqs[:, None])
        taken = window[keep]  # rows kept, clause by clause
        triples = list(
            zip(seq[keep].tolist(), self._start[taken].tolist(), self._end[taken].tolist(), strict=True)
        )
        bounds = np.cumsum(keep.sum(axis=1)).tolist()
        return [triples[a:b] for a, b in zip([0, *bounds[:-1]], bounds, strict=True)]

    def neighbours(self, clause: Clause, radius: int) -> list[Clause]:
        """Clauses within ``radius`` positions of ``clause`` in its document (itself excluded)."""
        rows = self.store.db.execute(
            "SELECT * FROM clauses WHERE source = ? AND seq BETWEEN ? AND ? AND seq != ? ORDER BY seq",
            (clause.source, clause.seq - radius, clause.seq + radius, clause.seq),
        )
        return [clause_from_row(r) for r in rows]


def grow_passage(clause: Clause, neighbours: list[tuple[int, int, int]], limit: int) -> tuple[int, int]:
    """(start, end) of the clause extended by adjacent neighbours of its document, given as (seq, start,
    end), alternately after and before, each taken whole, while end − start ≤ ``limit``; a clause
    longer than the limit stays itself."""
    after = sorted(n for n in neighbours if n[0] > clause.seq)
    before = sorted((n for n in neighbours if n[0] < clause.seq), reverse=True)
    start, end = clause.start, clause.end
    grew = True
    while grew:
        grew = False
        if after and max(end, after[0][2]) - start <= limit:
            end, grew = max(end, after.pop(0)[2]), True
        if before and end - min(start, before[0][1]) <= limit:
            start, grew = min(start, before.pop(0)[1]), True
    return start, end


def grow_all_passages(
    docs: np.ndarray, starts: np.ndarray, ends: np.ndarray, by_position: np.ndarray, limit: int
) -> np.ndarray:
    """(start, end) of every row's passage, as grow_passage gives it over the row's PASSAGE_RADIUS
    neighbours on each side, grown for all rows at once: a row's side stops for good at the first
    neighbour that does not fit (a span only widens), so each round tries one more neighbour per side
    for the rows still growing. Why: growing ten hits' passages per search cost 0.25 ms at 10k clauses,
    a tenth of the library's time per query; a table of spans costs 16 bytes a clause."""
    n = len(by_position)
    doc, first, last = docs[by_position], starts[by_position], ends[by_position]
    start, end = first.copy(), last.copy()
    steps = {+1: np.ones(n, dtype=np.int64), -1: np.ones(n, dtype=np.int64)}
    growing = {+1: np.arange(n), -1: np.arange(n)}
    while len(growing[+1]) or len(growing[-1]):
        for side in (+1, -1):
            at = growing[side]
            near = at + side * steps[side][at]
            inside = (near >= 0) & (near < n) & (steps[side][at] <= PASSAGE_RADIUS)
            at, near = at[inside], near[inside]
            inside = doc[near] == doc[at]
            at, near = at[inside], near[inside]
            if side > 0:
                wider_start, wider_end = start[at], np.maximum(end[at], last[near])
            else:
                wider_start, wider_end = np.minimum(start[at], first[near]), end[at]
            fits = wider_end - wider_start <= limit
            at = at[fits]
            start[at], end[at] = wider_start[fits], wider_end[fits]
            steps[side][at] += 1
            growing[side] = at
    spans = np.empty((n, 2), dtype=np.int64)
    spans[by_position, 0], spans[by_position, 1] = start, end
    return spans


def faiss_search(index, vectors: np.ndarray, depth: int, params=None) -> tuple[np.ndarray, np.ndarray]:
    """``index.search`` on this thread alone. For one query FAISS's OpenMP threads gain nothing and
    compete with the encoder's, which spin on both cores for a while after encoding the query: a flat scan
    of 10k clauses took 6 ms with two threads and 2 ms with one (an HNSW walk is single-threaded anyway).
    OpenMP's thread count is per calling thread, so builds elsewhere keep theirs; it is restored here."""
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        return index.search(vectors, depth, params=params)
    finally:
        faiss.omp_set_num_threads(before)


def row_selector(bits: np.ndarray, n: int):
    """A FAISS selector over rows whose bit is set in ``bits`` (np.packbits(mask, bitorder="little")).

    A bitmap tests a row in O(1) and is built in microseconds; IDSelectorBatch hashes every allowed id
    first (57 ms for a filter keeping 1M rows). The caller keeps ``bits`` alive during the search.
    """
    import faiss

    return faiss.IDSelectorBitmap(n, faiss.swig_ptr(bits))


def check_query(query: str) -> str:
    """Reject empty queries; cut very long ones (a pasted page) to MAX_QUERY_CHARS."""
    query = (query or "").strip()
    if not query or not re.search(r"[\w\u4e00-\u9fff]", query):
        raise QueryError("empty query: type some words to search for")
    return query[:MAX_QUERY_CHARS]


def quoted_terms(query: str) -> list[str]:
    """Terms the user put in quotes (any quote style), normalised."""
    norm = normalise(query)
    return [t.strip() for t in re.findall(r'"([^"]{1,30})"', norm) if t.strip()]


def highlight_terms(query: str, tokens: list[str]) -> list[str]:
    """Terms to mark in results: quoted terms and the query's words (``tokens``) of two or more characters."""
    words = [t for t in tokens if len(t) >= 2]
    return sorted(set(quoted_terms(query) + words), key=len, reverse=True)


def mark(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) spans of ``terms`` in ``text``, width- and case-insensitively."""
    return mark_all([text], terms)[0]


def mark_all(texts: list[str], terms: list[str]) -> list[list[tuple[int, int]]]:
    """mark() for each of ``texts``: longer terms first, each occurrence once, none overlapping another.

    NFKC can change string length for a few characters, so matching runs on each text folded one
    character for one (:func:`fold`), keeping offsets in the original text. A search's hits are folded
    together (one array lookup, not ~20 µs of per-run work a hit).
    """
    terms = sorted((t for t in terms if t), key=len, reverse=True)  # an empty term would match everywhere
    return [_mark_folded(folded, terms) for folded in fold_all(texts)] if terms else [[] for _ in texts]


def _mark_folded(folded: str, terms: list[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    taken = bytearray(len(folded) + 1)  # 1 where an earlier (longer) term was marked
    for term in terms:
        if term not in folded:
            continue
        width, ones = len(term), b"\x01" * len(term)
        a = folded.find(term)
        while a >= 0:
            b = a + width
            if taken.find(1, a, b) < 0:
                taken[a:b] = ones
                spans.append((a, b))
            a = folded.find(term, b)
    return sorted(spans)


class _FoldTable(dict):
    """``str.translate`` table folding each character to the first character of its normalised form,
    filled on first sight (used as is only for text beyond the Basic Multilingual Plane)."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = normalise(char)[:1] or char
        self[code] = folded
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """``text`` with each character folded as :class:`_FoldTable` does, one for one."""
    return fold_all([text])[0]


def fold_all(texts: list[str]) -> list[str]:
    """fold() of each text, all in one table lookup over their code points.

    mark() folds every hit's text. Through a code-point array (numpy) that is a few microseconds for a
    search's ten hits; translate() paid a dictionary lookup per character, and a regular expression
    over the runs that change a Python call per run (~20 µs a hit). Text beyond the Basic Multilingual
    Plane, which the array does not cover, goes through the dictionary. Lone surrogates pass unchanged.
    """
    joined = "".join(texts)
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if len(codes) and int(codes.max()) > 0xFFFF:
        return [text.translate(_FOLD) for text in texts]
    folded = _bmp_fold_codes()[codes].tobytes().decode("utf-32-le", "surrogatepass")
    return [folded[a:b] for a, b in itertools.pairwise([0, *itertools.accumulate(map(len, texts))])]


@functools.cache
def _bmp_fold_codes() -> np.ndarray:
    """The fold of every BMP code point as a code point (uint32), computed once (~60 ms); surrogates,
    which are not characters, map to themselves."""
    return np.array([c if 0xD800 <= c < 0xE000 else ord(_FOLD[c]) for c in range(0x10000)], dtype=np.uint32)


def _near_duplicate(a: str, b: str) -> bool:
    """Same text, or one contained in the other, or nearly the same by character overlap."""
    if a == b or (len(a) > 20 and (a in b or b in a)):
        return True
    if min(len(a), len(b)) < 40 or abs(len(a) - len(b)) > 0.1 * max(len(a), len(b)):
        return False
    # each distinct character of ``a`` missing from ``b`` costs at least one match: a set difference (C
    # speed) rules out most pairs before SequenceMatcher's Python-level indexing of ``b``
    if 2 * (len(a) - len(_characters(a) - _characters(b))) <= 0.95 * (len(a) + len(b)):
        return False
    from difflib import SequenceMatcher

    return (
        SequenceMatcher(None, a, b, autojunk=False).quick_ratio() > 0.95
        and SequenceMatcher(None, a, b).ratio() > 0.95
    )


# each text's characters, kept for its next comparison: a hit is compared with every earlier one of its source
_characters = functools.lru_cache(maxsize=256)(frozenset)


def substrings_in(text: str, names: set[str], longest: int) -> list[str]:
    """The ``names`` occurring in ``text``: every substring up to ``longest`` characters looked up in
    the set, so the cost follows the query's length, not the number of places (130k plans at 1M)."""
    found = {text[a:b] for a in range(len(text)) for b in range(a + 1, min(len(text), a + longest) + 1)}
    return sorted(found & names)


def _place_names(regions) -> list[str]:
    """The plans' regions, with and without their one-character suffix (高台县 and 高台)."""
    names: set[str] = set()
    for region in regions:
        names.add(region)
        if len(region) > 2 and region[-1] in "省市县区州旗盟":
            names.add(region[:-1])
    return sorted(names)


def _minmax(values: np.ndarray) -> np.ndarray:
    if len(values) == 0:
        return values.astype(np.float32)
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-9:
        return np.full(len(values), 1.0 if high > 0 else 0.0, dtype=np.float32)
    return ((values - low) / (high - low)).astype(np.float32)


def _top(scores: np.ndarray, depth: int, mask: np.ndarray | None = None) -> np.ndarray:
    """Rows of the ``depth`` highest positive scores (allowed rows only), in no particular order.

    The rows are split into groups of TOP_BLOCK; the depth-th highest of the groups' maxima is a
    threshold at least ``depth`` rows reach, so the rows reaching it hold every top row, and they lie in
    the groups whose maximum reaches it (or in the few rows after the last whole group): one pass over
    the array, then a look inside a few dozen groups. A group is every n-th row (the array read as
    TOP_BLOCK rows of n), so its maxima are one element-wise maximum over contiguous rows, at memory
    speed. At 1M clauses: selecting over all positive rows took ~9 ms a query, contiguous blocks and a
    second pass over the array ~0.65, this ~0.43.
    """
    positive = scores if mask is None else np.where(mask, scores, 0)
    n = len(positive) // TOP_BLOCK  # groups; group j holds rows j, j + n, j + 2n, …
    cut = n * TOP_BLOCK
    maxima = positive[:cut].reshape(TOP_BLOCK, n).max(axis=0)
    if n > depth:
        threshold = np.partition(maxima, -depth)[-depth]
        if threshold > 0:
            groups = np.flatnonzero(maxima >= threshold)
            rows = (np.arange(TOP_BLOCK)[:, None] * n + groups).ravel()
            tail = np.arange(cut, len(positive))
            rows = np.concatenate([rows[positive[rows] >= threshold], tail[positive[cut:] >= threshold]])
            return _best(positive, rows, depth)
    return _best(positive, np.flatnonzero(positive > 0), depth)


def _best(scores: np.ndarray, candidates: np.ndarray, depth: int) -> np.ndarray:
    """The ``depth`` candidates of highest score (all of them when there are not more)."""
    if len(candidates) > depth:
        candidates = candidates[np.argpartition(-scores[candidates], depth)[:depth]]
    return candidates
