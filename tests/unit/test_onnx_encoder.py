"""Fast checks of the int8 export and the onnxruntime encoder without the real model: a tiny random
BERT directory laid out like the assembled one (export, fusion, quantisation, agreement with
transformers), the cache, and the encoder's batching, order and prompts over a fake session and
tokenizer."""

from __future__ import annotations

import json

import numpy as np
import pytest

from search import encoder as encoder_mod
from search import onnx_encoder, onnx_export
from search.models import e5small

HIDDEN, HEADS, FFN, LAYERS, VOCAB, POSITIONS = 32, 2, 64, 2, 100, 64
PIECES = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
PIECES += [(c, -3.0) for c in "abcdefghijklmnopqrstuvwxyz:"] + [("▁query", -1.0), ("▁passage", -1.0)]


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    """config.json, model.safetensors (fp16 matrices, float32 vectors, as assembled) and tokenizer."""
    from safetensors.numpy import save_file

    header = e5small.Header(HIDDEN, LAYERS, HEADS, FFN, VOCAB, POSITIONS, 2, 1e-12, 32)
    blob = e5small.Blob(header, PIECES, {"bos": 0, "eos": 2, "pad": 1, "unk": 3}, {0xFF21: "a"}, {})
    rng = np.random.default_rng(0)
    shapes = {"emb.word": (VOCAB, HIDDEN), "emb.pos": (POSITIONS, HIDDEN), "emb.type": (2, HIDDEN)}
    shapes |= {"emb.ln.w": (HIDDEN,), "emb.ln.b": (HIDDEN,)}
    for i in range(LAYERS):
        for part in ("q", "k", "v", "ao"):
            shapes |= {f"l{i}.{part}.w": (HIDDEN, HIDDEN), f"l{i}.{part}.b": (HIDDEN,)}
        shapes |= {f"l{i}.fi.w": (FFN, HIDDEN), f"l{i}.fi.b": (FFN,), f"l{i}.fo.w": (HIDDEN, FFN)}
        shapes |= {f"l{i}.fo.b": (HIDDEN,)}
        for ln in ("aln", "oln"):
            shapes |= {f"l{i}.{ln}.w": (HIDDEN,), f"l{i}.{ln}.b": (HIDDEN,)}
    state = {}
    for name, shape in shapes.items():
        values = (name.endswith(".w") and "ln" in name) + 0.2 * rng.standard_normal(shape)
        state[e5small.hf_name(name)] = values.astype(np.float16 if len(shape) == 2 else np.float32)
    path = tmp_path_factory.mktemp("tiny-bert")
    save_file(state, str(path / "model.safetensors"), metadata={"format": "pt"})
    (path / "config.json").write_text(json.dumps(e5small.bert_config(header, 1)), encoding="utf-8")
    e5small.save_tokenizer(blob, path)
    return path


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)


def random_batch(seed: int = 1):
    import torch

    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(4, len(PIECES), (3, 11), generator=gen)
    mask = torch.ones_like(ids)
    mask[1, 7:], mask[2, 3:] = 0, 0  # right padding of different lengths
    return ids.masked_fill(mask == 0, 1), mask


def test_torch_bert_matches_transformers_bert_model(tiny_dir):
    import torch
    from transformers import BertModel

    ids, mask = random_batch()
    reference = BertModel.from_pretrained(str(tiny_dir), add_pooling_layer=False).eval()
    with torch.no_grad():
        hidden = reference(input_ids=ids, attention_mask=mask).last_hidden_state
        expected = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        ours = onnx_export.load_torch_bert(tiny_dir)(ids, mask)
    assert torch.allclose(ours, expected, atol=1e-5)


