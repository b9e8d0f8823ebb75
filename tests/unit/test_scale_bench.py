"""bench/scale.py and bench/scale_corpus.py at a tiny size with the fake encoder: the generator gives the
requested size and a spread of metadata, its reused tokens equal jieba's, and every measurement returns
the structure the report relies on. Timings are never asserted."""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from benchmod import bench_module
from fakes import HashEncoder
from shipped import copy_plans

from search.keyword import document_keyword_text

REPO = Path(__file__).resolve().parents[2]
PLANS = REPO / "corpus"
QUERIES = ["义务教育课后服务“双减”", "高台县2023年教师队伍建设", "学前教育普惠发展", "疫情防控期间复工复产"]
NOTICES = [
    "关于做好疫情防控期间复工复产工作的通知 各县区：为统筹做好疫情防控和经济社会发展工作，"
    "现就有关事项通知如下。一、严格落实防控措施。企业复工前须制定防控方案，2020年2月10日起"
    "分批复工。二、加强物资保障。对防疫物资生产企业给予每家不超过50万元的补助。",
    "教育局关于延迟开学期间开展线上教学的通知 各学校：根据疫情防控需要，全县中小学延迟开学。"
    "各校要组织教师开展线上教学，每天不超过4小时。对家庭经济困难学生提供流量补贴。",
    "关于支持中小企业共渡难关的若干措施 一、减免房租。对承租国有资产类经营用房的中小企业，"
    "免收2个月房租。二、加大金融支持。新增贷款300亿元。三、稳定职工队伍。返还失业保险费。",
]


@pytest.fixture(scope="module")
def scale():
    return bench_module("scale.py")


@pytest.fixture(scope="module")
def corpus_mod(scale):
    return sys.modules["scale_corpus"]


