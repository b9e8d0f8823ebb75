"""Term census: every plan whose text contains a term, with counts, years and the clauses that say it.

This is exhaustive by construction: a substring scan over the normalised text of every document
(full/half width and quote styles folded), not a ranked top-k, so "which plans mention 双减"
never misses one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .backends.serving import searcher_backend
from .keyword import normalise
from .records import Clause, Document, citation, clause_json, document_json
from .retrieve import Filters, QueryError, Searcher

SQL_BATCH = 500  # documents read per SQL query

MAX_TERM_CHARS = 100


@dataclass
class Mention:
    """One document that mentions the term."""

    document: Document
    count: int
    clauses: list[Clause]

    def to_json(self) -> dict:
        return {
            **document_json(self.document),
            "count": self.count,
            "clauses": [{**clause_json(c), "citation": citation(self.document, c)} for c in self.clauses],
        }


@dataclass
class Census:
    term: str
    mentions: list[Mention]
    documents_per_year: dict[int, int] = field(default_factory=dict)
    mentions_per_year: dict[int, int] = field(default_factory=dict)


def census(searcher: Searcher, term: str, filters: Filters | None = None) -> Census:
    """All documents containing ``term``, sorted by year then source, with per-year totals."""
    needle = normalise((term or "").strip()).strip("\"' ")  # “双减” means the phrase 双减
    if not needle:
        raise QueryError("empty term: give a word or phrase to count, e.g. 双减")
    if len(needle) > MAX_TERM_CHARS:
        raise QueryError(f"term is {len(needle)} characters: a census term is at most {MAX_TERM_CHARS}")
    filters = filters or Filters()
    backend = searcher_backend(searcher)
    if backend is not None:
        mentions = _backend_mentions(searcher, backend, needle, filters)
    else:
        where, args = filters.sql()
        documents = searcher.catalogue.documents_containing(needle, where, args)
        mentions = [_mention(searcher, document, needle, filters) for document in documents]
    mentions = [m for m in mentions if m.count]  # a clause filter can leave a document no mention
    docs, counts = Counter(), Counter()
    for m in mentions:
        docs[m.document.year or 0] += 1
        counts[m.document.year or 0] += m.count
    return Census(term.strip(), mentions, dict(sorted(docs.items())), dict(sorted(counts.items())))


def _backend_mentions(searcher: Searcher, backend, needle: str, filters: Filters) -> list[Mention]:
    """The census on a backend: which documents hold the term and how often, by the backend's
    exhaustive scan; their records and clauses from the local store, in the local order."""
    if filters.lead:
        raise QueryError("a census by lead unit (--lead) runs on the local backend only: leave it out here")
    _, doc_mask = searcher.masks(filters)
    counts = backend.scan(needle, None if doc_mask is None else np.flatnonzero(doc_mask))
    sources = {searcher.doc_source[row]: n for row, n in counts.items()}
    found = sorted(sources)
    documents = []
    for at in range(0, len(found), SQL_BATCH):
        chunk = found[at : at + SQL_BATCH]
        documents += searcher.catalogue.documents(f"source IN ({','.join('?' * len(chunk))})", chunk)
    documents.sort(key=lambda d: (d.year is None, d.year or 0, d.source))  # year IS NULL, year, source
    mentions = []
    for document in documents:
        mention = _mention(searcher, document, needle, filters)
        mention.count = sources[document.source]
        mentions.append(mention)
    return mentions


def _mention(searcher: Searcher, document: Document, needle: str, filters: Filters) -> Mention:
    """The document's count and clauses; under a clause filter (lead unit) only the text of the clauses
    it allows counts: a plain scan of their spans, merged so no character is counted twice."""
    if not filters.lead:
        found = searcher.catalogue.clauses_containing(document.source, needle)
        return Mention(document, normalise(document.text).count(needle), found)
    where, args = filters.clause_sql()
    allowed = searcher.catalogue.clauses_of(document.source, where, args)
    spans = merged_spans((c.start, c.end) for c in allowed)
    count = sum(normalise(document.text[a:b]).count(needle) for a, b in spans)
    holding = {c.clause_id for c in searcher.catalogue.clauses_containing(document.source, needle)}
    return Mention(document, count, [c for c in allowed if c.clause_id in holding])


def merged_spans(spans) -> list[tuple[int, int]]:
    """(start, end) spans sorted, overlapping or touching ones merged."""
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged
