"""Keyword leg: jieba tokens scored with BM25 (bm25s), plus the text normalisation the census shares.

Policy slogans in quotes (“双减” “三个课堂” “五项管理”) are added to jieba's dictionary from the
corpus itself, so they stay one token instead of being cut into common characters. The added terms
are saved with the index, so queries are cut exactly as the clauses were.
"""

from __future__ import annotations

import json
import re
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import cache_root
from .records import Document
from .text import normalise

_QUOTED_RE = re.compile(r"[“\"「『]([\u4e00-\u9fffA-Za-z0-9+]{2,8})[”\"」』]")
_TOKEN_OK_RE = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "和",
        "与",
        "及",
        "或",
        "在",
        "是",
        "为",
        "对",
        "把",
        "将",
        "被",
        "等",
        "之",
        "其",
        "以",
        "于",
        "从",
        "向",
        "并",
        "而",
        "也",
        "就",
        "都",
        "要",
        "有",
        "中",
        "上",
        "下",
        "个",
        "什么",
        "怎么",
        "如何",
        "哪些",
        "哪个",
        "多少",
        "是否",
        "吗",
        "呢",
        "啊",
        "吧",
        "请问",
        "这",
        "那",
        "这个",
        "那个",
    ]
)


def policy_terms(texts: Iterable[str], min_count: int = 1) -> list[str]:
    """Quoted slogans of 2–8 characters found in the corpus (e.g. 双减, 三个课堂), commonest first."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(_QUOTED_RE.findall(text))
    return [term for term, n in counts.most_common() if n >= min_count and not term.isdigit()]


class Tokenizer:
    """jieba in search mode over normalised text, with the corpus's policy terms as whole words."""

    def __init__(self, terms: Iterable[str] = ()) -> None:
        import jieba

        jieba.setLogLevel(60)
        self.terms = sorted(set(terms))
        self._jieba = jieba.Tokenizer()
        self._jieba.tmp_dir = str(_jieba_cache())
        for term in self.terms:
            self._jieba.add_word(normalise(term), freq=2000)

    def __call__(self, text: str) -> list[str]:
        """Tokens for BM25: words and their sub-words, no punctuation, no function words."""
        tokens = self._jieba.lcut_for_search(normalise(text))
        return [
            t for t in (tok.strip() for tok in tokens) if t and t not in STOPWORDS and _TOKEN_OK_RE.search(t)
        ]


_PAIR_RUN_RE = re.compile(r"[\u4e00-\u9fff]+|[a-z0-9]+")


def char_bigrams(text: str) -> list[str]:
    """Overlapping pairs of characters of each run of Chinese characters (a lone one kept whole) and
    whole runs of letters or digits, over normalised text: the document index beside the word index.

    Why: jieba may cut a question and a notice differently (a phrase kept whole in one, split in
    the other), and the word index then misses a match a reader sees at once. Character pairs match
    whatever the cut, as CJK bigram indexing in Lucene does. On the NCP set a document index of pairs
    added to the word legs raised MRR@10 from 0.878 to about 0.90 (bench/eval_ncp.py).
    """
    out: list[str] = []
    for run in _PAIR_RUN_RE.findall(normalise(text)):
        if len(run) < 2 or run.isascii():
            out.append(run)
        else:
            out += [run[i : i + 2] for i in range(len(run) - 1)]
    return out


# what the keyword indexes read of each document; recorded in the manifest (2: the region too)
KEYWORD_VERSION = "2"


def document_keyword_text(document: Document) -> str:
    """What both document indexes read: the title, issuer and region name a notice as surely as its
    text (an issuer is often just 市教委 and the text may never spell out the region the metadata holds).
    Takes the record, so every index builder reads the same fields in the same order."""
    d = document
    return f"{d.title} {d.issuer} {d.region} {d.text}"


def _jieba_cache() -> Path:
    """jieba writes its dictionary cache here instead of /tmp."""
    path = cache_root() / "jieba"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class TokenIds:
    """Token lists kept as 32-bit ids against one shared vocabulary, one row per clause or document.

    Why: a large corpus held as lists of token strings costs ~80 bytes a token (a str object each:
    the character-pair index alone is about one token per character of the corpus, ~100M at a
    million clauses, several GB). As ids it costs 4 bytes a token, and bm25s indexes ids directly.
    A row with no token holds the empty token, which BM25 scores as nothing.
    """

    rows: list[array] = field(default_factory=list)
    vocab: dict[str, int] = field(default_factory=dict)

    @classmethod
    def encode(cls, token_lists: Iterable[list[str]]) -> TokenIds:
        """Read the token lists one at a time, so the caller may pass a generator and never hold them all."""
        out = cls()
        for tokens in token_lists:
            out.append(tokens)
        return out

    def append(self, tokens: list[str]) -> None:
        ids = self.vocab.setdefault
        self.rows.append(array("i", [ids(t, len(self.vocab)) for t in tokens or [""]]))


