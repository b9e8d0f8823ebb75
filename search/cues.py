"""What a query says besides its words: the years and places that pick a plan, quoted terms, the
terms to mark, and the character pairs a verbatim lookup narrows by. Pure functions of the query text
(and of the places the index knows), apart from the Searcher that uses them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .keyword import char_bigrams, normalise


@dataclass(frozen=True)
class Cues:
    """Years and places a query names: they pick the plan, not the clause (高台县2023年…投资多少)."""

    years: tuple[int, ...] = ()
    places: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.years or self.places)


def verbatim_pairs(text: str) -> list[str]:
    """The character pairs inside ``text``'s runs of Chinese characters that any document holding the
    text verbatim also holds (unless it breaks the text by a space where the text has none): not a
    lone character of a run cut at the text's edge, nor a run of digits or letters cut short (023 of
    2023)."""
    return [p for p in char_bigrams(text) if len(p) == 2 and not p.isascii()]


def targets_one_plan(cues: Cues) -> bool:
    """A query naming both a year and a place some plan has asks about that plan."""
    return bool(cues.years and cues.places)


def quoted_terms(query: str) -> list[str]:
    """Terms the user put in quotes (any quote style), normalised."""
    norm = normalise(query)
    return [t.strip() for t in re.findall(r'"([^"]{1,30})"', norm) if t.strip()]


def highlight_terms(query: str, tokens: list[str]) -> list[str]:
    """Terms to mark in results: quoted terms and the query's words (``tokens``) of two or more characters."""
    words = [t for t in tokens if len(t) >= 2]
    return sorted(set(quoted_terms(query) + words), key=lambda t: (-len(t), t))  # longest first, then stable


def substrings_in(text: str, names: set[str], longest: int) -> list[str]:
    """The ``names`` occurring in ``text``: every substring up to ``longest`` characters looked up in
    the set, so the cost follows the query's length, not the number of places (130k plans at 1M)."""
    found = {text[a:b] for a in range(len(text)) for b in range(a + 1, min(len(text), a + longest) + 1)}
    return sorted(found & names)


FEW_NAMES = 256  # up to this many law names, a query is scanned for each
_ARTICLE_RE = re.compile(r"第[一二三四五六七八九十百千零〇两\d]+条")
_STATE_PREFIX = "中华人民共和国"


def names_a_law(norm: str, names: set[str], longest: int) -> bool:
    """Whether a (normalised) query asks for law text: it quotes a title (《…》), cites an article
    (第七条) or names an indexed law (教师法, 中华人民共和国教师法). Such a query ranks law articles as
    they score; any other keeps them from filling a topic's list (Weights.law_cap)."""
    if "《" in norm or _ARTICLE_RE.search(norm):
        return True
    if len(names) <= FEW_NAMES:  # a direct scan; the substrings of the query beyond that
        return any(name in norm for name in names)
    return bool(substrings_in(norm, names, longest))


def law_names(titles) -> list[str]:
    """The indexed laws' titles, with and without 中华人民共和国 (教师法 and 中华人民共和国教师法)."""
    names: set[str] = set()
    for title in titles:
        title = normalise(title).strip()
        if len(title) >= 3:
            names.add(title)
        short = title.removeprefix(_STATE_PREFIX)
        if len(short) >= 3:
            names.add(short)
    return sorted(names)


def place_names(regions) -> list[str]:
    """The plans' regions, with and without their one-character suffix (高台县 and 高台)."""
    names: set[str] = set()
    for region in regions:
        names.add(region)
        if len(region) > 2 and region[-1] in "省市县区州旗盟":
            names.add(region[:-1])
    return sorted(names)
