"""Retrieval, filters, census, answers and wording over the shipped corpus with a tiny fake encoder."""

from __future__ import annotations

import dataclasses
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest
from fakes import HIT_CONTRACT, HashEncoder

from search.answer import ask
from search.build import build_index
from search.census import census
from search.cues import substrings_in
from search.fusion import top
from search.keyword import normalise
from search.legs import LocalLegs
from search.passages import PASSAGE_RADIUS, grow_all_passages, grow_passage
from search.records import Clause
from search.retrieve import PASSAGE_CHARS, Filters, QueryError, Searcher
from search.text import fold, mark, mark_all, near_duplicate
from search.wording import shared_spans, similar


def test_search_finds_the_clause_and_cites_it(searcher):
    hits = searcher.search("积极发展普惠性学前教育", k=5)
    top = hits[0]
    assert top.document.title == "襄阳市2017年教育工作要点"
    assert top.clause.address == "三（二）6"
    assert top.citation == "襄阳市2017年教育工作要点 · 襄阳市教育局 · 2017 · 三（二）6"
    assert set(top.legs) == {"dense", "keyword", "document", "pairs"}
    marked = [top.clause.text[a:b] for a, b in top.highlights]
    assert "学前教育" in marked


def test_hit_json_has_the_contract_fields(searcher):
    data = searcher.search("教师队伍建设", k=1)[0].to_json()
    assert set(data) >= HIT_CONTRACT
    assert isinstance(data["path"], list)


def test_every_hit_carries_a_passage_around_its_clause_within_the_limit(searcher):
    for hit in searcher.search("学前教育", k=10):
        start, end = hit.passage
        assert end - start <= PASSAGE_CHARS or (start, end) == (hit.clause.start, hit.clause.end)
        assert start <= hit.clause.start and hit.clause.end <= end
        assert hit.clause.text in hit.passage_text
        data = hit.to_json()
        offset = data["passage_clause_offset"]
        assert data["passage"][offset : offset + len(hit.clause.text)] == hit.clause.text
    longer = [h for h in searcher.search("学前教育", k=10) if len(h.passage_text) > len(h.clause.text)]
    assert longer, "short seed clauses must be grown with their neighbours"


def test_passages_from_the_in_memory_layout_equal_those_from_sqlite(searcher):
    """Every clause's passage, grown from the arrays loaded with the index, equals the same growth over
    neighbours read from SQLite (what a search did before the layout was kept in memory)."""
    db = searcher.store.db
    everything = []
    for (source,) in db.execute("SELECT source FROM documents"):
        for clause in searcher.clauses_of(source):
            near = db.execute(
                'SELECT seq, start, "end" FROM clauses WHERE source = ? AND seq BETWEEN ? AND ? AND seq != ?',
                (source, clause.seq - PASSAGE_RADIUS, clause.seq + PASSAGE_RADIUS, clause.seq),
            ).fetchall()
            assert searcher.passage(clause) == grow_passage(clause, near, PASSAGE_CHARS)
            assert sorted(searcher.hits.near([clause])[0]) == sorted(near)  # same document, within the radius
            everything.append(clause)
    assert len(everything) == searcher.store.n_clauses
    # all at once (first and last rows of the layout included), as a search asks for its hits' passages
    alone = [searcher.passage(clause) for clause in everything]
    assert searcher.passages(everything[::-1]) == alone[::-1]
    stranger = dataclasses.replace(everything[0], source="not/indexed.txt")
    assert searcher.passages([stranger, everything[0]]) == [(stranger.start, stranger.end), alone[0]]
    # the table grown for every row when the index opens, which a search's hits read, agrees with both
    by_id = {clause.clause_id: clause for clause in everything}
    for row, clause_id in db.execute("SELECT vec, clause_id FROM clauses"):
        assert tuple(searcher.layout.passage_spans[row]) == searcher.passage(by_id[clause_id])


