"""Keyword indexes built from token ids score exactly as bm25s does from token strings."""

from __future__ import annotations

import random

import bm25s
import numpy as np

from search.keyword import KeywordIndex, TokenIds


def _corpus(seed: int = 0) -> tuple[list[list[str]], list[str]]:
    rng = random.Random(seed)
    words = [chr(0x4E00 + i) * rng.randint(1, 2) for i in range(80)]
    rows = [[rng.choice(words) for _ in range(rng.randint(0, 25))] for _ in range(150)]
    rows[3] = []  # an empty row (a clause whose every token is a stopword)
    return rows, words


def test_ids_index_scores_like_bm25s_on_strings():
    rows, words = _corpus()
    reference = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
    reference.index([r or [""] for r in rows], show_progress=False)
    index = KeywordIndex.build(TokenIds.encode(iter(rows)))  # a one-pass iterator is enough
    rng = random.Random(1)
    for _ in range(40):
        query = [rng.choice(words) for _ in range(rng.randint(1, 4))]
        assert np.allclose(index.scores(query), reference.get_scores(query), atol=1e-6)
    assert index.size == len(rows)


def test_ids_share_one_vocabulary_and_empty_rows_hold_the_empty_token():
    ids = TokenIds.encode([["教育", "发展"], [], ["发展", "教育", "教育"]])
    assert ids.vocab == {"教育": 0, "发展": 1, "": 2}
    assert [list(r) for r in ids.rows] == [[0, 1], [2], [1, 0, 0]]
    assert ids.rows[0].itemsize == 4  # 4 bytes a token, not a str object each


def test_saved_ids_index_loads_and_scores_the_same(tmp_path):
    rows, words = _corpus(2)
    built = KeywordIndex.build(rows)
    built.save(tmp_path / "bm25")
    loaded = KeywordIndex.load(tmp_path / "bm25")
    query = words[:3]
    assert np.array_equal(loaded.scores(query), built.scores(query))
    assert loaded.scores(query).any()