def test_smoothing_scales_the_ffn_output_weights_without_changing_the_float_model(tiny_dir):
    import torch

    ids, mask = random_batch()
    plain = onnx_export.load_torch_bert(tiny_dir)
    smoothed = onnx_export.load_torch_bert(tiny_dir)
    onnx_export.smooth_ffn_output(smoothed, onnx_export.calibration_ids(tiny_dir))
    with torch.no_grad():
        assert torch.allclose(smoothed(ids, mask), plain(ids, mask), atol=1e-5)
    for layer, before in zip(smoothed.layers, plain.layers, strict=True):
        assert not torch.allclose(layer.smooth_inv, torch.ones_like(layer.smooth_inv))  # scales were set
        assert torch.allclose(layer.fo.weight * layer.smooth_inv[None, :], before.fo.weight, atol=1e-6)


@pytest.fixture(scope="module")
def tiny_int8(tiny_dir, tmp_path_factory):
    work = tmp_path_factory.mktemp("export")
    stats = onnx_export.export_int8(tiny_dir, work / "int8.onnx", workdir=work)
    return work / "int8.onnx", stats


def test_export_fuses_every_layer_and_quantises(tiny_int8):
    import onnx

    path, stats = tiny_int8
    assert stats.get("Attention") == LAYERS and stats.get("EmbedLayerNormalization") == 1
    nodes = onnx.load(str(path)).graph.node
    assert {"QAttention", "MatMulInteger", "QEmbedLayerNormalization"} <= {node.op_type for node in nodes}
    assert [node.name for node in nodes if node.op_type == "MatMul"] == []  # every MatMul is int8
    assert not (path.parent / "fp32.onnx").exists()  # the 4× larger intermediate is not kept


def test_int8_graph_agrees_with_torch_and_ignores_padding(tiny_dir, tiny_int8):
    import torch

    ids, mask = random_batch()
    with torch.no_grad():
        expected = onnx_export.load_torch_bert(tiny_dir)(ids, mask).numpy()
    session = onnx_encoder.make_session(tiny_int8[0], threads=1)
    feed = {"input_ids": ids.numpy(), "attention_mask": mask.numpy()}
    got = session.run([onnx_encoder.OUTPUT], feed)[0]
    assert got.shape == (3, HIDDEN) and cosines(got, expected).min() > 0.99
    # padding is masked out; activations are quantised per tensor, so batch-mates move a row slightly
    alone = session.run([onnx_encoder.OUTPUT], {k: v[2:3, :3] for k, v in feed.items()})[0]
    assert cosines(alone[0], got[2]) > 0.995 and cosines(alone[0], expected[2]) > 0.99


def test_encoder_on_tiny_model_end_to_end(tiny_dir, monkeypatch, tmp_path):
    monkeypatch.setattr(onnx_export, "int8_model_path", lambda d: tmp_path / "onnx" / "model-int8-x.onnx")
    enc = onnx_encoder.load_int8_encoder("tiny-int8", threads=1, model_dir=tiny_dir)
    texts = ["abc", "query about things", "a" * 40, "zz"]
    out = enc.encode_passages(texts)
    assert out.shape == (4, HIDDEN) and out.dtype == np.float32
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert cosines(out[2], enc.encode_passages([texts[2]])[0]) > 0.995  # alone ≈ in a batch
    assert cosines(enc.encode_queries(texts[:1])[0], out[0]) < 0.99  # a different prompt
    assert enc.encode_queries([]).shape == (0, HIDDEN)
    assert (tmp_path / "onnx" / "model-int8-x.onnx").is_file()


def test_tokenizer_truncates_at_512(tiny_dir):
    tokenizer = onnx_encoder.load_tokenizer(tiny_dir)
    ids = tokenizer.encode("passage: " + "ab " * 1000).ids
    assert len(ids) == e5small.MAX_SEQ_LENGTH and ids[0] == 0 and ids[-1] == 2


