"""A Searcher whose legs a backend serves, with the local fusion, cues and passages unchanged.

The Searcher reads its legs from its store: ``faiss_index`` (searched with FAISS search parameters),
``vectors()`` (pooled rows' cosines) and the three ``bm25_*`` keyword indexes (``scores(tokens, mask)``).
:class:`BackendStore` is the local store with those four replaced by adapters over an
:class:`IndexBackend`, so a query on Milvus runs exactly the local ranking code on the backend's scores.
The keyword indexes' vocabularies and the SQLite records stay local (the tokenizer's ids must match the
ones the build stored; the reader reads the records).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from ..keyword import KeywordIndex
from ..retrieve import Searcher
from ..store import Store, check_model, open_store
from . import LEGS, LOCAL, BackendError, IndexBackend, Where, backend_record, open_backend


class DenseLeg:
    """FAISS's ``search`` and ``ntotal`` over a backend's dense vectors; a search parameter's selector
    (the filter's rows) becomes the backend's ``Where``."""

    def __init__(self, backend: IndexBackend, clause_doc: np.ndarray) -> None:
        self.backend = backend
        self.clause_doc = clause_doc
        self.ntotal = len(clause_doc)

    def search(self, vectors: np.ndarray, depth: int, params=None) -> tuple[np.ndarray, np.ndarray]:
        where = None if params is None else clause_where(selected(params.sel, self.ntotal), self.clause_doc)
        rows, scores = self.backend.dense_search(vectors[0], depth, where)
        out_rows = np.full((1, depth), -1, dtype=np.int64)
        out_scores = np.full((1, depth), -np.inf, dtype=np.float32)
        out_rows[0, : len(rows)], out_scores[0, : len(rows)] = rows[:depth], scores[:depth]
        return out_scores, out_rows


def clause_where(mask: np.ndarray, clause_doc: np.ndarray) -> Where:
    """Allowed clause rows as whole documents when the mask is exactly some documents' clauses (every
    filter but a lead unit's: a short expression), else as the rows themselves."""
    docs = np.unique(clause_doc[mask])
    if np.array_equal(mask, np.isin(clause_doc, docs)):
        return Where(docs=docs)
    return Where(rows=np.flatnonzero(mask))


def selected(selector, n: int) -> np.ndarray:
    """Rows a FAISS selector allows. A Python call per row (~0.3 µs): a filtered query at 1M rows pays
    ~0.3 s, which the backend seam in the Searcher (a mask passed to the backend) will remove."""
    return np.fromiter((selector.is_member(i) for i in range(n)), dtype=bool, count=n)


class KeywordLeg:
    """A keyword index's ``scores(tokens, mask)`` served by a backend: the local index only turns the
    query's tokens into ids (its vocabulary is the build's).

    The whole score array is exact while at most MAX_TOPK (16,384) rows match the query; past that the
    weakest matches read 0, which matters only for a row the dense leg pools. The seam in the Searcher
    should ask the backend for the pooled rows' scores instead (a filter on their ids)."""

    def __init__(self, index: KeywordIndex, backend: IndexBackend, leg: str, clause_doc: np.ndarray) -> None:
        self.index = index
        self.backend = backend
        self.leg = leg
        self.clause_doc = clause_doc
        self.size = index.size

    def scores(self, tokens: list[str], mask: np.ndarray | None = None) -> np.ndarray:
        out = np.zeros(self.size, dtype=np.float32)
        weights = self.index.query_weights(tokens)
        if not weights:
            return out
        where = None
        if mask is not None:
            where = (
                clause_where(mask, self.clause_doc)
                if self.leg == "clauses"
                else Where(docs=np.flatnonzero(mask))
            )
        rows, scores = self.backend.keyword_scores(self.leg, weights, self.size, where)
        out[rows] = scores
        return out if mask is None else out * mask

    def rows_with_all(self, tokens: list[str], rarest: int = 4) -> np.ndarray | None:
        """KeywordIndex.rows_with_all on the backend's postings (the local vocabulary picks the
        rarest tokens, as the local index does)."""
        ids = self.index.rarest(tokens, rarest)
        if ids is None:
            return None
        return self.backend.rows_with_all(self.leg, ids)


class VectorRows:
    """``store.vectors()[rows]`` for a backend: the rows' vectors fetched when indexed."""

    def __init__(self, backend: IndexBackend) -> None:
        self.backend = backend

    def __getitem__(self, rows) -> np.ndarray:
        return self.backend.vectors(np.atleast_1d(np.asarray(rows, dtype=np.int64)))


@dataclass
class BackendStore(Store):
    """The local store with its legs served by ``backend`` (exact and approximate search alike go to
    the backend, which chose its own index at build time)."""

    backend: IndexBackend | None = None

    def exact_index(self):
        return self.faiss_index

    def vectors(self):
        return VectorRows(self.backend)


def backend_store(store: Store, backend: IndexBackend) -> BackendStore:
    """``store`` with its dense and keyword legs replaced by ``backend``'s."""
    clause_doc = np.array(
        [
            r[0]
            for r in store.db.execute(
                "SELECT d.doc_row FROM clauses c JOIN documents d USING(source) ORDER BY c.vec"
            )
        ],
        dtype=np.int64,
    )
    values = {f.name: getattr(store, f.name) for f in fields(store) if f.init}
    values["faiss_index"] = DenseLeg(backend, clause_doc)
    for leg in LEGS:
        values[f"bm25_{leg}"] = KeywordLeg(getattr(store, f"bm25_{leg}"), backend, leg, clause_doc)
    return BackendStore(**values, backend=backend)


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
    return Searcher(backend_store(store, served), encoder)
