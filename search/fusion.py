"""Fusion: each leg's scores over the candidate pool become one ranking, then the ranking is spread
over plans.

Why a module of its own: the benchmark that tunes the weights (bench/eval_ncp.py) must rank exactly as
a search does, so both call these functions rather than one copying the other.

Legs are min-max normalised over the pool and summed with ``Weights``; bonuses (quoted terms, the
plan a query names) are added unscaled. A clause holding the query word for word is put first
(``verbatim_first``). ``diversify`` then keeps one plan from filling the list: researchers ask how
*plans* handle a topic, and the document legs lift every clause of the best-matching plan together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TOP_BLOCK = 256  # rows per group in top's threshold
LEGS = ("dense", "keyword", "document", "pairs")


@dataclass(frozen=True)
class Weights:
    """Fusion weights, candidate depth and the per-plan spread (weights tuned on the NCP set, see
    bench/eval_ncp.py; the spread on the cross-plan topics, bench/eval_topics.py).

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
    plan_penalty: float = 0.2  # spread over plans: fused score lost per clause of its plan ranked above
    per_plan: int = 0  # instead a hard cap: clauses of a plan before every other plan's next (0: none)
    # law articles ahead of the plans' clauses in a spread list, unless the query names a law or asks
    # for laws (the others follow every plan clause; -1: no cap). Chosen on the cross-plan topics
    # over plans and laws (bench/eval_topics.py --corpus all)
    law_cap: int = 1


def fuse(raw: dict[str, np.ndarray], quoted: np.ndarray, cue: np.ndarray, weights: Weights):
    """(fused score per pooled row, each leg normalised): the weighted sum of the legs, each min-max
    scaled over the pool, plus the quoted-term and plan-cue bonuses."""
    legs = {name: minmax(raw[name]) for name in LEGS}
    fused = weights.dense * legs["dense"] + weights.keyword * legs["keyword"]
    fused = fused + weights.document * legs["document"] + weights.pairs * legs["pairs"]
    return fused + weights.quoted * quoted + weights.cue * cue, legs


def rank_order(fused: np.ndarray, verbatim: np.ndarray | None = None) -> np.ndarray:
    """Pool positions best first: clauses holding the query verbatim before all others, each group by
    fused score (ties keep pool order)."""
    order = np.argsort(-fused, kind="stable")
    if verbatim is not None and verbatim.any():
        order = order[np.argsort(~verbatim[order], kind="stable")]
    return order


def diversify(plans: list, cap: int, groups: list | None = None) -> list[int]:
    """Positions of ranked items (``plans``: each item's plan, best first) reordered so that no plan
    has more than ``cap`` items ahead of another plan's next one.

    Items beyond their plan's cap keep their relative order and follow the others, so the list is only
    reordered, never cut: a plan with no competitor still fills the page. ``groups``: see
    ``within_groups``. ``cap`` 0 keeps the order.
    """
    if cap <= 0:
        return list(range(len(plans)))

    def capped(slots: list[int]) -> list[int]:
        taken: dict = {}
        first, later = [], []
        for i in slots:
            count = taken.get(plans[i], 0)
            taken[plans[i]] = count + 1
            (first if count < cap else later).append(i)
        return first + later

    return within_groups(len(plans), groups, capped)


def penalise_plans(plans: list, scores: np.ndarray, penalty: float, groups: list | None = None) -> list[int]:
    """Positions of ranked items reordered greedily by score minus ``penalty`` for each item of the same
    plan already taken: maximal marginal relevance with "same plan" as the similarity. A plan's best
    item is never penalised, so the plans' first items keep their order (document-level rankings are
    unchanged); ``groups``: see ``within_groups``. Chosen over the cap on the cross-plan topics
    (bench/eval_topics.py)."""
    if penalty <= 0:
        return list(range(len(plans)))

    def greedy(slots: list[int]) -> list[int]:
        # a plan's items are taken in their own order, its j-th one (from 0) at score - j * penalty:
        # greedy picking is then one sort by that key, ties to the earlier item
        at = np.asarray(slots, dtype=np.int64)
        plan_ids = np.unique(np.asarray([plans[i] for i in slots]), return_inverse=True)[1]
        by_plan = np.argsort(plan_ids, kind="stable")
        starts = np.searchsorted(plan_ids[by_plan], plan_ids[by_plan])
        nth = np.empty(len(at), dtype=np.int64)
        nth[by_plan] = np.arange(len(at)) - starts
        key = np.asarray(scores, dtype=np.float64)[at] - penalty * nth
        return at[np.argsort(-key, kind="stable")].tolist()

    return within_groups(len(plans), groups, greedy)


