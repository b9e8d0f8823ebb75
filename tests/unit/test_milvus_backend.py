"""The Milvus backend on milvus-lite: same ranks and census as the local backend, atomic rebuilds.

milvus-lite runs in this process (a gRPC server on threads, data in a ``.db`` folder under tmp_path);
every fixture closes its clients and stops that server. A server test runs only when
POLICY_SEARCH_MILVUS_URI points at a Milvus server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from fakes import HashEncoder
from shared_data import in_ci
from shipped import copy_plans

try:
    import milvus_lite  # noqa: F401
    import pymilvus  # noqa: F401
except ImportError as missing:  # skipped on a developer's machine without them, a failure in CI
    message = f"the milvus backend's tests need pymilvus and milvus-lite ({missing}): pip install '.[test]'"
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=True)

from search.backends import BackendError, open_backend  # noqa: E402
from search.backends.milvus import MilvusBackend, release_lite  # noqa: E402
from search.backends.serving import open_searcher  # noqa: E402
from search.build import build_index  # noqa: E402
from search.census import census  # noqa: E402
from search.cli import main  # noqa: E402
from search.filters import Filters, QueryError  # noqa: E402
from search.store import current_generation, read_manifest  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SEED_QUERIES = [json.loads(line)["query"] for line in (ROOT / "bench" / "seed_queries.jsonl").open()]
FILTERS = [
    Filters.parse(year="2023"),
    Filters.parse(level="县"),
    Filters.parse(issuer="高台"),
    Filters.parse(year="2020-2022", level="市"),
    Filters.parse(lead="市教育局"),  # a clause filter: rows, not whole documents
]


def assert_same_ranking(served, local, query: str, filters: Filters | None = None) -> None:
    """Same clauses in the same order; scores to 1e-5 (float32 sums taken in another order)."""
    a, b = served.search(query, k=10, filters=filters), local.search(query, k=10, filters=filters)
    assert [h.clause.clause_id for h in a] == [h.clause.clause_id for h in b], query
    assert [h.score for h in a] == pytest.approx([h.score for h in b], abs=1e-5), query


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """(local searcher, milvus searcher, backend, index dir) over the shipped plans, one fake encoder."""
    tmp = tmp_path_factory.mktemp("milvus")
    encoder = HashEncoder()
    plans = copy_plans(tmp / "plans")  # what the seed queries are judged on (the laws add build time only)
    build_index(plans, tmp / "local", encoder)
    backend = MilvusBackend(str(tmp / "lite.db"))
    build_index(plans, tmp / "milvus", encoder, backend=backend)
    local = open_searcher(tmp / "local", encoder=encoder)
    served = open_searcher(tmp / "milvus", encoder=encoder, backend="milvus", uri=backend.uri)
    yield local, served, backend, tmp / "milvus"
    served.legs.backend.close()
    backend.close()
    release_lite(backend.uri)


def test_seed_queries_rank_identically(pair):
    local, served, _, _ = pair
    for query in SEED_QUERIES:
        assert_same_ranking(served, local, query)


def test_exact_span_ranks_its_clause_first(pair):
    """The verbatim lookup runs on the backend's postings: a 20-character span copied from a clause (one
    clause holding it) ranks that clause first on milvus-lite, as on the local backend."""
    local, served, _, _ = pair
    rows = served.store.db.execute(
        "SELECT clause_id, text FROM clauses WHERE length(text) >= 60 ORDER BY vec"
    )
    clauses = rows.fetchall()
    picked = 0
    for clause_id, text in clauses[:: max(1, len(clauses) // 40)]:
        span = text[20:40]
        holders = served.store.db.execute("SELECT count(*) FROM clauses WHERE instr(text, ?)", [span])
        if holders.fetchone()[0] != 1:
            continue
        picked += 1
        assert served.search(span, k=3)[0].clause.clause_id == clause_id, span
        assert_same_ranking(served, local, span)
    assert picked >= 20


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: f"{f.year_from}-{f.level}-{f.issuer}-{f.lead}")
def test_filtered_queries_rank_identically(pair, filters):
    local, served, _, _ = pair
    for query in SEED_QUERIES[:8] + ["双减", "经费保障"]:
        assert_same_ranking(served, local, query, filters)


@pytest.mark.parametrize("term", ["双减", "教师", "“五项管理”", "ＡＩ", "不存在的词语"])
@pytest.mark.parametrize("filters", [Filters(), Filters.parse(year="2023"), Filters.parse(issuer="高台")])
def test_census_is_identical(pair, term, filters):
    local, served, _, _ = pair
    expected = census(local, term, filters)
    found = census(served, term, filters)
    assert [m.to_json() for m in found.mentions] == [m.to_json() for m in expected.mentions]
    assert found.mentions_per_year == expected.mentions_per_year


def test_census_scan_counts_across_chunks(tmp_path, lite, monkeypatch):
    """A term straddling a chunk boundary is found and counted once (chunks overlap by a term's length)."""
    from search.backends import milvus

    monkeypatch.setattr(milvus, "CHUNK_CHARS", 10)
    text = "双减" * 40 + "课后服务课后服务" + "落实双减政策" * 5
    build_index(_one_plan(tmp_path, "plan", text), tmp_path / "index", HashEncoder(), backend=lite)
    for term in ("双减", "课后服务", "减双", "双减政策落实", "服务课后"):
        found = census(open_searcher(tmp_path / "index", encoder=HashEncoder()), term)
        counts = lite.scan(term, None)
        assert list(counts.values()) == [m.count for m in found.mentions], term


def test_census_by_lead_unit_is_refused_on_milvus(pair):
    _, served, _, _ = pair
    with pytest.raises(QueryError, match="local backend"):
        census(served, "经费", Filters.parse(lead="市财政局"))


def test_manifest_names_the_collection_the_alias_serves(pair):
    _, served, backend, index = pair
    record = read_manifest(current_generation(index))["backend"]
    assert record["name"] == "milvus" and record["uri"] == backend.uri
    assert record["collection"] == backend.live() == served.legs.backend.collection
    assert record["dense_index"]["type"] == "flat"
    assert backend.builds() == [record["collection"]]


def test_local_index_refuses_the_milvus_backend(pair, tmp_path):
    local, _, backend, _ = pair
    with pytest.raises(BackendError, match="built for the local backend"):
        open_searcher(local.store.path.parent, encoder=HashEncoder(), backend="milvus", uri=backend.uri)


def test_bad_uri_says_what_to_give():
    with pytest.raises(BackendError, match=r"ending in \.db"):
        open_backend("milvus", "/tmp/no-suffix")
    with pytest.raises(BackendError, match="--milvus-uri"):
        open_backend("milvus", None)
    assert open_backend("local", None) is None


def _one_plan(tmp_path: Path, name: str, text: str) -> Path:
    corpus = tmp_path / name
    corpus.mkdir()
    (corpus / "plan.txt").write_text(f"某县教育局2023年工作要点\n一、重点工作\n1. {text}\n", encoding="utf-8")
    return corpus


@pytest.fixture
def lite(tmp_path):
    backend = MilvusBackend(str(tmp_path / "lite.db"))
    yield backend
    backend.close()
    release_lite(backend.uri)


def test_failed_rebuild_leaves_the_previous_collection_serving(tmp_path, lite, monkeypatch):
    encoder = HashEncoder()
    index = tmp_path / "index"
    build_index(_one_plan(tmp_path, "old", "推进课后服务全覆盖。"), index, encoder, backend=lite)
    old = lite.live()
    old_generation = current_generation(index)

    def boom(name):
        raise RuntimeError("killed before the alias switch")

    monkeypatch.setattr(lite, "switch_alias", boom)
    with pytest.raises(RuntimeError, match="killed"):
        build_index(_one_plan(tmp_path, "new", "建设智慧校园平台。"), index, encoder, backend=lite)
    assert lite.live() == old and lite.builds() == [old]  # the half-written collection is dropped
    assert current_generation(index) == old_generation
    searcher = open_searcher(index, encoder=encoder, backend="milvus", uri=lite.uri)
    assert "课后服务" in searcher.search("课后服务", k=1)[0].clause.text

    monkeypatch.undo()
    build_index(_one_plan(tmp_path, "newer", "建设智慧校园平台。"), index, encoder, backend=lite)
    assert lite.live() != old and lite.builds() == [lite.live()]  # the old one dropped once replaced


KILLED_BUILD = """
import os, signal, sys
sys.path[:0] = [{root!r}, {tests!r}]
from fakes import HashEncoder
from search.backends.milvus import MilvusBackend
from search.build import build_index

backend = MilvusBackend({uri!r})
backend.switch_alias = lambda name: os.kill(os.getpid(), signal.SIGKILL)
build_index({corpus!r}, {index!r}, HashEncoder(), backend=backend)
"""


def test_build_killed_before_the_alias_switch_leaves_the_previous_collection(tmp_path):
    encoder = HashEncoder()
    index, uri = tmp_path / "index", str(tmp_path / "lite.db")
    backend = MilvusBackend(uri)
    build_index(_one_plan(tmp_path, "old", "推进课后服务全覆盖。"), index, encoder, backend=backend)
    old = backend.live()
    backend.close()
    release_lite(uri)  # the killed process opens the same file

    script = KILLED_BUILD.format(
        root=str(ROOT), tests=str(ROOT / "tests"), uri=uri, index=str(index),
        corpus=str(_one_plan(tmp_path, "new", "建设智慧校园平台。")),
    )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    killed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], env=env, cwd=tmp_path, timeout=300
    )
    assert killed.returncode == -9

    backend = MilvusBackend(uri)
    try:
        assert backend.live() == old
        assert len(backend.builds()) == 2  # the killed build's collection is left until the next build
        searcher = open_searcher(index, encoder=encoder, backend="milvus", uri=uri)
        assert "课后服务" in searcher.search("课后服务", k=1)[0].clause.text
        build_index(_one_plan(tmp_path, "newer", "建设智慧校园平台。"), index, encoder, backend=backend)
        assert backend.builds() == [backend.live()]
        fresh = open_searcher(index, encoder=encoder, backend="milvus", uri=uri)
        assert "智慧校园" in fresh.search("智慧校园", k=1)[0].clause.text
    finally:
        backend.close()
        release_lite(uri)


