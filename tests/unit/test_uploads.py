"""The app's documents library: an upload is indexed and a deletion drops it, both reusing every stored
vector; the deleted file goes to the trash (never destroyed); shipped corpus files cannot be deleted; a
read-only library changes nothing; a build that fails leaves the files and the live index as they were;
a search keeps answering from the live generation while a build writes the next one."""

from __future__ import annotations

import threading

import pytest
from fakes import HashEncoder

from search.build import build_index
from search.retrieve import Searcher
from search.store import current_generation
from search.uploads import TRASH, BuildBusy, Library, NotAnUpload, ReadOnly, move_to_trash

PLAN = (
    "某县2021年教育工作要点\n某县教育局\n一、主要任务\n1、推进学前教育普惠发展。\n2、办好人民满意的教育。\n"
)
UPLOAD = "甲县2025年教育工作要点\n甲县教育局\n一、重点工作\n1、推进研学旅行基地建设，完善研学管理制度。\n"


@pytest.fixture
def setup(tmp_path):
    corpus, uploads, index = tmp_path / "corpus", tmp_path / "uploads", tmp_path / "index"
    corpus.mkdir()
    (corpus / "plan.txt").write_text(PLAN, encoding="utf-8")
    encoder = HashEncoder()
    build_index([corpus, uploads], index, encoder)
    source = tmp_path / "incoming" / "研学.txt"
    source.parent.mkdir()
    source.write_text(UPLOAD, encoding="utf-8")
    return Library(index, corpus, uploads), encoder, source


def sources(index) -> set[str]:
    return {d.source for d in Searcher.open(index, encoder=HashEncoder()).documents(with_text=False)}


def test_an_upload_is_indexed_and_a_deletion_moves_it_to_the_trash(setup):
    library, encoder, source = setup
    published = []
    added = library.add([(source, source.name)], encoder, lambda: published.append("add"))
    assert [p.name for p in added.saved] == ["研学.txt"] and added.report.embedded > 0
    assert "uploads/研学.txt" in sources(library.index_dir) and published == ["add"]
    assert library.upload_sources() == ["uploads/研学.txt"]

    encoder.calls = 0
    deleted = library.delete("uploads/研学.txt", encoder, lambda: published.append("delete"))
    assert sources(library.index_dir) == {"plan.txt"} and published == ["add", "delete"]
    assert deleted.report.embedded == 0 and encoder.calls == 0  # every remaining vector reused
    assert not (library.uploads / "研学.txt").exists()
    assert deleted.trashed.parent == library.uploads / TRASH and deleted.trashed.name.endswith("-研学.txt")
    assert deleted.trashed.read_text(encoding="utf-8") == UPLOAD  # kept, byte for byte
    assert library.upload_sources() == []  # the trash is neither listed nor indexed


def test_shipped_corpus_files_and_made_up_paths_cannot_be_deleted(setup):
    library, encoder, _ = setup
    before = current_generation(library.index_dir)
    for source in ("plan.txt", "uploads/../corpus/plan.txt", "uploads/missing.txt", f"uploads/{TRASH}/x", ""):
        with pytest.raises(NotAnUpload):
            library.delete(source, encoder, lambda: None)
    assert (library.corpus / "plan.txt").exists() and current_generation(library.index_dir) == before


def test_a_read_only_library_refuses_every_change(setup):
    library, encoder, source = setup
    (library.uploads).mkdir()
    (library.uploads / "old.txt").write_text(UPLOAD, encoding="utf-8")
    locked = Library(library.index_dir, library.corpus, library.uploads, read_only=True)
    before = current_generation(library.index_dir)
    with pytest.raises(ReadOnly):
        locked.add([(source, source.name)], encoder, lambda: None)
    with pytest.raises(ReadOnly):
        locked.delete("uploads/old.txt", encoder, lambda: None)
    with pytest.raises(ReadOnly):
        locked.rebuild(encoder, lambda: None)
    assert sorted(p.name for p in library.uploads.iterdir()) == ["old.txt"]
    assert current_generation(library.index_dir) == before


def test_a_failed_build_puts_the_deleted_file_back(setup, monkeypatch):
    library, encoder, source = setup
    library.add([(source, source.name)], encoder, lambda: None)
    before = current_generation(library.index_dir)

    def broken():
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        library.delete("uploads/研学.txt", encoder, broken)
    assert (library.uploads / "研学.txt").read_text(encoding="utf-8") == UPLOAD
    assert not list((library.uploads / TRASH).iterdir())
    assert (
        library.upload_sources() == ["uploads/研学.txt"] and current_generation(library.index_dir) != before
    )


def test_one_build_at_a_time_and_searches_answer_from_the_live_index_meanwhile(setup):
    library, encoder, source = setup
    live = Searcher.open(library.index_dir, encoder=encoder)
    in_build, release = threading.Event(), threading.Event()

    class SlowEncoder(HashEncoder):
        def encode_passages(self, texts, progress=False):
            in_build.set()
            release.wait(10)
            return super().encode_passages(texts, progress)

    worker = threading.Thread(target=library.add, args=([(source, source.name)], SlowEncoder(), lambda: None))
    worker.start()
    try:
        assert in_build.wait(10)
        with pytest.raises(BuildBusy):
            library.rebuild(encoder, lambda: None)
        hits = live.search("学前教育普惠发展", k=3)  # answers while the build is under way
        assert hits and hits[0].document.source == "plan.txt"
    finally:
        release.set()
        worker.join(10)
    assert "uploads/研学.txt" in sources(library.index_dir)
    assert live.search("学前教育普惠发展", k=3)[0].document.source == "plan.txt"  # old files still readable


def test_move_to_trash_never_replaces_an_earlier_deletion(tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    moved = []
    for text in ("first", "second"):
        (uploads / "a.txt").write_text(text, encoding="utf-8")
        moved.append(move_to_trash(uploads / "a.txt", uploads, now=0))
    assert moved[0] != moved[1] and [p.read_text(encoding="utf-8") for p in moved] == ["first", "second"]
