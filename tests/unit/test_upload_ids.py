"""A file from a second corpus root (the app's uploads/) is cited under the root's name, and its clause
ids are the chunker's own: an item repeated word for word keeps the id that tells it from its twin."""

from __future__ import annotations

import sqlite3

from fakes import HashEncoder

from search.build import build_index
from search.pipeline import parse_corpus
from search.store import current_generation

ITEM = "1.发现可疑症状应立即隔离。\n2.配合疾病预防控制中心工作人员开展流行病学调查。\n"
GUIDE = "施工现场疫情防控指南\n■施工现场\n" + ITEM + "■宿舍\n" + ITEM
PLAN = "某县2021年教育工作要点\n一、主要任务\n1、推进学前教育普惠发展。\n2、办好人民满意的教育。\n"


def test_an_upload_whose_items_repeat_word_for_word_is_indexed(tmp_path):
    corpus, uploads = tmp_path / "corpus", tmp_path / "uploads"
    corpus.mkdir()
    uploads.mkdir()
    (corpus / "plan.txt").write_text(PLAN, encoding="utf-8")
    (uploads / "guide.txt").write_text(GUIDE, encoding="utf-8")

    report = build_index([corpus, uploads], tmp_path / "index", HashEncoder())

    with sqlite3.connect(current_generation(tmp_path / "index") / "records.sqlite") as db:
        sql = "SELECT clause_id, source, text FROM clauses WHERE source LIKE 'uploads/%'"
        rows = db.execute(sql).fetchall()
    repeated = [row for row in rows if row[2] == "1.发现可疑症状应立即隔离。"]
    assert len(repeated) == 2 and repeated[0][0] != repeated[1][0]
    assert {row[1] for row in rows} == {"uploads/guide.txt"}
    assert report.n_clauses == len(rows) + 2


def test_clause_ids_are_made_from_the_name_a_document_is_cited_by(tmp_path):
    (tmp_path / "guide.txt").write_text(GUIDE, encoding="utf-8")
    plain = next(parse_corpus(tmp_path))
    prefixed = next(parse_corpus(tmp_path, "uploads/"))
    assert prefixed.document.source == "uploads/guide.txt"
    assert [c.source for c in prefixed.clauses] == ["uploads/guide.txt"] * len(plain.clauses)
    assert [c.text for c in prefixed.clauses] == [c.text for c in plain.clauses]
    assert prefixed.document.title == plain.document.title  # metadata read as before the rename
    ids = [c.clause_id for c in prefixed.clauses]
    assert len(set(ids)) == len(ids) and not set(ids) & {c.clause_id for c in plain.clauses}
