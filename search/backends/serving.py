"""A Searcher whose legs a backend serves, with the local fusion, cues and passages unchanged.

The Searcher asks its scores of a ``search.legs.Legs``; :class:`BackendLegs` answers from an
:class:`IndexBackend`, so a query on Milvus runs exactly the local ranking code on the backend's scores.
It asks the backend only for what the fusion reads: each clause leg's best rows, and the pooled rows'
(and their documents') scores and vectors, read by primary key. The keyword indexes' vocabularies and
the SQLite records stay local: the tokenizer's ids must be the ones the build stored, and the reader
reads the records.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from ..catalogue import Catalogue
from ..fusion import TOP_BLOCK, top
from ..keyword import KeywordIndex
from ..legs import KEYWORD_LEGS, LocalLegs
from ..retrieve import Searcher
from ..store import check_model, open_store
from . import LOCAL, BackendError, IndexBackend, Where, backend_record, open_backend

MAX_ROWS = 16_384  # the most rows one backend search returns (Milvus's largest limit)


def clause_where(mask: np.ndarray, clause_doc: np.ndarray) -> Where:
    """Allowed clause rows as whole documents when the mask is exactly some documents' clauses (every
    filter but a lead unit's: a short expression), else as the rows themselves."""
    docs = np.unique(clause_doc[mask])
    if np.array_equal(mask, np.isin(clause_doc, docs)):
        return Where(docs=docs)
    return Where(rows=np.flatnonzero(mask))


