"""The scores a search fuses, behind one small seam: a dense leg and three keyword legs.

Why a seam: the Searcher's cues, masks, fusion and hit building are the same whatever engine holds the
vectors and the keyword indexes; only the scoring differs. ``Legs`` is everything the Searcher asks of
that engine, so another backend (a Milvus collection, say) implements these few methods and ranks
exactly as the local one does. ``LocalLegs`` is the local engine: FAISS for the dense leg, the stored
vectors for pooled rows' cosines, and bm25s for the keyword legs.

Rows are clause rows (positions in the vector index) for the dense leg and the "clauses" keyword leg,
document rows (``doc_row``) for the "documents" and "pairs" legs. A mask is a boolean array over those
rows (None: every row allowed); masked-out rows never come back and score 0.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from .fusion import top
from .keyword import KeywordIndex
from .store import EXACT_LIMIT, Store

# the keyword legs: the clause's words, the document's words, the document's character pairs
KEYWORD_LEGS = ("clauses", "documents", "pairs")
# a filter allowing at most this many clauses is searched exactly (flat scan of the allowed rows), even
# in an HNSW index: about as cheap as a graph walk through mostly forbidden nodes, and never misses
EXACT_FILTERED_LIMIT = EXACT_LIMIT
BITS_CACHE = 16  # read-only masks whose packed bits are kept (the Searcher keeps as many masks)


class Scores(Protocol):
    """One query's scores on one keyword leg. The fusion needs only the leg's best rows and the scores
    of the rows pooled from every leg, so a remote engine need not send a score for every row."""

    def top(self, depth: int, within: np.ndarray | None = None) -> np.ndarray:
        """Rows of the ``depth`` highest positive scores (allowed rows only), in no particular order;
        ``within`` (a mask inside the leg's own) narrows the rows, as a second query under that mask
        would, without scoring the query again."""
        ...

    def at(self, rows: np.ndarray) -> np.ndarray:
        """float32 scores of ``rows`` (0 for a row the query's tokens miss or the mask forbids)."""
        ...


class Legs(Protocol):
    """What a Searcher asks of the engine holding its vectors and keyword indexes."""

    def dense(self, vector: np.ndarray, depth: int, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(rows, inner products) of the ``depth`` clause rows nearest ``vector`` (1-D, normalised)
        among the allowed ones, best first; fewer when fewer rows are allowed."""
        ...

    def cosines(self, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """Inner products of ``vector`` with the given clause rows' vectors (float32, in ``rows``' order):
        rows pooled by a keyword leg alone need their dense score too."""
        ...

    def keyword(self, leg: str, tokens: list[str], mask: np.ndarray | None) -> Scores:
        """A keyword leg's (one of KEYWORD_LEGS) BM25 scores of the query ``tokens``."""
        ...

    def rows_with_all(self, leg: str, tokens: list[str]) -> np.ndarray | None:
        """Sorted rows of a keyword leg holding every one of the rarest few ``tokens`` (empty when a
        token is in no row; None without tokens): the verbatim lookup's prefilter."""
        ...


class ScoreArray:
    """Scores held as one array over all of a leg's rows (what bm25s computes anyway)."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = values

    def top(self, depth: int, within: np.ndarray | None = None) -> np.ndarray:
        return top(self.values, depth, within)  # already 0 outside the mask

    def at(self, rows: np.ndarray) -> np.ndarray:
        return self.values[rows]


class NoScores:
    """A leg left out of the fusion (weighted 0): nothing is scored, every row reads 0."""

    def top(self, depth: int, within: np.ndarray | None = None) -> np.ndarray:
        return np.zeros(0, dtype=np.int64)

    def at(self, rows: np.ndarray) -> np.ndarray:
        return np.zeros(len(rows), dtype=np.float32)


class LocalLegs:
    """The legs of a local index: FAISS, the stored vectors and the three bm25s indexes of ``store``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._bits: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # id(mask) -> (mask, packed bits)

    def dense(self, vector: np.ndarray, depth: int, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        if self.store.faiss_index.ntotal == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        index, depth, params, _bits = self.dense_plan(mask, depth)  # _bits: referenced while searching
        scores, rows = faiss_search(index, vector.reshape(1, -1), depth, params)
        keep = rows[0] >= 0
        return rows[0][keep].astype(np.int64), scores[0][keep]

    def dense_plan(self, mask: np.ndarray | None, depth: int) -> tuple:
        """(FAISS index, depth, search parameters, selector bits) for a dense search over allowed rows:
        the index itself, or its exact view when a filter leaves at most EXACT_FILTERED_LIMIT rows.
        The caller keeps the bits alive while it searches (bench/scale.py times the same plan)."""
        import faiss

        n = self.store.faiss_index.ntotal
        allowed = n if mask is None else int(np.count_nonzero(mask))
        depth = min(depth, allowed)
        if mask is None:
            return self.store.faiss_index, depth, None, None
        bits = self._packed(mask)
        params = faiss.SearchParameters(sel=row_selector(bits, len(mask)))
        index = self.store.exact_index() if allowed <= EXACT_FILTERED_LIMIT else self.store.faiss_index
        return index, depth, params, bits

    def _packed(self, mask: np.ndarray) -> np.ndarray:
        """The mask's bits for FAISS's selector. A read-only mask (the Searcher freezes the masks it
        keeps for the next queries under the same filter) cannot change, so its bits are kept beside it:
        packing 1M rows is not free. A writable one is packed each time."""
        kept = self._bits.get(id(mask))
        if kept is not None and kept[0] is mask:  # the entry holds the mask: its id is not reused
            return kept[1]
        bits = np.packbits(mask, bitorder="little")
        if not mask.flags.writeable:
            if len(self._bits) >= BITS_CACHE:
                self._bits.clear()
            self._bits[id(mask)] = (mask, bits)
        return bits

    def cosines(self, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
        return self.store.vectors()[rows] @ vector

    def keyword(self, leg: str, tokens: list[str], mask: np.ndarray | None) -> Scores:
        return ScoreArray(self.index(leg).scores(tokens, mask))

    def rows_with_all(self, leg: str, tokens: list[str]) -> np.ndarray | None:
        return self.index(leg).rows_with_all(tokens)

    def index(self, leg: str) -> KeywordIndex:
        """The store's bm25s index of a keyword leg."""
        if leg not in KEYWORD_LEGS:
            raise ValueError(f"unknown keyword leg {leg!r}: one of {', '.join(KEYWORD_LEGS)}")
        return getattr(self.store, "bm25_doc_pairs" if leg == "pairs" else f"bm25_{leg}")


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