class KeywordIndex:
    """A BM25 index over token lists; rows are the caller's ids (clause or document order)."""

    def __init__(self, bm25) -> None:
        self._bm25 = bm25

    @classmethod
    def build(cls, tokens: TokenIds | Iterable[list[str]]) -> KeywordIndex:
        import bm25s

        corpus = tokens if isinstance(tokens, TokenIds) else TokenIds.encode(tokens)
        bm25 = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
        bm25.index((corpus.rows, dict(corpus.vocab)), show_progress=False)
        return cls(bm25)

    @property
    def size(self) -> int:
        return int(self._bm25.scores["num_docs"])

    def scores(self, tokens: list[str], mask: np.ndarray | None = None) -> np.ndarray:
        """BM25 score of every row for the query tokens; rows outside ``mask`` score 0."""
        known = [t for t in tokens if t in self._bm25.vocab_dict]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        weights = None if mask is None else mask.astype(np.float32)
        return np.asarray(self._bm25.get_scores(known, weight_mask=weights), dtype=np.float32)

    def query_weights(self, tokens: list[str]) -> dict[int, float]:
        """Token id -> how often the query holds it, for tokens the index knows. A row's score is the
        inner product of these with its :meth:`row_weights` (bm25s adds a repeated query token once
        per occurrence), which is how an engine holding sparse vectors reproduces this index exactly."""
        vocab = self._bm25.vocab_dict
        return {int(vocab[t]): float(n) for t, n in Counter(tokens).items() if t in vocab}

    def row_weights(self):
        """Each row's BM25 term weights as (token ids, weights) arrays, in row order: bm25s keeps them
        precomputed per (row, token), so they are read, not recomputed."""
        from scipy.sparse import csc_matrix

        s = self._bm25.scores
        matrix = csc_matrix((s["data"], s["indices"], s["indptr"]), shape=(self.size, len(s["indptr"]) - 1))
        rows = matrix.tocsr()
        for r in range(self.size):
            a, b = rows.indptr[r], rows.indptr[r + 1]
            yield rows.indices[a:b], rows.data[a:b]

    def rarest(self, tokens: list[str], rarest: int = 4) -> list[int] | None:
        """Ids of the ``rarest`` least frequent of ``tokens`` (fewest rows holding them), rarest first;
        None without tokens, empty when a token is in no row. Frequencies are the posting lists'
        lengths, so an engine holding the postings (search.backends) picks the same tokens."""
        vocab, indptr = self._bm25.vocab_dict, self._bm25.scores["indptr"]
        ids = {vocab.get(t) for t in tokens}
        if not ids:
            return None
        if None in ids:
            return []
        return sorted(ids, key=lambda i: indptr[i + 1] - indptr[i])[:rarest]

    def rows_with_all(self, tokens: list[str], rarest: int = 4) -> np.ndarray | None:
        """Rows holding every one of the ``rarest`` least frequent of ``tokens`` (sorted row ids), read
        off the posting lists (none when a token is in no row; None without tokens). The rarest few
        narrow a verbatim lookup to a handful of rows at any corpus size, for the cost of their
        (short) posting lists."""
        ids = self.rarest(tokens, rarest)
        if ids is None:
            return None
        if not ids:
            return np.zeros(0, dtype=np.int64)
        indptr, indices = self._bm25.scores["indptr"], self._bm25.scores["indices"]
        rows = np.unique(indices[indptr[ids[0]] : indptr[ids[0] + 1]])
        for i in ids[1:]:
            rows = rows[np.isin(rows, indices[indptr[i] : indptr[i + 1]])]
        return rows

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex:
        import bm25s

        return cls(bm25s.BM25.load(str(folder), allow_pickle=False, mmap=False))


def save_terms(path: Path, terms: list[str]) -> None:
    path.write_text(json.dumps(terms, ensure_ascii=False), encoding="utf-8")


def load_terms(path: Path) -> list[str]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
