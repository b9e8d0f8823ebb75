"""The plan view: which plans address a topic, by meaning, one row per plan.

Beside the census (which answers "which plans use this exact term"), a researcher asks "which plans
deal with X": each plan's best clauses for the query, the plans ranked by their best clause.
"""

from __future__ import annotations

from dataclasses import dataclass

from .records import Document, Hit, document_json
from .retrieve import Filters, Searcher

PLAN_CANDIDATES = 60  # clauses searched for the plan view (at most PER_ROW of each plan are kept)
PER_ROW = 2  # clauses shown per plan: its best and the next best


@dataclass
class PlanRow:
    """One plan: its best clauses for the query (best first) and how many more candidates it has."""

    document: Document
    hits: list[Hit]
    more: int = 0

    def to_json(self) -> dict:
        hits = [h.to_json() for h in self.hits]
        return {**document_json(self.document), "hits": hits, "plan_more": self.more}


def group_by_plan(hits: list[Hit], per_row: int = PER_ROW) -> list[PlanRow]:
    """Rows of plans in the order of their first (best) hit, each with its first ``per_row`` hits;
    the rest of a plan's hits count towards its ``more``."""
    rows: dict[str, PlanRow] = {}
    for hit in hits:
        row = rows.setdefault(hit.document.source, PlanRow(hit.document, [], hit.plan_more))
        if len(row.hits) < per_row:
            row.hits.append(hit)
        else:
            row.more += 1
    return list(rows.values())


def plan_view(
    searcher: Searcher, query: str, k: int = 10, filters: Filters | None = None, per_row: int = PER_ROW
) -> list[PlanRow]:
    """The ``k`` plans whose clauses best match ``query``, each with its best ``per_row`` clauses."""
    hits = searcher.search(query, k=max(PLAN_CANDIDATES, k * per_row), filters=filters, per_plan=per_row)
    return group_by_plan(hits, per_row)[:k]
