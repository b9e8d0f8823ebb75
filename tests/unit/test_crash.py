"""A build killed with SIGKILL at any moment leaves the previous index loadable and consistent.

The child build announces each stage it reaches (encoding, FAISS written, SQLite written, files
flushed, generation renamed, pointer swapped) and then pauses, so the kill lands exactly there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from fakes import HashEncoder

from search.build import build_index
from search.retrieve import Searcher
from search.store import open_store

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"

CHILD = """
import sys, time
sys.path[:0] = [{tests!r}, {root!r}]
from pathlib import Path
from fakes import HashEncoder
import search.store as store
from search.build import build_index

STOP = {stop!r}

def pause_after(name, func):
    def wrapper(*args, **kwargs):
        result = func(*args, **kwargs)
        if name == STOP:
            print(name, flush=True)
            time.sleep(60)
        return result
    return wrapper

class Encoder(HashEncoder):
    def encode_passages(self, texts, progress=False):
        return pause_after("encode", super().encode_passages)(texts, progress)

for name in ("_write_faiss", "_write_sqlite", "_fsync_tree", "_point_current"):
    setattr(store, name, pause_after(name, getattr(store, name)))
build_index(Path({corpus!r}), Path({index!r}), Encoder(name="fake-hash"))
print("done", flush=True)
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
@pytest.mark.parametrize("stop", ["encode", "_write_faiss", "_write_sqlite", "_fsync_tree", "_point_current"])
def test_killed_build_leaves_a_consistent_index(tmp_path, stop):
    encoder = HashEncoder()
    index = tmp_path / "index"
    build_index(CORPUS, index, encoder)
    before = [h.clause.clause_id for h in Searcher.open(index, encoder=encoder).search("教师队伍建设", k=5)]
    changed = tmp_path / "corpus"
    changed.mkdir()
    for path in CORPUS.glob("*.txt"):
        (changed / path.name).write_text(path.read_text(encoding="utf-8") + "\n补充说明。", encoding="utf-8")
    script = CHILD.format(
        tests=str(ROOT / "tests"), root=str(ROOT), corpus=str(changed), index=str(index), stop=stop
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == stop  # the child reached the stage and is paused there
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)

    store = open_store(index)  # verifies every checksum against the manifest
    assert store.faiss_index.ntotal == store.manifest["n_clauses"]
    assert store.db.execute("SELECT count(*) FROM clauses").fetchone()[0] == store.manifest["n_clauses"]
    after = [h.clause.clause_id for h in Searcher.open(index, encoder=encoder).search("教师队伍建设", k=5)]
    if stop == "_point_current":  # killed after the swap: the new generation is live and complete
        assert store.manifest["corpus"] == [str(changed)] and len(after) == 5
    else:  # killed before the swap: the previous generation is still live
        assert store.manifest["corpus"] == [str(CORPUS)] and after == before
    rebuilt = build_index(changed, index, encoder)  # the next build recovers and cleans up
    assert rebuilt.n_documents == 5
    assert sorted(p.name for p in index.iterdir() if p.name.startswith("gen-")) == [rebuilt.index_path.name]