def spread(
    plans: list,
    fused: np.ndarray,
    groups: list,
    weights: Weights,
    per_plan: int | None = None,
    laws: list | None = None,
):
    """Positions of a ranked pool spread over plans as a search spreads them: a cap of ``per_plan``
    clauses when asked for (or set in ``weights``; 0 asked: no spread at all), else
    ``weights.plan_penalty``; then at most ``weights.law_cap`` of the items flagged in ``laws`` (law
    articles) ahead of the others (None: no cap, the query asks for law text)."""
    cap = weights.per_plan if per_plan is None else per_plan
    if cap or per_plan is not None:
        order = diversify(plans, cap, groups)
    else:
        order = penalise_plans(plans, fused, weights.plan_penalty, groups)
    if laws is None or weights.law_cap < 0 or per_plan == 0:  # 0 asked: the ranking as scored
        return order
    flags = [laws[i] for i in order]
    return [order[i] for i in cap_flagged(flags, weights.law_cap, [groups[i] for i in order])]


def cap_flagged(flags: list, cap: int, groups: list | None = None) -> list[int]:
    """Positions of ranked items reordered so that at most ``cap`` flagged items come before the
    unflagged ones; the later flagged items follow all the others, in their order (reordered, never
    cut). ``groups``: see ``within_groups``."""
    if not any(flags):
        return list(range(len(flags)))

    def capped(slots: list[int]) -> list[int]:
        taken, first, later = 0, [], []
        for i in slots:
            taken += bool(flags[i])
            (later if flags[i] and taken > cap else first).append(i)
        return first + later

    return within_groups(len(flags), groups, capped)


def within_groups(n: int, groups: list | None, reorder) -> list[int]:
    """Apply ``reorder`` (positions → positions) to each group of items on its own, each group keeping
    the places its items had: with groups for verbatim holders and holders of the quoted terms, no
    spreading moves an item below one of a lesser group."""
    groups = [0] * n if groups is None else groups
    members: dict = {}
    for i, g in enumerate(groups):
        members.setdefault(g, []).append(i)
    order = [0] * n
    for slots in members.values():
        for slot, i in zip(slots, reorder(slots), strict=True):
            order[slot] = i
    return order


def plan_more(plans: list, shown: int) -> list[int]:
    """For each of the first ``shown`` items, how many items of its plan the ranked list holds after
    the shown ones: the "more from this file" a reader can expand."""
    rest: dict = {}
    for plan in plans[shown:]:
        rest[plan] = rest.get(plan, 0) + 1
    return [rest.get(plan, 0) for plan in plans[:shown]]


def minmax(values: np.ndarray) -> np.ndarray:
    """Scores scaled to [0, 1] over the candidate pool (all ones when they are all equal and positive)."""
    if len(values) == 0:
        return values.astype(np.float32)
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-9:
        return np.full(len(values), 1.0 if high > 0 else 0.0, dtype=np.float32)
    return ((values - low) / (high - low)).astype(np.float32)


def top(scores: np.ndarray, depth: int, mask: np.ndarray | None = None) -> np.ndarray:
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
            return best(positive, rows, depth)
    return best(positive, np.flatnonzero(positive > 0), depth)


def best(scores: np.ndarray, candidates: np.ndarray, depth: int) -> np.ndarray:
    """The ``depth`` candidates of highest score (all of them when there are not more)."""
    if len(candidates) > depth:
        candidates = candidates[np.argpartition(-scores[candidates], depth)[:depth]]
    return candidates