def test_cli_builds_queries_and_counts_on_milvus(tmp_path, monkeypatch):
    monkeypatch.setattr("search.encoder.load_encoder", lambda *a, **k: HashEncoder())
    index, uri = str(tmp_path / "index"), str(tmp_path / "lite.db")
    milvus = ["--index", index, "--backend", "milvus", "--milvus-uri", uri]
    try:
        built = CliRunner().invoke(main, ["build", str(copy_plans(tmp_path / "plans")), *milvus])
        assert built.exit_code == 0, built.output
        for command in (["query", "课后服务"], ["ask", "课后服务怎么做？"], ["similar", "落实“双减”政策"]):
            served = CliRunner().invoke(main, [*command, "--json", *milvus])
            assert served.exit_code == 0, served.output
            local = CliRunner().invoke(main, [*command, "--json", "--index", index])  # its local legs
            assert json.loads(served.output) == json.loads(local.output) != []
        counted = CliRunner().invoke(main, ["mentions", "双减", "--json", *milvus])
        assert counted.exit_code == 0 and len(json.loads(counted.output)) >= 1
        refused = CliRunner().invoke(main, ["query", "课后服务", "--backend", "milvus", "--index", index,
                                            "--milvus-uri", str(tmp_path / "x")])  # fmt: skip
        assert refused.exit_code == 2 and "ending in .db" in refused.output
    finally:
        release_lite(str(Path(uri).resolve()))


