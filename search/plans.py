"""The plan view: which plans address a topic, by meaning, one row per plan.

Beside the census (which answers "which plans use this exact term"), a researcher asks "which plans
deal with X": each plan's best clauses for the query, the plans ranked by their best clause.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .records import Document, Hit, document_json
from .retrieve import Filters, Searcher

PLAN_CANDIDATES = 60  # clauses searched for the plan view (at most PER_ROW of each plan are kept)
PER_ROW = 2  # clauses shown per plan: its best and the next best
FURTHER_DEPTH = 20  # hits searched beyond the k shown, for the plans' further hits the app expands in place
FURTHER_SHOWN = 10  # further hits kept per plan


@dataclass
class PlanRow:
    """One plan: its best clauses for the query (best first), how many more candidates it has, and the
    next of them that the search returned (``further``, best first; not part of the JSON)."""

    document: Document
    hits: list[Hit]
    more: int = 0
    further: list[Hit] = field(default_factory=list)

    def to_json(self) -> dict:
        hits = [h.to_json() for h in self.hits]
        return {**document_json(self.document), "hits": hits, "plan_more": self.more}


def group_by_plan(hits: list[Hit], per_row: int = PER_ROW) -> list[PlanRow]:
    """Rows of plans in the order of their first (best) hit, each with its first ``per_row`` hits;
    the rest of a plan's hits count towards its ``more`` (the first FURTHER_SHOWN kept as ``further``)."""
    rows: dict[str, PlanRow] = {}
    for hit in hits:
        row = rows.setdefault(hit.document.source, PlanRow(hit.document, [], hit.plan_more))
        if len(row.hits) < per_row:
            row.hits.append(hit)
        else:
            row.more += 1
            if len(row.further) < FURTHER_SHOWN:
                row.further.append(hit)
    return list(rows.values())


def further_by_plan(
    hits: list[Hit], k: int, limit: int = FURTHER_SHOWN
) -> tuple[list[Hit], dict[str, list[Hit]]]:
    """Split a deeper result list: its first ``k`` hits as a search for ``k`` gives them (each hit's
    ``plan_more`` counted against those ``k``), and for each of their plans its hits after the first
    ``k`` (at most ``limit``, best first): what "该文件更多 N 条" opens to.

    Why from one deeper search: the ranking does not depend on k and hits are taken greedily in rank
    order, so the first k of a deeper search are the k hits, and one ranking serves both."""
    shown, rest = hits[:k], hits[k:]
    further: dict[str, list[Hit]] = {}
    for hit in rest:
        further.setdefault(hit.document.source, []).append(hit)
    shown = [replace(h, plan_more=h.plan_more + len(further.get(h.document.source, []))) for h in shown]
    plans = {h.document.source for h in shown}
    return shown, {source: further[source][:limit] for source in plans if source in further}


def beyond_reach(
    searcher: Searcher, query: str, hits: list[Hit], further: dict[str, list[Hit]], filters: Filters | None
) -> dict[str, list[Hit]]:
    """Further hits of the shown plans that have more candidates but none in the deeper list, each from
    a search within that plan (a source filter: ranked as scored). Why: a topic query keeps law
    articles after the plans' clauses (Weights.law_cap), so a shown law's further articles lie beyond
    FURTHER_DEPTH; its "该文件更多 N 条" must still open them."""
    shown = {h.clause.clause_id for h in hits}
    found: dict[str, list[Hit]] = {}
    for hit in hits:
        source = hit.document.source
        if hit.plan_more and source not in further and source not in found:
            within = replace(filters or Filters(), source=source)
            own = searcher.search(query, k=FURTHER_SHOWN + len(hits), filters=within)
            own = [h for h in own if h.document.source == source and h.clause.clause_id not in shown]
            if own:
                found[source] = own[: min(FURTHER_SHOWN, hit.plan_more)]
    return found


def plan_view(
    searcher: Searcher, query: str, k: int = 10, filters: Filters | None = None, per_row: int = PER_ROW
) -> list[PlanRow]:
    """The ``k`` plans whose clauses best match ``query``, each with its best ``per_row`` clauses."""
    hits = searcher.search(query, k=max(PLAN_CANDIDATES, k * per_row), filters=filters, per_plan=per_row)
    return group_by_plan(hits, per_row)[:k]


def search_with_further(
    searcher: Searcher, query: str, k: int = 10, filters: Filters | None = None, context: int = 0
) -> tuple[list[Hit], dict[str, list[Hit]]]:
    """The ``k`` hits of ``searcher.search`` (with ``context`` neighbours) and their plans' further hits
    from FURTHER_DEPTH more (:func:`further_by_plan`), from one ranking.

    Why neighbours only for the ``k``: the further hits are shown without context; with it for 40 of
    them a seed query took about 1.6× a plain search's time, this way about 1.1× (median ~20 ms vs 18)."""
    deeper = searcher.search(query, k=k + FURTHER_DEPTH, filters=filters)
    hits, further = further_by_plan(deeper, k)
    further |= beyond_reach(searcher, query, hits, further, filters)
    if context:
        hits = [replace(h, context=searcher.neighbours(h.clause, context)) for h in hits]
    return hits, further