class BackendLegs:
    """search.legs.Legs served by ``backend``; ``indexes`` are the local keyword indexes, read only for
    their vocabularies (query token -> id) and token frequencies (the verbatim lookup's rarest tokens)."""

    def __init__(
        self, backend: IndexBackend, indexes: dict[str, KeywordIndex], clause_doc: np.ndarray
    ) -> None:
        self.backend = backend
        self.indexes = indexes
        self.clause_doc = clause_doc
        self._last = threading.local()  # a search's dense results, for its cosines (searches run on threads)

    def where(self, leg: str, mask: np.ndarray | None) -> Where | None:
        """A mask as the backend's filter: clause rows (dense, "clauses") or document rows."""
        if mask is None:
            return None
        return clause_where(mask, self.clause_doc) if leg == "clauses" else Where(docs=np.flatnonzero(mask))

    def dense(self, vector: np.ndarray, depth: int, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        depth = min(depth, len(self.clause_doc) if mask is None else int(np.count_nonzero(mask)))
        if depth < 1:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        rows, scores = self.backend.dense_search(vector, depth, self.where("clauses", mask))
        self._last.dense = (vector, dict(zip(rows.tolist(), scores.tolist(), strict=True)))
        return rows[:depth], scores[:depth]

    def cosines(self, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """The dense search's own inner products for the rows it returned (this thread's last search,
        for the same vector); the other rows' vectors read by id."""
        last, known = getattr(self._last, "dense", (None, {}))
        if last is not vector:
            known = {}
        out = np.array([known.get(r, np.nan) for r in rows.tolist()], dtype=np.float32)
        missing = np.flatnonzero(np.isnan(out))
        if len(missing):
            out[missing] = self.backend.vectors(rows[missing]) @ vector
        return out

    def keyword(self, leg: str, tokens: list[str], mask: np.ndarray | None) -> BackendScores:
        return BackendScores(self, leg, self.index(leg).query_weights(tokens), mask)

    def rows_with_all(self, leg: str, tokens: list[str]) -> np.ndarray | None:
        ids = self.index(leg).rarest(tokens)  # the local index's choice of tokens, so the same rows
        if ids is None:
            return None
        return self.backend.rows_with_all(leg, ids)

    def index(self, leg: str) -> KeywordIndex:
        if leg not in KEYWORD_LEGS:
            raise ValueError(f"unknown keyword leg {leg!r}: one of {', '.join(KEYWORD_LEGS)}")
        return self.indexes[leg]


class BackendScores:
    """One query's scores on one keyword leg, asked of the backend as the Searcher needs them: the best
    rows (one search), then the scores of pooled rows it did not return (a clause's stored weights read
    by id; documents, whose weights run to thousands, scored by a search filtered to them). Scores
    already known are kept, so each row is read once a query."""

    def __init__(
        self, legs: BackendLegs, leg: str, weights: dict[int, float], mask: np.ndarray | None
    ) -> None:
        self.legs = legs
        self.leg = leg
        self.weights = weights
        self.mask = mask
        self.known: dict[int, float] = {}

    def top(self, depth: int, within: np.ndarray | None = None) -> np.ndarray:
        """The ``depth`` best rows (among ``within`` when given). When scores tie across the cut, the
        local leg's choice among the tied rows is search.fusion.top's: it is given every row it would
        read (see exact_top), so the pool holds the rows the local backend's would."""
        if not self.weights or depth < 1:
            return np.zeros(0, dtype=np.int64)
        where = self.legs.where(self.leg, self.mask if within is None else within)
        rows, scores = self._positive(depth + 1, where)
        self._remember(rows, scores)
        if len(rows) <= depth or scores[depth - 1] - scores[depth] > 1e-5 * max(1.0, abs(scores[depth])):
            return rows[:depth]
        size = self.legs.index(self.leg).size
        # below depth + 1 groups top() reads every matching row: only a whole read settles it
        for limit in (4 * depth, 32 * depth, MAX_ROWS) if size // TOP_BLOCK > depth else (MAX_ROWS,):
            rows, scores = self._positive(limit, where)
            self._remember(rows, scores)
            chosen = exact_top(rows, scores, size, depth, complete=len(rows) < limit or limit == MAX_ROWS)
            if chosen is not None:
                return chosen
        raise AssertionError("unreachable: the last read is taken as complete")

    def _positive(self, limit: int, where: Where | None) -> tuple[np.ndarray, np.ndarray]:
        rows, scores = self.legs.backend.keyword_scores(self.leg, self.weights, limit, where)
        keep = scores > 0
        return rows[keep], scores[keep]

    def at(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        if self.weights:
            missing = np.unique([r for r in rows.tolist() if r not in self.known]).astype(np.int64)
            if len(missing) and self.leg == "clauses":  # a few short rows: their weights, by id
                stored = self.legs.backend.weights(self.leg, missing)
                self._remember(missing, [_dot(self.weights, w) for w in stored])
            elif len(missing):  # documents hold thousands of weights: scored where they are
                self._remember(missing, np.zeros(len(missing)))
                self._remember(
                    *self.legs.backend.keyword_scores(
                        self.leg, self.weights, len(missing), Where(docs=missing)
                    )
                )
        out = np.array([self.known.get(r, 0.0) for r in rows.tolist()], dtype=np.float32)
        return out if self.mask is None else out * self.mask[rows]

    def _remember(self, rows, scores) -> None:
        self.known.update(
            zip(np.asarray(rows).tolist(), np.asarray(scores, dtype=np.float32).tolist(), strict=True)
        )


def exact_top(
    rows: np.ndarray, scores: np.ndarray, size: int, depth: int, complete: bool
) -> np.ndarray | None:
    """search.fusion.top over ``size`` rows of which the best are known (``rows``, ``scores``, best
    first; every row when ``complete``), or None when they do not settle its choice.

    top() reads only the rows scoring at least its threshold (the ``depth``-th highest of its groups'
    maxima, or above 0 below ``depth`` groups); past that it picks among them by np.argpartition, whose
    choice among tied rows depends on all of them. Rows scoring above the lowest score read are all
    known, so when the threshold computed from them alone lies above that score it is top()'s own and
    every row top() reads is known: it then picks exactly as on the whole array."""
    full = np.zeros(size, dtype=np.float32)
    if complete:
        full[rows] = scores
        return top(full, depth)
    last = scores[-1]
    above = scores > last
    full[rows[above]] = scores[above]
    groups = size // TOP_BLOCK
    if groups <= depth:
        return None
    maxima = full[: groups * TOP_BLOCK].reshape(TOP_BLOCK, groups).max(axis=0)
    if np.partition(maxima, -depth)[-depth] <= last:
        return None
    return top(full, depth)


def _dot(query: dict[int, float], stored: dict[int, float]) -> float:
    """A row's BM25 score: the query's token counts times the row's stored weights."""
    return float(sum(n * stored.get(t, 0.0) for t, n in query.items()))


def backend_legs(store, backend: IndexBackend) -> BackendLegs:
    """Legs of ``store``'s generation served by ``backend``."""
    local = LocalLegs(store)
    clause_doc = np.ascontiguousarray(Catalogue(store.db).layout()[:, 0])  # each row's document row
    return BackendLegs(backend, {leg: local.index(leg) for leg in KEYWORD_LEGS}, clause_doc)


def open_searcher(
    index_dir: Path, model: str | None = None, encoder=None, backend: str = LOCAL, uri: str | None = None
) -> Searcher:
    """A Searcher on the index in ``index_dir``, its legs served by ``backend`` (the local one by default).

    The backend must be the one the index was built with; the collection read is the one its
    manifest names (``uri`` defaults to the recorded one)."""
    if backend == LOCAL:
        return Searcher.open(index_dir, model=model, encoder=encoder)
    store = open_store(Path(index_dir))
    check_model(store.manifest, model if encoder is None else encoder.name)
    record = backend_record(store.manifest)
    if record["name"] != backend:
        raise BackendError(
            f"the index in {index_dir} was built for the {record['name']} backend: "
            f"query it with --backend {record['name']}, or rebuild it with --backend {backend}"
        )
    served = open_backend(backend, uri or record.get("uri"))
    served.open(record)
    return Searcher(store, encoder, legs=backend_legs(store, served))


def searcher_backend(searcher: Searcher) -> IndexBackend | None:
    """The backend serving ``searcher``'s legs (None for the local index)."""
    return getattr(searcher.legs, "backend", None)