@pytest.mark.milvus_server
@pytest.mark.skipif(not os.environ.get("POLICY_SEARCH_MILVUS_URI"), reason="set POLICY_SEARCH_MILVUS_URI")
def test_server_ranks_like_the_local_backend(tmp_path):
    encoder = HashEncoder()
    alias = f"policy_search_test_{uuid.uuid4().hex[:8]}"  # never touches a real deployment's alias
    backend = MilvusBackend(os.environ["POLICY_SEARCH_MILVUS_URI"], alias=alias)
    try:
        plans = copy_plans(tmp_path / "plans")
        build_index(plans, tmp_path / "local", encoder)
        build_index(plans, tmp_path / "milvus", encoder, backend=backend)
        local = open_searcher(tmp_path / "local", encoder=encoder)
        served = open_searcher(tmp_path / "milvus", encoder=encoder, backend="milvus", uri=backend.uri)
        for query in SEED_QUERIES:
            assert_same_ranking(served, local, query)
    finally:
        backend.client.drop_alias(alias=alias)
        for name in backend.builds():
            backend.client.drop_collection(name)
        backend.close()


def test_sparse_weights_reproduce_bm25_scores(pair):
    """The stored weights are bm25s's own: a query's token counts dotted with them give its scores."""
    local, _, _, _ = pair
    index = local.store.bm25_clauses
    tokens = local.tokenizer("双减 课后服务 双减")
    weights = index.query_weights(tokens)
    assert max(weights.values()) == 2.0  # a repeated token counts twice, as bm25s scores it
    dotted = np.array([sum(weights.get(int(i), 0.0) * w for i, w in zip(*row, strict=True))
                       for row in index.row_weights()], dtype=np.float32)  # fmt: skip
    np.testing.assert_allclose(dotted, index.scores(tokens), rtol=1e-5, atol=1e-6)