def test_hits_carry_metadata_only_documents_with_the_indexed_fields(searcher):
    for hit in searcher.search("教师队伍建设", k=5):
        full = searcher.document(hit.clause.source)
        assert hit.document.text == "" and full.text  # a hit does not carry its whole document
        assert (hit.document.title, hit.document.issuer, hit.document.year, hit.document.provenance) == (
            full.title,
            full.issuer,
            full.year,
            full.provenance,
        )
        start, end = hit.passage
        assert hit.passage_text == full.text[start:end]


def _clause(seq: int, start: int, end: int) -> Clause:
    return Clause(f"c{seq}", "doc", str(seq), (), "x" * (end - start), start, end, seq=seq)


def test_quoted_terms_lift_exactly_the_clauses_that_contain_them(searcher):
    # every row of the index, so the rows are read in several SQL batches and must come back in order
    rows = np.arange(searcher.store.faiss_index.ntotal)
    texts = [searcher.clause(int(r)).text for r in rows]
    bonus = searcher.quoted_bonus("“双减” 和“课后服务”", rows)
    expected = [float("双减" in normalise(t) and "课后服务" in normalise(t)) for t in texts]
    assert bonus.tolist() == expected and 0 < sum(expected) < len(rows)
    hits = searcher.search("“双减”", k=5)
    assert hits and all("双减" in normalise(h.clause.text) for h in hits)


def test_grow_passage_takes_whole_neighbours_after_then_before_within_the_limit():
    middle = _clause(2, 200, 300)
    near = [(3, 300, 450), (0, 0, 100), (4, 450, 900), (1, 100, 200)]  # (seq, start, end), any order
    assert grow_passage(middle, near, 100) == (200, 300)  # nothing else fits
    assert grow_passage(middle, near, 250) == (200, 450)  # the next item first
    assert grow_passage(middle, near, 350) == (100, 450)  # then the previous one
    assert grow_passage(middle, near, 450) == (0, 450)  # the long next-but-one never fits
    assert grow_passage(_clause(9, 0, 1000), near, 800) == (0, 1000)  # an over-long clause stays whole


@pytest.mark.parametrize("limit", [0, 150, 800, 5000])
def test_passages_grown_for_all_rows_at_once_equal_grow_passage_row_by_row(limit: int):
    # documents of tiny, short, long and over-long clauses, some with gaps between them, stored in a
    # shuffled row order; 5000 lets more than PASSAGE_RADIUS tiny neighbours fit, which must not be taken
    rng = np.random.default_rng(7)
    layout = []  # (doc, seq, start, end)
    for doc in range(7):
        at = 0
        for seq in range(int(rng.integers(1, 60)) if doc else 50):
            start = at + int(rng.integers(0, 3))
            at = start + int(rng.choice([2, 40, 300, 900]) if doc else 2)  # document 0: all tiny
            layout.append((doc, seq, start, at))
    layout = [layout[i] for i in rng.permutation(len(layout))]
    docs, seqs, starts, ends = (np.array(column, dtype=np.int64) for column in zip(*layout, strict=True))
    by_position = np.lexsort((seqs, docs))
    spans = grow_all_passages(docs, starts, ends, by_position, limit)
    for row, (doc, seq, start, end) in enumerate(layout):
        near = [(q, a, b) for d, q, a, b in layout if d == doc and 0 < abs(q - seq) <= PASSAGE_RADIUS]
        clause = Clause(f"c{row}", str(doc), "", (), "", start, end, seq=seq)
        assert tuple(spans[row]) == grow_passage(clause, near, limit)


def test_year_filter_applies_inside_retrieval_and_still_returns_k(searcher):
    hits = searcher.search("教育", k=8, filters=Filters.parse("2020-2021"))
    assert len(hits) == 8
    assert {h.document.year for h in hits} <= {2020, 2021}


def test_issuer_and_level_filters(searcher):
    hits = searcher.search("学前教育", k=5, filters=Filters.parse(issuer="高台"))
    assert hits and {h.document.region for h in hits} == {"高台县"}
    hits = searcher.search("学前教育", k=5, filters=Filters.parse(level="区"))
    assert hits and {h.document.level for h in hits} == {"区"}


