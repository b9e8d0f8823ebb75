"""The default model (multilingual-e5-small) through onnxruntime with int8 weights: the faster encoder.

The int8 graph is made once, offline, by :mod:`search.onnx_export` (cached beside the assembled model);
this module only runs it. Texts get the e5 prompt, are tokenised once and batched by length
(:mod:`search.batching`) like the torch encoder's. Measured figures are in docs/benchmarks.md.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from search.batching import MAX_BATCH, TOKEN_BUDGET, l2_normalise, length_batches, progress_bar
from search.models import e5small
from search.onnx_export import OUTPUT, ensure_int8_model, read_config


class OnnxEncoder:
    """An :class:`~search.encoder.Encoder` over an onnxruntime session whose graph maps
    ``input_ids``/``attention_mask`` (int64, right-padded) to mean-pooled ``sentence_embedding``.

    Texts get the e5 prompt, are tokenised once (truncated at 512 tokens, like the torch encoder),
    sorted by length and batched to a padded-token budget; results come back in input order.
    """

    def __init__(
        self,
        session: Any,
        tokenizer: Any,
        name: str,
        dim: int,
        prompts: dict[str, str],
        pad_id: int,
        token_budget: int = TOKEN_BUDGET,
        revision: str = "",
    ) -> None:
        self.session, self.tokenizer, self.name, self.dim = session, tokenizer, name, dim
        self.prompts, self.pad_id, self.token_budget = dict(prompts), pad_id, token_budget
        self.revision = revision  # the export's key: part of each stored vector's cache key (build.py)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Embed search queries with the query prompt."""
        return self._encode(texts, self.prompts.get("query", ""), progress=False)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Embed passages with the passage prompt; a tqdm bar on stderr if asked."""
        return self._encode(texts, self.prompts.get("passage", ""), progress)

    def _encode(self, texts: list[str], prompt: str, progress: bool) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = [e.ids for e in self.tokenizer.encode_batch([prompt + t for t in texts])]
        with progress_bar(len(texts), progress) as bar:
            for batch in length_batches([len(x) for x in ids], self.token_budget, MAX_BATCH):
                feed = pad_batch([ids[i] for i in batch], self.pad_id)
                out[batch] = self.session.run([OUTPUT], feed)[0]
                bar.update(len(batch))
        return l2_normalise(out)


def pad_batch(rows: list[list[int]], pad_id: int) -> dict[str, np.ndarray]:
    """Right-pad token id lists into the graph's int64 inputs."""
    width = max(len(r) for r in rows)
    input_ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for j, row in enumerate(rows):
        input_ids[j, : len(row)] = row
        mask[j, : len(row)] = 1
    return {"input_ids": input_ids, "attention_mask": mask}


def load_tokenizer(model_dir: Path) -> Any:
    """The directory's fast tokenizer (``tokenizers``), truncating at the model's 512 tokens, unpadded."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=e5small.MAX_SEQ_LENGTH)
    tokenizer.no_padding()
    return tokenizer


def make_session(onnx_path: Path, threads: int | None = None) -> Any:
    """A CPU onnxruntime session; threads default to min(2, cores), like the torch encoder."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only
    return ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])


def load_int8_encoder(name: str, threads: int | None = None, model_dir: Path | None = None) -> OnnxEncoder:
    """The int8 e5-small encoder, named ``name`` in index manifests; exported on first use."""
    model_dir = Path(model_dir) if model_dir is not None else e5small.ensure_default_model()
    config = read_config(model_dir)
    path = ensure_int8_model(model_dir)
    return OnnxEncoder(
        make_session(path, threads),
        load_tokenizer(model_dir),
        name,
        dim=int(config["hidden_size"]),
        prompts=e5small.PROMPTS,
        pad_id=int(config.get("pad_token_id", 1)),
        revision=path.stem.rsplit("-", 1)[-1],
    )


__all__: list[str] = [
    "OnnxEncoder",
    "load_int8_encoder",
    "load_tokenizer",
    "make_session",
    "pad_batch",
]