def test_hnsw_collection_records_its_parameters_and_ranks_like_flat(pair, tmp_path, lite, monkeypatch):
    """Above EXACT_LIMIT the dense field gets HNSW with the local index's parameters (recorded); on a
    corpus this small its walk at ef 512 visits every node, so the ranking stays the exact one."""
    from search.backends import milvus

    local, _, _, _ = pair
    monkeypatch.setattr(milvus, "EXACT_LIMIT", 10)
    encoder = HashEncoder()
    build_index(copy_plans(tmp_path / "plans"), tmp_path / "index", encoder, backend=lite)
    record = read_manifest(current_generation(tmp_path / "index"))["backend"]
    assert record["dense_index"] == {
        "type": "hnsw", "metric": "IP", "M": 32, "ef_construction": 200, "ef_search": 512,
    }  # fmt: skip
    served = open_searcher(tmp_path / "index", encoder=encoder, backend="milvus", uri=lite.uri)
    for query in SEED_QUERIES[:8]:
        assert_same_ranking(served, local, query)


def test_the_app_engine_builds_serves_and_rebuilds_on_milvus(tmp_path):
    """The app with --backend milvus: its first build, its Searcher and an upload's rebuild all go to
    Milvus (a new collection behind the alias), and the upload is found."""
    from search.engine import Engine

    uri = str(tmp_path / "lite.db")
    corpus = _one_plan(tmp_path, "corpus", "推进课后服务全覆盖。")
    engine = Engine(
        tmp_path / "index", corpus, tmp_path / "uploads", encoder=HashEncoder(), backend=("milvus", uri)
    )
    engine.start()
    try:
        with engine.use() as searcher:
            assert searcher.legs.backend.uri == uri  # served by Milvus, not the local legs
            assert "课后服务" in searcher.search("课后服务", k=1)[0].clause.text
            first = searcher.legs.backend.live()
        upload = tmp_path / "new.txt"
        upload.write_text("某县教育局2024年工作要点\n一、重点工作\n1. 建设智慧校园平台。\n", encoding="utf-8")
        assert engine.add([(upload, "new.txt")]).saved
        with engine.use() as searcher:
            assert searcher.legs.backend.live() != first  # the rebuild wrote and published a new collection
            assert "智慧校园" in searcher.search("智慧校园", k=1)[0].clause.text
    finally:
        with engine.use() as searcher:
            searcher.legs.backend.close()
        release_lite(uri)