@pytest.mark.parametrize(
    "year, issuer, level, source",
    [
        ("2021", "", "", ""),
        ("2020-", "", "", ""),
        ("-2022", "", "县", ""),
        ("", "高台", "", ""),
        ("", "教育局", "", ""),
        ("", "", "区", ""),
        ("", "", "", "00"),
        ("2019-2030", "局", "", ".txt"),
        ("1990-1991", "", "", ""),
    ],
)
def test_in_memory_filter_masks_select_what_sql_selects(searcher, year, issuer, level, source):
    """The masks a query uses and the documents list (SQL) must agree on every filter field."""
    filters = Filters.parse(year, issuer, level, source)
    clause_mask, doc_mask = searcher.masks(filters)
    by_sql = {d.source for d in searcher.documents(filters, with_text=False)}
    by_mask = {searcher.doc_source[i] for i in np.flatnonzero(doc_mask)}
    assert by_mask == by_sql
    assert clause_mask.sum() == sum(searcher.clause_counts().get(s, 0) for s in by_sql)


def test_filtered_dense_leg_only_returns_allowed_rows(searcher):
    clause_mask, _ = searcher.masks(Filters.parse(issuer="高台"))
    vector = searcher.query_vector("学前教育普惠发展")[0]
    rows, _ = searcher.legs.dense(vector, searcher.weights.depth, clause_mask)
    assert len(rows) == min(searcher.weights.depth, int(clause_mask.sum())) > 0
    assert clause_mask[rows].all()


def test_impossible_filter_returns_nothing_rather_than_failing(searcher):
    assert searcher.search("教育", k=5, filters=Filters.parse("1990-1991")) == []


@pytest.mark.parametrize(
    ("year", "message"), [("2023-2020", "after"), ("abc", "bad year"), ("20", "bad year")]
)
def test_bad_year_filters_are_explained(year, message):
    with pytest.raises(QueryError, match=message):
        Filters.parse(year)


def test_bad_level_is_explained():
    with pytest.raises(QueryError, match="省 市 县 区"):
        Filters.parse(level="乡")


@pytest.mark.parametrize("query", ["", "   ", "。，、！？"])
def test_empty_queries_are_refused(searcher, query):
    with pytest.raises(QueryError, match="empty query"):
        searcher.search(query)


@pytest.mark.parametrize("query", ["学前教育" * 5000, "学前.*教育+?[](){}|^$\\", "'; DROP TABLE clauses; --"])
def test_odd_queries_do_not_break_retrieval(searcher, query):
    assert isinstance(searcher.search(query, k=3), list)
    assert searcher.search("学前教育", k=1)


def test_context_returns_neighbours_in_order(searcher):
    hit = searcher.search("积极发展普惠性学前教育", k=1, context=1)[0]
    assert [c.address for c in hit.context] == ["三（一）5", "三（二）7"]


