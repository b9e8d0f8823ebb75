"""Tiny stand-ins for the embedding model, so unit tests run in milliseconds without torch."""

from __future__ import annotations

import hashlib

import numpy as np

# The fields promised on every hit object (CLI --json and the Python API alike).
HIT_CONTRACT = {
    "source",
    "title",
    "issuer",
    "region",
    "year",
    "address",
    "path",
    "text",
    "score",
    "clause_id",
}


class HashEncoder:
    """Bag of character bigrams hashed into a small space: similar wording gives similar vectors.

    Deterministic and dependency-free; ``calls`` counts encoded passages so tests can check that
    a rebuild re-embeds only what changed.
    """

    def __init__(self, name: str = "fake-hash", dim: int = 64) -> None:
        self.name = name
        self.dim = dim
        self.prompts = {"query": "", "passage": ""}
        self.calls = 0

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for a, b in zip(text, text[1:], strict=False):
            bucket = int(hashlib.md5((a + b).encode()).hexdigest()[:8], 16) % self.dim
            vec[bucket] += 1.0
        norm = np.linalg.norm(vec)
        return vec / norm if norm else vec

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        self.calls += len(texts)
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)
