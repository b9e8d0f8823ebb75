"""The onnxruntime int8 encoder (multilingual-e5-small-int8) against the torch fp32 encoder of the same
model, on the shipped plans: vectors, retrieval, prompts, order, and the index's model check.

Thresholds are measured values with a margin. int8 vs fp32 cosine, with every MatMul int8 and the
feed-forward output smoothed: the 193 clauses of the shipped plans (as embedded, title and headings
included) mean 0.99863, min 0.99805; the 300 benchmark clauses of bench/encode_throughput.py mean
0.99871, min 0.99740.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from shipped import copy_plans

from search.build import build_index, collect, embed_text
from search.encoder import DEFAULT_MODEL, E5_FP32, E5_INT8, load_encoder
from search.retrieve import Searcher
from search.store import ModelMismatch

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
N_CLAUSES = 300
QUERIES = [
    "普惠性幼儿园建设和学前教育学位",
    "学校封闭管理和保安配备",
    "家长学校建设",
    "教师队伍建设和师德师风",
    "义务教育“双减”作业管理",
    "职业教育产教融合",
    "校园食品安全",
    "高考综合改革",
]


@pytest.fixture(scope="module")
def int8_encoder():
    return load_encoder(E5_INT8)


@pytest.fixture(scope="module")
def fp32_encoder():
    return load_encoder(E5_FP32)


def test_the_default_model_is_the_int8_one(real_encoder):
    assert DEFAULT_MODEL == E5_INT8 and real_encoder.name == E5_INT8


@pytest.fixture(scope="module")
def clause_texts(tmp_path_factory) -> list[str]:
    """What the index embeds for the shipped plans' clauses, evenly thinned to N_CLAUSES."""
    parsed, _ = collect(copy_plans(tmp_path_factory.mktemp("plans") / "corpus"))
    texts = [embed_text(p.document, c) for p in parsed for c in p.clauses]
    return texts[:: max(1, len(texts) // N_CLAUSES)][:N_CLAUSES]


@pytest.fixture(scope="module")
def both(fp32_encoder, int8_encoder, clause_texts):
    return fp32_encoder.encode_passages(clause_texts), int8_encoder.encode_passages(clause_texts)


def test_names_tell_the_encoders_apart(fp32_encoder, int8_encoder):
    assert fp32_encoder.name == E5_FP32 and int8_encoder.name == E5_INT8
    assert int8_encoder.dim == fp32_encoder.dim == 384
    assert int8_encoder.prompts == fp32_encoder.prompts == {"query": "query: ", "passage": "passage: "}


def test_int8_passage_vectors_agree_with_fp32(both):
    fp32, int8 = both
    assert int8.dtype == np.float32 and int8.shape == fp32.shape
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)
    cosines = (fp32 * int8).sum(axis=1)
    assert cosines.mean() >= 0.998 and cosines.min() >= 0.996, (cosines.mean(), cosines.min())


def test_same_query_finds_the_same_top_clause(fp32_encoder, int8_encoder, both):
    fp32, int8 = both
    top_fp32 = (fp32_encoder.encode_queries(QUERIES) @ fp32.T).argmax(axis=1)
    top_int8 = (int8_encoder.encode_queries(QUERIES) @ int8.T).argmax(axis=1)
    assert top_int8.tolist() == top_fp32.tolist()


def test_prompts_are_applied(fp32_encoder, int8_encoder):
    text = QUERIES[0]
    query, passage = int8_encoder.encode_queries([text])[0], int8_encoder.encode_passages([text])[0]
    fp32_query, fp32_passage = fp32_encoder.encode_queries([text])[0], fp32_encoder.encode_passages([text])[0]
    assert query @ fp32_query > 0.99 and passage @ fp32_passage > 0.99
    assert query @ passage < 0.98  # "query: " and "passage: " really differ
    assert query @ fp32_query > query @ fp32_passage and passage @ fp32_passage > passage @ fp32_query


def test_output_order_equals_input_order(int8_encoder, clause_texts):
    texts = clause_texts[:40]
    forward = int8_encoder.encode_passages(texts)
    backward = int8_encoder.encode_passages(texts[::-1])
    # activations are quantised per batch, so a row may move a little with its batch-mates
    assert ((forward * backward[::-1]).sum(axis=1) > 0.995).all()
    assert ((forward[:-1] * forward[1:]).sum(axis=1) < 0.995).any()  # rows are not all alike


def test_empty_input_gives_zero_rows(int8_encoder):
    assert int8_encoder.encode_passages([]).shape == (0, 384)
    assert int8_encoder.encode_queries([]).shape == (0, 384)


def test_index_built_with_int8_refuses_the_fp32_encoder(int8_encoder, fp32_encoder, tmp_path):
    plans, index = tmp_path / "plans", tmp_path / "index"
    plans.mkdir()
    shutil.copy(sorted(CORPUS.glob("*.txt"))[0], plans)
    build_index(plans, index, int8_encoder)
    with pytest.raises(ModelMismatch, match=E5_INT8):
        Searcher.open(index, encoder=fp32_encoder)
    searcher = Searcher.open(index)  # the query encoder follows the manifest: int8
    assert searcher.search("家长学校建设", k=1)
