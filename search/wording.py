"""Precedent wording: clauses across plans that say the same thing as a draft, oldest first.

A drafter wants to see who wrote a sentence first and how it changed, so results are grouped by
document and ordered by year, and the wording each clause shares with the draft is marked as
character spans (longest common blocks of at least MIN_SHARED characters).
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from .keyword import normalise
from .records import Document, Hit, document_json
from .retrieve import Filters, Searcher, check_query

MIN_SHARED = 4
LONG_SHARED = 10  # characters of shared wording that make a clause a likely source of the draft


@dataclass
class Precedent:
    """One document's clauses similar to the draft, with shared spans per clause."""

    document: Document
    hits: list[Hit]
    shared: list[list[tuple[int, int]]]  # per hit: spans of clause text shared with the draft

    def to_json(self) -> dict:
        return {
            **document_json(self.document),
            "clauses": [
                {
                    **h.to_json(),
                    "shared": [list(s) for s in spans],
                    "shared_chars": sum(b - a for a, b in spans),
                }
                for h, spans in zip(self.hits, self.shared, strict=True)
            ],
        }


def shared_spans(draft: str, text: str, min_len: int = MIN_SHARED) -> list[tuple[int, int]]:
    """Spans of ``text`` that also occur in ``draft`` (longest common blocks, width-insensitive)."""
    a = "".join(normalise(ch)[:1] or ch for ch in draft)
    b = "".join(normalise(ch)[:1] or ch for ch in text)
    blocks = SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
    return [(blk.b, blk.b + blk.size) for blk in blocks if blk.size >= min_len]


def similar(searcher: Searcher, draft: str, k: int = 20, filters: Filters | None = None) -> list[Precedent]:
    """The k clauses most like ``draft``, grouped by document, documents ordered by year.

    Twice k candidates are ranked by the longest span of wording each shares with the draft when it
    reaches LONG_SHARED characters (a clause holding the draft verbatim shares all of it, so it comes
    first), then by the search's order: a sentence copied from another plan outweighs one about the
    same topic in other words."""
    draft = check_query(draft)
    candidates = searcher.search(draft, k=2 * k, filters=filters)
    spans = [shared_spans(draft, h.clause.text) for h in candidates]
    longest = [max((b - a for a, b in s), default=0) for s in spans]
    order = sorted(range(len(candidates)), key=lambda i: (-longest[i] if longest[i] >= LONG_SHARED else 0, i))
    groups: dict[str, list[int]] = {}
    for i in order[:k]:
        groups.setdefault(candidates[i].document.source, []).append(i)
    precedents = [
        Precedent(candidates[group[0]].document, [candidates[i] for i in group], [spans[i] for i in group])
        for group in groups.values()
    ]
    return sorted(precedents, key=lambda p: (p.document.year or 9999, -max(h.score for h in p.hits)))
