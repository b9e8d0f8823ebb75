"""Batching shared by every encoder: texts sorted by token length and grouped to a padded-token budget,
rows normalised, an optional progress bar. Both the torch encoder (:mod:`search.encoder`) and the
onnxruntime one (:mod:`search.onnx_encoder`) use these, so neither imports the other."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

# Padded tokens per forward pass. On 2 cores, 150 corpus + NCP clauses: 1024 ≈ 2048 ≈ 21–22 clauses/s,
# 4096 ≈ 20, 8192 ≈ 15, sentence-transformers' own batch of 32 ≈ 17 (quiet machine, 3 rounds).
TOKEN_BUDGET = 2048
MAX_BATCH = 256  # cap on texts per batch however short they are


def length_batches(lengths: Sequence[int], token_budget: int, max_batch: int = MAX_BATCH) -> list[list[int]]:
    """Group indices, shortest first, so each batch's size × longest length stays within the budget
    (always at least one text a batch)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if current and ((len(current) + 1) * max(lengths[i], 1) > token_budget or len(current) >= max_batch):
            batches.append(current)
            current = []
        current.append(i)
    return batches + [current] if current else batches


def l2_normalise(x: np.ndarray) -> np.ndarray:
    """Unit rows whatever the model's last module does (all-zero rows stay zero)."""
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


class _SilentBar:
    """The bar of an encode nobody watches. tqdm's own disabled bar costs ~0.3 ms to make, paid on
    every query encode: about a tenth of a search's time outside the encoder and the indexes."""

    def __enter__(self) -> _SilentBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int = 1) -> None:
        return None


def progress_bar(total: int, enabled: bool) -> Any:
    """tqdm on stderr (stdout may carry JSON) when enabled, else a silent no-op bar."""
    if not enabled:
        return _SilentBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="text", file=sys.stderr, desc="encoding")


__all__: list[str] = ["MAX_BATCH", "TOKEN_BUDGET", "l2_normalise", "length_batches", "progress_bar"]