def test_near_duplicate_clauses_from_one_source_are_listed_once(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    body = "一、总体要求\n1.全面落实双减政策，切实减轻学生过重作业负担和校外培训负担，提高课堂教学质量。\n"
    (corpus / "a.txt").write_text(
        "某县2022年教育工作要点\n"
        + body
        + "2.全面落实双减政策，切实减轻学生过重作业负担和校外培训负担，提高课堂教学质量。\n",
        encoding="utf-8",
    )
    encoder = HashEncoder()
    build_index(corpus, tmp_path / "i", encoder)
    hits = Searcher.open(tmp_path / "i", encoder=encoder).search("双减 作业负担", k=5)
    assert len(hits) == 1


def test_census_is_exhaustive_against_a_plain_scan(searcher):
    for term in ("双减", "“三个课堂”", "学前教育", "ＩＣＰ", "xx"):
        result = census(searcher, term)
        needle = normalise(term).strip('"')
        expected = sorted(d.source for d in searcher.documents() if needle in normalise(d.text))
        assert sorted(m.document.source for m in result.mentions) == expected
        for m in result.mentions:
            assert m.count == normalise(m.document.text).count(needle)
            assert all(needle in normalise(c.text) for c in m.clauses)


def test_census_of_shuang_jian_names_the_plans_and_years(searcher):
    result = census(searcher, "双减")
    assert [m.document.year for m in result.mentions] == sorted(m.document.year for m in result.mentions)
    assert {m.document.region for m in result.mentions} >= {"高台县"}
    assert sum(result.mentions_per_year.values()) == sum(m.count for m in result.mentions)


def test_census_refuses_empty_terms(searcher):
    with pytest.raises(QueryError):
        census(searcher, "  ")


def test_extractive_answer_cites_the_clause_with_the_figure(searcher):
    answer = ask(searcher, "高台县2023年教育项目投资多少")
    assert "1.1亿元" in answer.answer
    cited = {h.clause.address for h in answer.citations}
    assert "五20" in cited
    assert answer.to_json()["citations"][0]["n"] == 1


def test_unanswerable_question_says_so(searcher):
    answer = ask(searcher, "火星探测器的发射窗口")
    assert answer.mode == "none" and answer.citations == [] and "nothing" in answer.note


class _FakeLLM(BaseHTTPRequestHandler):
    reply = ""

    def do_POST(self):  # noqa: N802 (http.server API)
        length = int(self.headers["Content-Length"])
        type(self).last_request = json.loads(self.rfile.read(length))
        body = json.dumps({"choices": [{"message": {"content": type(self).reply}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def llm(monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _FakeLLM)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("POLICY_SEARCH_LLM_URL", f"http://127.0.0.1:{server.server_port}/v1")
    yield _FakeLLM
    server.shutdown()


def test_llm_answer_keeps_only_supported_citations(searcher, llm):
    llm.reply = "高台县规划投资1.1亿元[1]，另见[9]。"
    answer = ask(searcher, "高台县2023年教育项目投资多少", k=4)
    assert answer.mode == "llm"
    assert "[9]" not in answer.answer and "[1]" in answer.answer
    assert len(answer.citations) == 1 and "dropped" in answer.note
    assert llm.last_request["messages"][1]["content"].startswith("问题：")


def test_llm_answer_without_valid_citation_falls_back(searcher, llm):
    llm.reply = "投资很多。"
    answer = ask(searcher, "高台县2023年教育项目投资多少")
    assert answer.mode == "extractive" and "1.1亿元" in answer.answer


def test_llm_endpoint_down_falls_back(searcher, monkeypatch):
    monkeypatch.setenv("POLICY_SEARCH_LLM_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("POLICY_SEARCH_LLM_TIMEOUT", "2")
    answer = ask(searcher, "高台县2023年教育项目投资多少")
    assert answer.mode == "extractive" and "failed" in answer.note


def test_similar_groups_by_document_oldest_first_with_shared_wording(searcher):
    groups = similar(searcher, "积极发展普惠性学前教育，扩大普惠性学前教育资源", k=10)
    years = [g.document.year for g in groups]
    assert years == sorted(years)
    first = next(g for g in groups if g.document.year == 2017)
    spans = first.shared[first.hits.index(next(h for h in first.hits if h.clause.address == "三（二）6"))]
    assert any(first.hits[0].clause.text[a:b] for a, b in spans)


def test_shared_spans_mark_common_wording():
    text = "6、积极发展普惠性学前教育。完成第二期学前教育三年行动计划"
    spans = shared_spans("我们要积极发展普惠性学前教育", text)
    assert [text[a:b] for a, b in spans] == ["积极发展普惠性学前教育"]


def test_mark_ignores_empty_terms_and_marks_each_occurrence_once():
    assert mark("双减双减，落实双减", ["", "双减"]) == [(0, 2), (2, 4), (7, 9)]
    assert mark("学前教育", ["学前教育", "教育"]) == [(0, 4)]


def test_mark_is_width_insensitive_and_keeps_offsets():
    text = "落实“双减”，ＡＢＣ课堂"
    spans = mark(text, ["双减", "abc"])
    assert [text[a:b] for a, b in spans] == ["双减", "ＡＢＣ"]


def test_dense_search_runs_on_one_thread_and_restores_the_thread_count(searcher, monkeypatch):
    import faiss

    seen = []
    search = faiss.IndexFlatIP.search
    monkeypatch.setattr(
        faiss.IndexFlatIP,
        "search",
        lambda *a, **k: (seen.append(faiss.omp_get_max_threads()), search(*a, **k))[1],
    )
    faiss.omp_set_num_threads(2)
    assert searcher.search("积极发展普惠性学前教育", k=1)
    searches = 2 if searcher.has_laws else 1  # an index with laws: the plans' best searched too
    assert seen == [1] * searches and faiss.omp_get_max_threads() == 2


def test_mark_all_marks_each_text_as_mark_does_and_never_across_texts():
    texts = ["双减双减，落实", "双减", "", "落实\x00双减", "ＡＢＣ双", "减课堂", "\ud800孤立双减"]
    terms = ["落实双减", "双减", "abc", "双减课", "\x00双", ""]
    assert mark_all(texts, terms) == [mark(t, terms) for t in texts]
    assert mark_all(texts, terms)[4:6] == [[(0, 3)], []]  # folded as one, sliced apart: 双|减课 never join
    assert mark_all(texts, terms)[3] == [(3, 5)]  # the NUL term loses to 双减, listed first
    assert mark_all([], terms) == [] and mark_all(texts, []) == [[] for _ in texts]


def _fold_by_character(text: str) -> str:
    """fold() by its definition: each character becomes the first character of its normalised form."""
    return "".join(normalise(c)[:1] or c for c in text)


def test_fold_equals_the_per_character_table_for_every_character():
    bmp = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000)
    assert fold(bmp) == _fold_by_character(bmp)
    astral = "落实“双减”，ＡＢＣ𝐀𝟏课堂"  # beyond the BMP: mathematical bold A and 1 fold too
    assert fold(astral) == _fold_by_character(astral) == '落实"双减",abca1课堂'
    assert fold("") == ""


def test_near_duplicate_prefilter_agrees_with_sequence_matcher():
    """The set-difference bound only skips pairs SequenceMatcher would reject anyway."""
    from difflib import SequenceMatcher

    rng = np.random.default_rng(3)
    alphabet = list("教育工作要点全面落实双减政策切实减轻学生过重作业负担和校外培训提高课堂质量")
    for _ in range(400):
        a = "".join(rng.choice(alphabet, int(rng.integers(40, 120))))
        b = list(a)
        for _ in range(int(rng.integers(0, 8))):  # a few substitutions, insertions and deletions
            at = int(rng.integers(0, len(b)))
            op = rng.integers(0, 3)
            if op == 0:
                b[at] = str(rng.choice(alphabet + list("ＡＢ")))
            elif op == 1:
                b.insert(at, str(rng.choice(alphabet)))
            elif len(b) > 1:
                del b[at]
        b = "".join(b)
        full = (
            SequenceMatcher(None, a, b, autojunk=False).quick_ratio() > 0.95
            and SequenceMatcher(None, a, b).ratio() > 0.95
        )
        expected = (
            a == b
            or (len(a) > 20 and (a in b or b in a))
            or (min(len(a), len(b)) >= 40 and abs(len(a) - len(b)) <= 0.1 * max(len(a), len(b)) and full)
        )
        assert near_duplicate(a, b) == expected, (a, b)


@pytest.mark.parametrize("positive_share", [1.0, 0.5, 0.05, 0.001, 0.0])
@pytest.mark.parametrize("ties", [False, True])
def test_top_picks_the_highest_positive_scores_like_a_full_sort(positive_share, ties):
    rng = np.random.default_rng(7)
    scores = np.zeros(50_000, dtype=np.float32)
    hit = rng.random(len(scores)) < positive_share
    values = rng.integers(1, 5, hit.sum()) if ties else rng.random(hit.sum()) * 10 + 1e-3
    scores[hit] = values
    mask = rng.random(len(scores)) < 0.7
    for depth in (1, 100, 3_000):
        for allowed in (None, mask):
            got = top(scores, depth, allowed)
            eligible = scores if allowed is None else np.where(allowed, scores, 0)
            want = np.sort(eligible[eligible > 0])[::-1][:depth]
            assert len(got) == len(set(got.tolist())) == len(want)
            assert np.array_equal(np.sort(eligible[got])[::-1], want)  # same scores (tied rows may differ)


def test_place_names_are_found_by_substring_lookup():
    names = {"高台县", "高台", "甘肃省", "甘肃"}
    assert substrings_in("甘肃省高台县2023年投资", names, 3) == ["甘肃", "甘肃省", "高台", "高台县"]
    assert substrings_in("", names, 3) == []
    assert substrings_in("高台", set(), 0) == []


def test_a_document_leg_weighted_zero_is_not_scored_and_ranks_alike(searcher, monkeypatch):
    query = "积极发展普惠性学前教育"
    weights = dataclasses.replace(searcher.weights, pairs=0.0)
    monkeypatch.setattr(searcher, "weights", weights)
    expected = [h.clause.clause_id for h in searcher.search(query, k=5)]

    def refuse(*_args, **_kwargs):
        raise AssertionError("a leg weighted 0 was scored")

    monkeypatch.setattr(searcher.store.bm25_doc_pairs, "scores", refuse)
    hits = searcher.search(query, k=5)
    assert [h.clause.clause_id for h in hits] == expected
    assert all(h.legs["pairs"] == 0 for h in hits)


class _Refuse:
    """Stands in for an index the Searcher must not touch: any use fails the test."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, attribute: str):
        raise AssertionError(f"the Searcher used {self.name}.{attribute} directly, not through its legs")


class _CountingLegs:
    """Legs that count each call and serve it from the local legs over the real indexes."""

    def __init__(self, legs: LocalLegs) -> None:
        self.legs = legs
        self.calls: list[str] = []

    def dense(self, vector, depth, mask):
        self.calls.append("dense")
        return self.legs.dense(vector, depth, mask)

    def cosines(self, rows, vector):
        self.calls.append("cosines")
        return self.legs.cosines(rows, vector)

    def keyword(self, leg, tokens, mask):
        self.calls.append(leg)
        return self.legs.keyword(leg, tokens, mask)

    def rows_with_all(self, leg, tokens):
        self.calls.append(f"rows_with_all:{leg}")
        return self.legs.rows_with_all(leg, tokens)


def test_a_searcher_gets_every_score_through_its_legs_and_ranks_alike(searcher):
    """The seam another engine plugs into: a Searcher whose store's own indexes refuse every use ranks
    exactly as the default one when its legs serve the same scores."""
    store = searcher.store
    legs = _CountingLegs(LocalLegs(dataclasses.replace(store)))
    indexes = ("faiss_index", "bm25_clauses", "bm25_documents", "bm25_doc_pairs")
    refused = {name: _Refuse(name) for name in indexes}
    seamed = Searcher(dataclasses.replace(store, **refused), searcher.encoder, legs=legs)
    verbatim = searcher.clause(3).text[:40]
    for query in ("积极发展普惠性学前教育", "“双减” 课后服务", "高台县2023年教育项目投资", verbatim):
        for filters in (Filters(), Filters.parse("2021-2023"), Filters.parse(issuer="高台")):
            expected = searcher.search(query, k=10, filters=filters)
            got = seamed.search(query, k=10, filters=filters)
            assert [(h.clause.clause_id, h.score, h.legs) for h in got] == [
                (h.clause.clause_id, h.score, h.legs) for h in expected
            ]
    assert {"dense", "cosines", "clauses", "documents", "pairs", "rows_with_all:pairs"} <= set(legs.calls)
