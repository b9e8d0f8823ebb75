"""From ranked clause rows to hits: near-duplicates skipped, passages, citations' metadata, marked terms.

Why apart from the ranking: a ranking is rows and scores (what the benchmarks and the fusion need);
a hit is what a reader sees, built for the first k rows only, from the records (search.catalogue) and
the index's layout kept in memory (each row's document, position and span), not from a query per hit.
"""

from __future__ import annotations

import functools
import re

import numpy as np

from .catalogue import Catalogue, document_from_row
from .cues import highlight_terms
from .passages import PASSAGE_RADIUS, grow_all_passages, grow_passage
from .records import Clause, Document, Hit
from .text import mark_all, near_duplicate

PASSAGE_CHARS = 800  # a hit's passage: its clause plus neighbours, at most this long (the NCP metric's)
METADATA_CACHE = 4096  # metadata-only documents kept for hits' citations

_SPACE_RE = re.compile(r"\s+")


class Layout:
    """Each clause row's document, position and span, and the rows ordered by (document, position):
    a hit's neighbours (for its passage) and a document's rows are then found in memory. Every row's
    passage is grown once, here."""

    def __init__(self, layout: np.ndarray, passage_chars: int = PASSAGE_CHARS) -> None:
        """``layout``: (doc_row, seq, start, end) per clause row (Catalogue.layout)."""
        self.clause_doc = np.ascontiguousarray(layout[:, 0])
        self.seq, self.start, self.end = (np.ascontiguousarray(layout[:, i]) for i in (1, 2, 3))
        self.by_position = np.lexsort((self.seq, self.clause_doc))  # rows by document, then seq
        self.position_doc = self.clause_doc[self.by_position]  # sorted: a document's rows, by search
        self.seq_span = int(self.seq.max(initial=0)) + 1
        self.position_keys = self.position_key(self.clause_doc, self.seq)[self.by_position]  # sorted
        self.passage_spans = grow_all_passages(
            self.clause_doc, self.start, self.end, self.by_position, passage_chars
        )

    def position_key(self, doc: np.ndarray, seq: np.ndarray) -> np.ndarray:
        return doc * self.seq_span + seq

    def rows_of(self, docs: np.ndarray) -> np.ndarray:
        """The clause rows of the given (sorted, distinct) document rows, document by document."""
        starts = np.searchsorted(self.position_doc, docs)
        ends = np.searchsorted(self.position_doc, docs, side="right")
        parts = [self.by_position[a:b] for a, b in zip(starts, ends, strict=True)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def near(self, docs: np.ndarray, seqs: np.ndarray) -> list[list[tuple[int, int, int]]]:
        """For each (document row, seq), (seq, start, end) of the clauses within PASSAGE_RADIUS positions
        of it in its document: one set of array operations for all of a search's hits, not one per hit
        (numpy's call overhead: 0.16 → 0.12 ms for ten hits). A document row of -1: none."""
        n = len(self.position_keys)
        if n == 0 or len(docs) == 0:
            return [[] for _ in range(len(docs))]
        keys = self.position_key(docs, seqs)
        at = np.minimum(np.searchsorted(self.position_keys, keys), n - 1)
        found = (docs >= 0) & (seqs >= 0) & (seqs < self.seq_span) & (self.position_keys[at] == keys)
        slots = at[:, None] + np.arange(-PASSAGE_RADIUS, PASSAGE_RADIUS + 1)[None, :]
        window = self.by_position[np.clip(slots, 0, n - 1)]
        seq = self.seq[window]
        keep = (slots >= 0) & (slots < n) & found[:, None]
        keep &= (self.clause_doc[window] == docs[:, None]) & (seq != seqs[:, None])
        taken = window[keep]  # rows kept, clause by clause
        triples = list(
            zip(seq[keep].tolist(), self.start[taken].tolist(), self.end[taken].tolist(), strict=True)
        )
        bounds = np.cumsum(keep.sum(axis=1)).tolist()
        return [triples[a:b] for a, b in zip([0, *bounds[:-1]], bounds, strict=True)]


class Hits:
    """Builds a query's hits from its ranked rows."""

    def __init__(self, catalogue: Catalogue, layout: Layout, metadata_rows: list, doc_row: dict[str, int]):
        self.catalogue = catalogue
        self.layout = layout
        self.metadata_rows = metadata_rows  # every document's metadata row, in doc_row order
        self.doc_row = doc_row
        self._metadata: dict[str, Document] = {}

    def build(
        self,
        query: str,
        ranked: tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]],
        k: int,
        context: int,
        tokens: list[str],
    ) -> list[Hit]:
        """The first k distinct clauses of ``ranked`` (rows, fused scores, normalised legs) as hits,
        each with ``context`` neighbouring clauses on each side."""
        rows, scores, legs = ranked
        clause_doc = self.layout.clause_doc
        chosen = self.distinct(rows.tolist(), k)
        shown = [clause_doc[rows[i]] for i, _ in chosen]
        rest = np.bincount(clause_doc[rows], minlength=len(self.metadata_rows))  # the plan's candidates ...
        more = [int(rest[d]) - shown.count(d) for d in shown]  # ... not among the hits
        # every row's passage was grown once, when the index was opened
        passages = [tuple(span) for span in self.layout.passage_spans[rows[[i for i, _ in chosen]]].tolist()]
        texts = self.catalogue.slices(
            [(c.source, *span) for (_, c), span in zip(chosen, passages, strict=True)]
        )
        marks = mark_all([clause.text for _, clause in chosen], highlight_terms(query, tokens))
        return [
            Hit(
                clause,
                self.metadata(clause.source),
                float(scores[i]),
                {n: float(v[i]) for n, v in legs.items()},
                spans,
                self.catalogue.neighbours(clause, context) if context else [],
                span,
                text,
                plan_more=n_more,
            )
            for (i, clause), span, text, spans, n_more in zip(
                chosen, passages, texts, marks, more, strict=True
            )
        ]

    def distinct(self, rows: list[int], k: int) -> list[tuple[int, Clause]]:
        """The first k of ``rows`` (as (rank, clause)) skipping near-duplicates of a clause already taken
        from the same source."""
        chosen: list[tuple[int, Clause]] = []
        seen: dict[str, list[str]] = {}  # per source, the normalised texts already taken
        # a text loses its spaces only when first compared: most hits are their source's only one
        spaceless = functools.cache(lambda norm: _SPACE_RE.sub("", norm))
        for i, (clause, norm) in enumerate(self.catalogue.clauses_at(rows, k + 2)):
            earlier = seen.setdefault(clause.source, [])
            if any(near_duplicate(spaceless(norm), spaceless(other)) for other in earlier):
                continue
            earlier.append(norm)
            chosen.append((i, clause))
            if len(chosen) == k:
                break
        return chosen

    def metadata(self, source: str) -> Document:
        """A document's metadata without its texts: what a hit's citation needs (kept for the next hits
        from the same plan; a Document is frozen)."""
        document = self._metadata.get(source)
        if document is None:
            if len(self._metadata) >= METADATA_CACHE:
                self._metadata.clear()
            document = document_from_row(self.metadata_rows[self.doc_row[source]])
            self._metadata[source] = document
        return document

    def passages(self, clauses: list[Clause], limit: int = PASSAGE_CHARS) -> list[tuple[int, int]]:
        """Offsets into the document text of each clause grown by whole neighbouring clauses, next and
        previous in turn, while the span stays within ``limit`` characters (search.passages)."""
        return [grow_passage(c, near, limit) for c, near in zip(clauses, self.near(clauses), strict=True)]

    def near(self, clauses: list[Clause]) -> list[list[tuple[int, int, int]]]:
        """For each clause, (seq, start, end) of the clauses within PASSAGE_RADIUS positions of it in its
        document (none for a clause of a document not indexed)."""
        docs = np.array([self.doc_row.get(c.source, -1) for c in clauses], dtype=np.int64)
        seqs = np.array([c.seq for c in clauses], dtype=np.int64)
        return self.layout.near(docs, seqs)
