"""The app's rebuild: an index read by an older reader is flagged on the status line, and the rebuild
re-reads every file into a current one (stored vectors reused) and serves it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from fakes import HashEncoder

from search.app_handlers import Handlers
from search.build import build_index
from search.engine import Engine
from search.store import current_generation

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def test_an_outdated_index_is_flagged_and_the_rebuild_clears_it(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(CORPUS, corpus)
    encoder = HashEncoder()
    build_index(corpus, index, encoder)
    manifest_path = current_generation(index) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    del manifest["metadata_version"]  # as an index from before the reader's versions were recorded
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")

    engine = Engine(index, corpus, tmp_path / "uploads", encoder=encoder)  # a fake: not loadable by name
    app = Handlers(engine)
    engine.start()
    assert "索引需重建" in app.catalog_updates()[0] and "metadata 1 → " in app.catalog_updates()[0]

    before = current_generation(index)
    report_html, status, *_ = app.rebuild_index()
    assert "索引已更新" in report_html and "新嵌入 0" in report_html  # every vector reused
    assert current_generation(index) != before  # a new generation, now served
    assert "索引需重建" not in status and "份文件" in status
    assert app.catalog_updates()[0] == status
