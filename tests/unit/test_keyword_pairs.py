"""The character-pair document index: what it indexes, and the match the word index misses."""

from __future__ import annotations

import numpy as np
import pytest

from search.keyword import KeywordIndex, Tokenizer, char_bigrams, document_keyword_text
from search.records import Document


@pytest.mark.parametrize(
    ("text", "pairs"),
    [
        ("普惠性学前教育", ["普惠", "惠性", "性学", "学前", "前教", "教育"]),
        ("办，税", ["办", "税"]),  # punctuation ends a run; a lone character is kept whole
        ("２０２３年ＡＢＣ计划", ["2023", "年", "abc", "计划"]),  # width-folded, letters and digits whole
        ("“双减”", ["双减"]),
        ("", []),
    ],
)
def test_pairs_of_each_run_of_chinese_characters(text, pairs):
    assert char_bigrams(text) == pairs


def test_document_text_names_title_issuer_and_region():
    document = Document("s", "某县计划", "正文", "正文", issuer="县教育局", region="某省某县")
    text = document_keyword_text(document)
    assert text == "某县计划 县教育局 某省某县 正文"


def test_pairs_match_where_jieba_cuts_the_query_and_the_document_differently():
    documents = ["大力发展普惠性幼儿园，扩大学前教育资源。", "推进义务教育优质均衡发展。"]
    query = "普惠幼儿园"
    tokenizer = Tokenizer()
    words = KeywordIndex.build([tokenizer(d) for d in documents])
    pairs = KeywordIndex.build([char_bigrams(d) for d in documents])
    # jieba keeps 普惠性 whole in the document and cuts 普惠 from the query: the word index sees no 普惠
    assert "普惠" in tokenizer(query) and "普惠" not in tokenizer(documents[0])
    word_scores, pair_scores = words.scores(["普惠"]), pairs.scores(char_bigrams(query))
    assert np.all(word_scores == 0)
    assert pair_scores[0] > 0 and pair_scores[1] == 0


def test_pair_scores_respect_the_document_mask():
    pairs = KeywordIndex.build([char_bigrams("普惠性幼儿园"), char_bigrams("普惠性托育")])
    scores = pairs.scores(char_bigrams("普惠"), np.array([False, True]))
    assert scores[0] == 0 and scores[1] > 0
