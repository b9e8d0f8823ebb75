"""Text utilities shared by retrieval, wording and the benchmarks: the matching form of a text
(normalise), its one-for-one fold (offsets kept, for marking), the squeezed form verbatim matching
uses, term marking and near-duplicate detection.

Why one module: the same notion of "the same words" must hold wherever text is compared, in ranking,
in marking and in the benchmarks that judge them.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata

import numpy as np

_QUOTES = str.maketrans({c: '"' for c in "“”„‟「」『』＂〝〞"} | {c: "'" for c in "‘’‚‛"})
_SQUEEZE_RE = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """Width- and quote-insensitive form used for matching: NFKC, unified quotes, lower case.

    NFKC folds full-width letters, digits and brackets to their half-width forms, so ２０２３ matches
    2023 and （一） matches (一); curly and corner quotes all become a plain double quote.
    """
    return unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()


def squeeze(text: str) -> str:
    """The normalised text with whitespace and punctuation removed: the form in which a pasted
    sentence is looked for verbatim, whatever its line breaks, spacing, quote style or width (a
    sentence copied from a page-split PDF carries breaks the cleaned clause does not)."""
    return _SQUEEZE_RE.sub("", normalise(text))


def mark(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) spans of ``terms`` in ``text``, width- and case-insensitively."""
    return mark_all([text], terms)[0]


def mark_all(texts: list[str], terms: list[str]) -> list[list[tuple[int, int]]]:
    """mark() for each of ``texts``: longer terms first, each occurrence once, none overlapping another.

    NFKC can change string length for a few characters, so matching runs on each text folded one
    character for one (:func:`fold`), keeping offsets in the original text. A search's hits are folded
    together (one array lookup, not ~20 µs of per-run work a hit).
    """
    terms = sorted((t for t in terms if t), key=len, reverse=True)  # an empty term would match everywhere
    return [_mark_folded(folded, terms) for folded in fold_all(texts)] if terms else [[] for _ in texts]


def _mark_folded(folded: str, terms: list[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    taken = bytearray(len(folded) + 1)  # 1 where an earlier (longer) term was marked
    for term in terms:
        if term not in folded:
            continue
        width, ones = len(term), b"\x01" * len(term)
        a = folded.find(term)
        while a >= 0:
            b = a + width
            if taken.find(1, a, b) < 0:
                taken[a:b] = ones
                spans.append((a, b))
            a = folded.find(term, b)
    return sorted(spans)


class _FoldTable(dict):
    """``str.translate`` table folding each character to the first character of its normalised form,
    filled on first sight (used as is only for text beyond the Basic Multilingual Plane)."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = normalise(char)[:1] or char
        self[code] = folded
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """``text`` with each character folded as :class:`_FoldTable` does, one for one."""
    return fold_all([text])[0]


def fold_all(texts: list[str]) -> list[str]:
    """fold() of each text, all in one table lookup over their code points.

    mark() folds every hit's text. Through a code-point array (numpy) that is a few microseconds for a
    search's ten hits; translate() paid a dictionary lookup per character, and a regular expression
    over the runs that change a Python call per run (~20 µs a hit). Text beyond the Basic Multilingual
    Plane, which the array does not cover, goes through the dictionary. Lone surrogates pass unchanged.
    """
    joined = "".join(texts)
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if len(codes) and int(codes.max()) > 0xFFFF:
        return [text.translate(_FOLD) for text in texts]
    folded = _bmp_fold_codes()[codes].tobytes().decode("utf-32-le", "surrogatepass")
    return [folded[a:b] for a, b in itertools.pairwise([0, *itertools.accumulate(map(len, texts))])]


@functools.cache
def _bmp_fold_codes() -> np.ndarray:
    """The fold of every BMP code point as a code point (uint32), computed once (~60 ms); surrogates,
    which are not characters, map to themselves."""
    return np.array([c if 0xD800 <= c < 0xE000 else ord(_FOLD[c]) for c in range(0x10000)], dtype=np.uint32)


def near_duplicate(a: str, b: str) -> bool:
    """Same text, or one contained in the other, or nearly the same by character overlap."""
    if a == b or (len(a) > 20 and (a in b or b in a)):
        return True
    if min(len(a), len(b)) < 40 or abs(len(a) - len(b)) > 0.1 * max(len(a), len(b)):
        return False
    # each distinct character of ``a`` missing from ``b`` costs at least one match: a set difference (C
    # speed) rules out most pairs before SequenceMatcher's Python-level indexing of ``b``
    if 2 * (len(a) - len(_characters(a) - _characters(b))) <= 0.95 * (len(a) + len(b)):
        return False
    from difflib import SequenceMatcher

    return (
        SequenceMatcher(None, a, b, autojunk=False).quick_ratio() > 0.95
        and SequenceMatcher(None, a, b).ratio() > 0.95
    )


# each text's characters, kept for its next comparison: a hit is compared with every earlier one of its source
_characters = functools.lru_cache(maxsize=256)(frozenset)