@pytest.fixture(scope="module")
def notices(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ncp") / "corpus.jsonl"
    lines = [json.dumps({"docid": f"n{i}", "text": t}, ensure_ascii=False) for i, t in enumerate(NOTICES)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def pool(corpus_mod, notices, tmp_path_factory):
    plans = copy_plans(tmp_path_factory.mktemp("plans") / "corpus")  # the plans, not the laws beside them
    return corpus_mod.load_pool([("plans", plans), ("ncp", notices)])


def test_generator_gives_the_size_asked_with_spread_metadata(corpus_mod, pool):
    tok = corpus_mod.MemoTokenizer(pool.terms)
    corpus = corpus_mod.generate(pool, 700, seed=3, tokenizer=tok)
    assert len(corpus.clauses) == 700 == len(corpus.clause_tokens) == len(corpus.base)
    assert len(corpus.doc_tokens) == len(corpus.documents) == corpus.stats["documents"]
    docs = {d.source: d for d in corpus.documents}
    assert len(docs) == len(corpus.documents)
    assert {c.source for c in corpus.clauses} == set(docs)
    assert len({c.clause_id for c in corpus.clauses}) == 700
    for c in corpus.clauses:
        assert docs[c.source].text[c.start : c.end] == c.text
    levels = Counter(d.level for d in corpus.documents)
    assert set(levels) <= {"省", "市", "县", "区"} and len(levels) >= 3
    years = {d.year for d in corpus.documents}
    assert years <= set(range(2015, 2025)) and len(years) >= 5
    assert len({d.region for d in corpus.documents}) >= 8
    assert all(d.issuer.startswith(d.region) and d.title for d in corpus.documents)
    assert corpus.stats["shuffled"] > 0 and corpus.stats["sentence_swapped"] > 0
    assert (corpus.donor >= 0).any() and ((corpus.donor >= 0) == (corpus.donor_share > 0)).all()


def test_reused_tokens_equal_tokenising_the_whole_text(corpus_mod, pool):
    tok = corpus_mod.MemoTokenizer(pool.terms)
    corpus = corpus_mod.generate(pool, 400, seed=5, tokenizer=tok)
    direct = tok.tokenizer
    for c, tokens in list(zip(corpus.clauses, corpus.clause_tokens, strict=True))[::7]:
        assert tokens == direct(" ".join(c.path[:-1]) + " " + c.text)
    for d, tokens in list(zip(corpus.documents, corpus.doc_tokens, strict=True))[::3]:
        assert tokens == direct(document_keyword_text(d))


def test_perturbation_moves_years_places_and_amounts(corpus_mod):
    plan = corpus_mod.DocPlan("临泽县", "临泽", "县", 2019, 2.0, "临泽县教育局", [("高台县", "临泽县")])
    text = "高台县2023年新建幼儿园3所，投入资金1.5亿元，(三)全县"
    out = corpus_mod.perturb(text, plan, year_shift=-4)
    assert out == "临泽县2019年新建幼儿园6所，投入资金3.0亿元，(三)全县"


def test_synthetic_vectors_are_unit_rows_near_their_pool_vector(corpus_mod, pool):
    corpus = corpus_mod.generate(pool, 300, seed=1)
    rng = np.random.default_rng(0)
    base = rng.standard_normal((len(pool.clauses), 32)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    vectors = corpus_mod.synth_vectors(corpus, base, noise=0.02, chunk=64)
    assert vectors.shape == (300, 32) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    own = np.einsum("ij,ij->i", vectors, base[corpus.base])
    assert np.median(own) > 0.9


def test_run_measures_every_part_with_the_fake_encoder(scale, notices, tmp_path, monkeypatch):
    # 800 clauses go above this limit, so the written index is HNSW and recall is measured on it
    monkeypatch.setattr(scale.store_module, "EXACT_LIMIT", 500)
    result = scale.run(
        [300, 800],
        n_queries=len(QUERIES),
        quick=True,
        encoder_factory=HashEncoder,
        workdir=tmp_path / "work",
        cache_dir=tmp_path / "cache",
        plans=PLANS,
        ncp_corpus=notices,
        throughput_corpus=PLANS,
        queries=QUERIES,
        hnsw_params=[(16, 40)],
        log=lambda _msg: None,
    )
    assert result["encoder"]["name"] == "fake-hash" and result["encode_threads"] is None
    bt = result["build_throughput"]
    assert bt["clauses"] == bt["embedded_by_build"] > 0 and bt["ratio"] > 0
    # the plans' vectors come from the throughput run; only the notices are encoded for the pool
    assert result["pool"]["encoded_now"] == result["pool"]["pool_clauses"] - bt["clauses"] > 0
    small, large = result["sizes"]
    assert (small["clauses"], large["clauses"]) == (300, 800)
    assert small["index"]["faiss_type"] == "flat" and large["index"]["faiss_type"] == "hnsw"
    for row in (small, large):
        assert set(row["index"]["files_mib"]) == {
            "vectors.faiss",
            "records.sqlite",
            "bm25_clauses",
            "bm25_documents",
            "bm25_doc_pairs",
        }
        assert {"faiss", "sqlite", "bm25_build", "bm25_save", "checksums"} <= set(row["index"]["phases_s"])
        assert row["load"]["rss_mib"] > 0 and row["load"]["load_s_checked"] > 0
        assert row["tokenising"]["clauses_per_s"] > 0 and row["tokenising"]["direct_projected_s"] > 0
        for kind in ("unfiltered", "filtered"):
            lat = row["latency"][kind]
            assert lat["queries"] == len(QUERIES) and lat["mean_hits"] > 0
            assert {"p50", "p95", "mean"} == set(lat["e2e_ms"]) == set(lat["raw_ms"])
            assert set(lat["raw_parts_p50_ms"]) == {
                "tokenise",
                "encode",
                "faiss_selector",
                "faiss",
                "bm25_clauses",
                "bm25_docs",
                "bm25_doc_pairs",
            }
            assert lat["ratio_p50"] > 0
        assert 0 < row["latency"]["filtered"]["allowed_clauses"] < row["clauses"]
        assert row["latency"]["filtered"]["library_masks_ms"]["p50"] > 0
    projection = large["hnsw_projection"]  # construction timed on a sample, projected as n·log n
    probe = projection["probe_vectors"]
    factor = 800 * math.log(800) / (probe * math.log(probe))
    assert 1 < probe <= 800 and "hnsw_projection" not in small
    expected = pytest.approx(projection["probe_s"] * factor, abs=0.005 * factor + 0.05)  # probe_s is rounded
    assert projection["projected_s"] == expected
    recall = large["recall"]
    assert recall["index"] == "the written index" and 0 <= recall["recall_at_10"] <= 1
    assert 0 <= recall["content_recall_at_10"] <= 1 and recall["score_ratio_at_10"] > 0
    assert set(recall["by_ef_search"]) == {"64", "128", "256", "512"}
    (variant,) = large["hnsw_param_probe"]
    assert (variant["M"], variant["ef_construction"]) == (16, 40) and "1024" in variant["by_ef_search"]
    assert "hnsw_param_probe" not in small
    calibration = result["noise_calibration"]
    assert result["noise_sigma"] == calibration["sigma"] > 0 and calibration["clauses"] == 40
    goals = {g["goal"]: g for g in result["goals"]}
    assert goals["hnsw_recall_at_10_at_1M"]["met"] is None  # no 1M size: 800 clauses' recall is not it
    assert goals["p50_ms_at_100k"]["met"] is None  # no 100k size in this run
    assert len(result["notes"]) >= 4 and "synthetic" in result["notes"][1]
    assert "goals:" in scale.table(result)
    json.dumps(result)  # everything is JSON-serialisable
    assert not (tmp_path / "work" / "scale-800").exists()  # indexes are removed unless kept


def test_size_over_the_hnsw_budget_is_skipped_with_its_projection(scale, pool, tmp_path, monkeypatch):
    monkeypatch.setattr(scale.store_module, "EXACT_LIMIT", 100)
    encoder = HashEncoder()
    vectors = encoder.encode_passages(pool.texts)
    row = scale.measure_size(
        200, pool, vectors, encoder, QUERIES, vectors[:4], tmp_path, hnsw_budget_s=-1, log=lambda _m: None
    )
    assert "skipped" in row and row["hnsw_projection"]["probe_vectors"] == 20 and "index" not in row


def test_sizes_parse(scale):
    assert [scale.parse_size(s) for s in ("2000", "10k", "1M", "1.5m")] == [
        2000,
        10_000,
        1_000_000,
        1_500_000,
    ]
    assert [scale.label(n) for n in (2000, 100_000, 1_000_000, 1234)] == ["2k", "100k", "1M", "1234"]


def test_recall_goal_is_read_at_1m_only(scale):
    def row(n: int, recall: float) -> dict:
        latency = {
            kind: {"ratio_p50": 1.2, "e2e_ms": {"p50": 9.0, "p95": 12.0}}
            for kind in ("unfiltered", "filtered")
        }
        return {
            "clauses": n,
            "latency": latency,
            "recall": {"recall_at_10": recall},
            "index": {"faiss_type": "hnsw"},
        }

    goals = {g["goal"]: g for g in scale.goals({"sizes": [row(100_000, 0.5), row(1_000_000, 0.99)]})}
    assert goals["hnsw_recall_at_10_at_1M"]["measured"] == 0.99 and goals["hnsw_recall_at_10_at_1M"]["met"]
    goals = {g["goal"]: g for g in scale.goals({"sizes": [row(100_000, 0.5)]})}
    assert goals["hnsw_recall_at_10_at_1M"]["measured"] is None


def test_steal_share_is_the_hypervisors_part_of_cpu_time_between_readings():
    machine = bench_module("machine.py")
    before = [100, 0, 50, 800, 0, 0, 0, 50]  # user nice system idle iowait irq softirq steal
    after = [200, 0, 100, 1000, 0, 0, 0, 150]  # +100 user, +50 system, +200 idle, +100 steal
    assert machine.steal_share(before, after) == 0.222
    assert machine.steal_share([], after) is None  # /proc/stat unreadable: no figure, not zero
    now = machine.cpu_times()
    share = machine.steal_share(now, machine.cpu_times())
    assert len(now) == 8 and share is not None and 0 <= share <= 1  # /proc/stat read: a share, not None
    info = machine.machine()
    assert info["cores"] >= 1 and info["int8_weights"] in ("7-bit (reduce_range)", "8-bit")