# ---- the encoder over fakes -----------------------------------------------------------------------
class FakeTokenizer:
    """Token ids: <s>, one id per character, </s>; remembers what it was asked to encode."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode_batch(self, texts):
        self.seen += texts
        return [type("Enc", (), {"ids": [0] + [3 + ord(c) % 97 for c in t] + [2]})() for t in texts]


class FakeSession:
    """Embedding = (real tokens, sum of real ids, 1, 0, ...): enough to tell texts apart."""

    def __init__(self) -> None:
        self.batches: list[tuple[int, int]] = []

    def run(self, outputs, feed):
        ids, mask = feed["input_ids"], feed["attention_mask"]
        assert outputs == [onnx_encoder.OUTPUT] and ids.dtype == mask.dtype == np.int64
        assert (ids[mask == 0] == 1).all()  # padding id where the mask is off
        self.batches.append(ids.shape)
        out = np.zeros((len(ids), 8), np.float32)
        out[:, 0], out[:, 1], out[:, 2] = mask.sum(1), (ids * mask).sum(1), 1.0
        return [out]


def fake_encoder(token_budget: int = 64):
    return onnx_encoder.OnnxEncoder(
        FakeSession(), FakeTokenizer(), "fake", 8, e5small.PROMPTS, pad_id=1, token_budget=token_budget
    )


def expected_row(text: str) -> np.ndarray:
    ids = [0] + [3 + ord(c) % 97 for c in text] + [2]
    row = np.array([len(ids), sum(ids), 1.0] + [0.0] * 5, np.float32)
    return row / np.linalg.norm(row)


def test_encoder_applies_prompts():
    enc = fake_encoder()
    enc.encode_queries(["学校"])
    enc.encode_passages(["学校", "教师"])
    assert enc.tokenizer.seen == ["query: 学校", "passage: 学校", "passage: 教师"]
    assert enc.prompts == {"query": "query: ", "passage": "passage: "}


def test_encoder_keeps_input_order_across_length_batches():
    texts = ["x" * n for n in (30, 2, 17, 5, 41, 1, 9)]
    enc = fake_encoder(token_budget=64)
    out = enc.encode_passages(texts)
    assert len(enc.session.batches) > 2  # the budget split them, shortest first
    assert all(rows * width <= 64 or rows == 1 for rows, width in enc.session.batches)
    assert np.allclose(out, np.stack([expected_row("passage: " + t) for t in texts]), atol=1e-6)


def test_encoder_empty_input_has_shape_zero_by_dim():
    enc = fake_encoder()
    assert enc.encode_passages([]).shape == (0, 8) and enc.encode_queries([]).shape == (0, 8)
    assert enc.session.batches == []


def test_pad_batch_right_pads_with_mask():
    feed = onnx_encoder.pad_batch([[0, 5, 2], [0, 2]], pad_id=1)
    assert feed["input_ids"].tolist() == [[0, 5, 2], [0, 2, 1]]
    assert feed["attention_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]


# ---- the cache ------------------------------------------------------------------------------------
def test_int8_model_is_exported_once_and_rebuilt_when_the_key_changes(monkeypatch, tmp_path, capsys):
    calls = []

    def fake_export(model_dir, out, workdir):
        calls.append(out)
        out.write_bytes(b"onnx")
        return {}

    monkeypatch.setattr(onnx_export, "export_int8", fake_export)
    first = onnx_export.ensure_int8_model(tmp_path)
    assert first.read_bytes() == b"onnx" and first.parent == tmp_path / onnx_export.ONNX_DIRNAME
    assert onnx_export.ensure_int8_model(tmp_path) == first and len(calls) == 1
    assert "one-time" in capsys.readouterr().err
    monkeypatch.setattr(onnx_export, "EXPORT_VERSION", onnx_export.EXPORT_VERSION + 1)
    second = onnx_export.ensure_int8_model(tmp_path)
    assert second != first and len(calls) == 2
    assert sorted(p.name for p in second.parent.iterdir()) == [second.name]  # stale key and temp gone


def test_failed_export_leaves_nothing_behind(monkeypatch, tmp_path):
    def broken_export(model_dir, out, workdir):
        out.write_bytes(b"half")
        raise RuntimeError("boom")

    monkeypatch.setattr(onnx_export, "export_int8", broken_export)
    with pytest.raises(RuntimeError):
        onnx_export.ensure_int8_model(tmp_path)
    assert list((tmp_path / onnx_export.ONNX_DIRNAME).iterdir()) == []


@pytest.mark.parametrize(
    ("cpuinfo", "machine", "reduced"),
    [
        ("flags\t: fpu sse avx2 avx512f avx512_vnni avx512_bf16", "x86_64", False),  # Intel with VNNI
        ("flags\t: fpu sse avx2 avx_vnni", "x86_64", False),
        ("flags\t: fpu sse avx2 fma sha_ni", "x86_64", True),  # AMD Zen 2: AVX2 only, u8s8 sums saturate
        ("flags\t: fpu sse avx2 avx512_vnnix", "AMD64", True),  # a word, not a prefix
        ("Features\t: fp asimd asimddp", "aarch64", False),  # ARM dot products sum in 32 bits
    ],
)
def test_seven_bit_weights_only_where_the_cpu_saturates(cpuinfo, machine, reduced):
    assert onnx_export.needs_reduced_range(cpuinfo, machine) is reduced


def test_reduce_range_keeps_the_weights_to_seven_bits(tiny_dir, tmp_path):
    import onnx
    from onnx import numpy_helper

    def weight_range(reduce_range: bool) -> tuple[int, int]:
        out = tmp_path / f"int8-{reduce_range}.onnx"
        onnx_export.export_int8(tiny_dir, out, workdir=tmp_path, reduce_range=reduce_range)
        graph = onnx.load(str(out)).graph
        weights = {node.input[1] for node in graph.node if node.op_type == "MatMulInteger"}
        values = [numpy_helper.to_array(t) for t in graph.initializer if t.name in weights]
        assert values and all(v.dtype == np.int8 for v in values)
        return min(int(v.min()) for v in values), max(int(v.max()) for v in values)

    low, high = weight_range(True)
    assert low >= -64 and high <= 64  # 2 × 255 × 64 = 32,640: a u8 pair's sum fits in 16 bits
    low, high = weight_range(False)
    assert low < -64 or high > 64  # full range when not asked, so the option is what narrows it


def test_key_depends_on_cpu_need_for_seven_bit_weights(monkeypatch, tmp_path):
    monkeypatch.setattr(onnx_export, "needs_reduced_range", lambda: False)
    full = onnx_export.int8_model_path(tmp_path)
    monkeypatch.setattr(onnx_export, "needs_reduced_range", lambda: True)
    assert onnx_export.int8_model_path(tmp_path) != full


def test_key_depends_on_assembly_marker(monkeypatch, tmp_path):
    before = onnx_export.int8_model_path(tmp_path)
    monkeypatch.setattr(e5small, "FORMAT_VERSION", e5small.FORMAT_VERSION + 1)
    assert onnx_export.int8_model_path(tmp_path) != before


# ---- wiring into load_encoder ---------------------------------------------------------------------
def test_load_encoder_routes_the_int8_name_to_onnxruntime(monkeypatch):
    seen = []
    monkeypatch.setattr(onnx_encoder, "load_int8_encoder", lambda name, threads: seen.append((name, threads)))
    encoder_mod.load_encoder(encoder_mod.E5_INT8, threads=1)
    assert seen == [("multilingual-e5-small-int8", 1)]
    assert encoder_mod.E5_INT8 != encoder_mod.E5_FP32  # manifests tell them apart


def test_int8_name_is_not_taken_for_a_local_directory(monkeypatch, tmp_path):
    (tmp_path / encoder_mod.E5_INT8).mkdir()
    monkeypatch.chdir(tmp_path)
    seen = []
    monkeypatch.setattr(onnx_encoder, "load_int8_encoder", lambda name, threads: seen.append(name))
    encoder_mod.load_encoder(encoder_mod.E5_INT8)
    assert seen == [encoder_mod.E5_INT8]


def test_missing_onnxruntime_is_a_model_load_error(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "search.onnx_encoder", None)  # import fails like a missing package
    with pytest.raises(encoder_mod.ModelLoadError, match="onnxruntime"):
        encoder_mod.load_encoder(encoder_mod.E5_INT8)
