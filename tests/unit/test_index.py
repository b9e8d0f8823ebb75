"""Index store and build: round trip, incremental rebuild, atomic swap, checksums, model mismatch."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from fakes import HashEncoder
from shipped import copy_plans

from search.build import build_index
from search.errors import UserError
from search.pipeline import READER_VERSIONS, outdated_reader
from search.retrieve import Searcher
from search.store import CorruptIndex, ModelMismatch, NoIndex, current_generation, open_store

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("idx")
    corpus = copy_plans(root / "corpus")
    encoder = HashEncoder()
    report = build_index(corpus, root / "index", encoder)
    return corpus, root / "index", encoder, report


def test_build_reports_counts_and_embeds_every_clause_once(built):
    _, _, encoder, report = built
    assert report.n_documents == 5
    assert report.n_clauses > 150
    assert report.embedded == report.n_clauses and report.reused == 0
    assert encoder.calls >= report.n_clauses


def test_manifest_records_model_versions_and_checksums(built):
    _, index, _, report = built
    store = open_store(index)
    m = store.manifest
    assert m["model"] == "fake-hash" and m["dim"] == 64
    assert {k: m[k] for k in READER_VERSIONS} == READER_VERSIONS and len(m["corpus_hash"]) == 64
    assert outdated_reader(m, index) == ""
    assert m["faiss"]["type"] == "flat" and m["n_clauses"] == report.n_clauses
    assert {"faiss-cpu", "bm25s", "jieba"} <= set(m["libraries"])
    assert "vectors.faiss" in m["files"] and "records.sqlite" in m["files"]


def test_round_trip_reopen_gives_same_results(built):
    _, index, encoder, _ = built
    first = [h.clause.clause_id for h in Searcher.open(index, encoder=encoder).search("学前教育普惠", k=5)]
    again = [h.clause.clause_id for h in Searcher.open(index, encoder=encoder).search("学前教育普惠", k=5)]
    assert first == again and len(first) == 5


def test_stored_vectors_match_the_encoder(built):
    _, index, encoder, _ = built
    store = open_store(index)
    texts = [r[0] for r in store.db.execute("SELECT embed_key FROM clauses ORDER BY vec LIMIT 3")]
    assert len(texts) == 3
    vectors = store.reconstruct()
    assert vectors.shape == (store.n_clauses, 64)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_incremental_rebuild_embeds_only_changed_clauses(tmp_path):
    corpus = copy_plans(tmp_path / "corpus")
    encoder = HashEncoder()
    first = build_index(corpus, tmp_path / "index", encoder)
    path = corpus / "003_667994beb315eca0.txt"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("27.加强语言文字工作。", "27.加强语言文字工作和书法教育。"), encoding="utf-8"
    )
    (corpus / "000_a1a5995dd5445943.txt").unlink()
    encoder.calls = 0
    second = build_index(corpus, tmp_path / "index", encoder)
    assert second.n_documents == 4
    assert second.embedded == 1 and encoder.calls == 1
    assert second.reused == second.n_clauses - 1
    assert second.n_clauses < first.n_clauses
    sources = {r[0] for r in open_store(tmp_path / "index").db.execute("SELECT source FROM documents")}
    assert "000_a1a5995dd5445943.txt" not in sources


def test_clause_ids_survive_a_rebuild(tmp_path):
    encoder = HashEncoder()
    build_index(CORPUS, tmp_path / "a", encoder)
    build_index(CORPUS, tmp_path / "b", encoder)
    ids = [
        [r[0] for r in open_store(tmp_path / d).db.execute("SELECT clause_id FROM clauses ORDER BY vec")]
        for d in ("a", "b")
    ]
    assert ids[0] == ids[1]


def test_failed_build_leaves_previous_index_usable(tmp_path, monkeypatch):
    encoder = HashEncoder()
    build_index(CORPUS, tmp_path / "index", encoder)
    live = current_generation(tmp_path / "index")

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("search.store.save_terms", boom)  # midway: after the vectors and records
    with pytest.raises(OSError):
        build_index(CORPUS, tmp_path / "index", encoder)
    assert current_generation(tmp_path / "index") == live
    assert Searcher.open(tmp_path / "index", encoder=encoder).search("教师队伍", k=3)
    assert not [p for p in (tmp_path / "index").iterdir() if p.name.endswith(".tmp")]


def test_corrupted_file_is_refused(tmp_path):
    encoder = HashEncoder()
    build_index(CORPUS, tmp_path / "index", encoder)
    gen = current_generation(tmp_path / "index")
    with (gen / "vectors.faiss").open("r+b") as handle:
        handle.truncate(100)
    with pytest.raises(CorruptIndex, match="checksum"):
        open_store(tmp_path / "index")


def test_missing_index_says_how_to_build(tmp_path):
    with pytest.raises(NoIndex, match="policy-search build"):
        open_store(tmp_path / "nothing")


def test_other_model_is_refused_with_the_needed_name(built):
    _, index, _, _ = built
    with pytest.raises(ModelMismatch, match="fake-hash"):
        Searcher.open(index, encoder=HashEncoder(name="another-model"))


def test_jsonl_corpus_builds_with_ids_as_sources(tmp_path):
    lines = [
        '{"id": "a1", "text": "关于做好疫情期间学校开学工作的通知。各地要做好开学准备。", "year": 2020}',
        "{broken",
        '{"docid": "b2", "text": "全面落实双减政策，减轻学生作业负担。"}',
    ]
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("\n".join(lines), encoding="utf-8")
    report = build_index(corpus, tmp_path / "index", HashEncoder())
    assert report.n_documents == 2
    assert any("broken JSON" in p.reason for p in report.problems)
    sources = {r[0] for r in open_store(tmp_path / "index").db.execute("SELECT source FROM documents")}
    assert sources == {"a1", "b2"}


def test_a_region_given_only_in_the_metadata_finds_its_plan_by_the_document_words(tmp_path):
    # neither title, issuer nor text names its county: the region given is what the document indexes read
    body = "一、加强学前教育。（一）新建幼儿园{}所。二、推进义务教育优质均衡发展。"
    given = {"title": "2023年教育工作要点", "issuer": "县教育局"}
    lines = [
        {"id": "gt", "text": body.format(3), **given, "region": "甘肃省张掖市高台县"},
        {"id": "lz", "text": body.format(2), **given, "region": "甘肃省张掖市临泽县"},
    ]
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    encoder = HashEncoder()
    build_index(corpus, tmp_path / "index", encoder)
    searcher = Searcher.open(tmp_path / "index", encoder=encoder)
    for county, source in (("高台县", "gt"), ("临泽县", "lz")):
        hits = searcher.search(f"{county} 学前教育", k=6)
        other = next(h for h in hits if h.document.source != source)
        assert hits[0].document.source == source and hits[0].legs["document"] > other.legs["document"]


def test_duplicate_documents_are_indexed_once(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = (CORPUS / "003_667994beb315eca0.txt").read_text(encoding="utf-8")
    (corpus / "a.txt").write_text(text, encoding="utf-8")
    (corpus / "b.txt").write_text(text, encoding="utf-8")
    report = build_index(corpus, tmp_path / "index", HashEncoder())
    assert report.n_documents == 1
    assert [p.source for p in report.problems] == ["b.txt"] and "same text as a.txt" in report.problems[
        0
    ].reason


def test_hnsw_index_searches_filtered_queries_exactly(tmp_path, monkeypatch):
    """Above EXACT_LIMIT the index is HNSW; a filter small enough is answered by an exact scan of the
    allowed rows, an unfiltered query by the graph, both returning only allowed rows."""
    from search import legs, store
    from search.retrieve import Filters, Weights

    monkeypatch.setattr(store, "EXACT_LIMIT", 50)
    encoder = HashEncoder()
    build_index(CORPUS, tmp_path / "index", encoder)
    searcher = Searcher.open(tmp_path / "index", encoder=encoder)
    assert searcher.store.manifest["faiss"]["type"] == "hnsw"
    searcher.weights = Weights(depth=10)  # fewer than the allowed rows, so "exact" means something
    vector = searcher.query_vector("学前教育普惠发展")[0]
    clause_mask, _ = searcher.masks(Filters.parse("2021-2023"))
    allowed = np.flatnonzero(clause_mask)
    assert 10 < len(allowed) < len(clause_mask)
    exact = searcher.store.reconstruct()[allowed] @ vector
    best = allowed[np.argsort(-exact)[:10]]

    rows, scores = searcher.legs.dense(vector, 10, clause_mask)
    assert set(rows.tolist()) == set(best.tolist())
    assert np.allclose(np.sort(scores)[::-1], np.sort(exact)[::-1][:10], atol=1e-5)

    monkeypatch.setattr(legs, "EXACT_FILTERED_LIMIT", 0)  # force the graph walk with the bitmap
    rows, _ = searcher.legs.dense(vector, 10, clause_mask)
    assert len(rows) > 0 and clause_mask[rows].all()


def test_an_encoder_revision_change_re_embeds_instead_of_reusing_vectors(tmp_path):
    """The int8 model is re-exported when its export code changes; vectors of the old export must not
    be reused under the same model name."""
    first = HashEncoder()
    first.revision = "a"
    build_index(CORPUS, tmp_path / "index", first)
    again = HashEncoder()
    again.revision = "a"
    assert build_index(CORPUS, tmp_path / "index", again).embedded == 0
    changed = HashEncoder()
    changed.revision = "b"
    report = build_index(CORPUS, tmp_path / "index", changed)
    assert report.embedded == report.n_clauses and report.reused == 0


def test_an_index_of_the_previous_format_is_refused_but_its_vectors_are_reused(tmp_path):
    """Format 2 added the character-pair index: an older index cannot be searched (its ranking would
    lack a leg), and the rebuild that replaces it re-embeds nothing."""
    encoder = HashEncoder()
    first = build_index(CORPUS, tmp_path / "index", encoder)
    gen = current_generation(tmp_path / "index")
    shutil.rmtree(gen / "bm25_doc_pairs")  # what a format-1 build wrote: everything else
    files = {k: v for k, v in _manifest(gen)["files"].items() if not k.startswith("bm25_doc_pairs/")}
    _refused_then_rebuilt_without_embedding(tmp_path / "index", encoder, first.n_clauses, 1, files)


def _manifest(gen: Path) -> dict:
    return json.loads((gen / "manifest.json").read_text(encoding="utf-8"))


def _refused_then_rebuilt_without_embedding(index: Path, encoder, n_clauses: int, version: int, files: dict):
    """The live generation's manifest rewritten as format ``version`` with checksums ``files``: the index
    is refused with the rebuild command, and the rebuild re-embeds none of its ``n_clauses``."""
    gen = current_generation(index)
    manifest = {**_manifest(gen), "format_version": version, "files": files}
    (gen / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(CorruptIndex, match=f"format {version} is not 3: rebuild it"):
        open_store(index)
    again = build_index(CORPUS, index, encoder)
    assert (again.embedded, again.reused) == (0, n_clauses)
    assert open_store(index).manifest["format_version"] == 3


def test_an_index_of_format_2_is_refused_but_its_vectors_are_reused(tmp_path):
    """Format 3 added the clauses' units, deadline and citations (and the citations table): a format-2
    index lacks them, so it is refused with the rebuild command, and the rebuild re-embeds nothing."""
    import hashlib
    import sqlite3

    encoder = HashEncoder()
    first = build_index(CORPUS, tmp_path / "index", encoder)
    gen = current_generation(tmp_path / "index")
    con = sqlite3.connect(gen / "records.sqlite")  # what a format-2 build wrote
    con.execute("DROP INDEX clauses_lead")
    for column in ("lead_units", "responsible_units", "deadline", "lead_norm", "cites"):
        con.execute(f"ALTER TABLE clauses DROP COLUMN {column}")
    con.execute("DROP TABLE citations")
    con.commit()
    con.execute("VACUUM")
    con.close()
    files = _manifest(gen)["files"]
    files["records.sqlite"] = hashlib.sha256((gen / "records.sqlite").read_bytes()).hexdigest()
    _refused_then_rebuilt_without_embedding(tmp_path / "index", encoder, first.n_clauses, 2, files)


def test_pair_index_files_are_checksummed(built):
    _, index, _, _ = built
    files = open_store(index).manifest["files"]
    assert any(name.startswith("bm25_doc_pairs/") for name in files)


@pytest.mark.parametrize("files", [{}, {"blank.txt": b""}, {"noise.bin": b"\x00\x01\x02" * 100}])
def test_a_corpus_with_nothing_to_index_is_refused_and_the_live_index_kept(tmp_path, files):
    encoder = HashEncoder()
    build_index(CORPUS, tmp_path / "index", encoder)
    live = current_generation(tmp_path / "index")
    empty = tmp_path / "empty"
    empty.mkdir()
    for name, data in files.items():
        (empty / name).write_bytes(data)
    with pytest.raises(UserError, match="nothing to index") as err:
        build_index(empty, tmp_path / "index", encoder)
    assert all(name in str(err.value) for name in files) and "add plans" in str(err.value)
    assert current_generation(tmp_path / "index") == live
    assert Searcher.open(tmp_path / "index", encoder=encoder).search("教师队伍", k=3)


def test_an_index_path_that_cannot_hold_an_index_is_refused_before_any_encoding(tmp_path):
    encoder = HashEncoder()
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    for index, message in ((tmp_path / "a-file", "is a file"), (tmp_path / "a-file" / "sub", "cannot write")):
        with pytest.raises(UserError, match=message):
            build_index(CORPUS, index, encoder)
    assert encoder.calls == 0  # refused before the corpus was embedded


def test_an_index_read_by_an_older_reader_opens_with_a_note_saying_how_to_rebuild_it(built, tmp_path):
    from click.testing import CliRunner

    from search.cli import main

    corpus, index, _, _ = built
    old = tmp_path / "old-index"
    shutil.copytree(index, old)
    manifest_path = current_generation(old) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    del manifest["metadata_version"]  # as written before the reader's versions were recorded
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    note = outdated_reader(manifest, old)
    assert "metadata 1 → " in note and note.endswith(f"policy-search build {corpus} --index {old}")
    assert "chunker" not in note  # only what changed is named
    result = CliRunner().invoke(main, ["mentions", "双减", "--index", str(old)])
    assert result.exit_code == 0 and "双减" in result.stdout  # still answers ...
    assert f"note: {note}" in result.stderr  # ... and says why and how to rebuild
    fresh = CliRunner().invoke(main, ["mentions", "双减", "--index", str(index)])
    assert fresh.exit_code == 0 and "note:" not in fresh.stderr
