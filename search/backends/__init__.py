"""Index backends: where a search's legs are served from.

The local backend is the generation folder itself (FAISS, bm25s, SQLite): the default, and what every
other backend is measured against. Another backend (search.backends.milvus) holds the same legs in an
engine that scales past one machine: the dense vectors, each keyword index's BM25 weights as sparse
vectors (so its scores equal the local ones, not merely resemble them), and the documents' normalised
text for the census's exhaustive scan. The SQLite records (texts, metadata, clause layout) and the model
stay local in either case: they are what the reader and the answer read.

A build records its backend in the generation's manifest (``manifest["backend"]``), naming the exact
collection it wrote, so a query opens the collection its generation was built with and never mixes
one generation's records with another's vectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ..errors import UserError

if TYPE_CHECKING:
    from ..store import BuildPayload

LOCAL = "local"
MILVUS = "milvus"
BACKENDS = (LOCAL, MILVUS)
Choice = tuple[str, "str | None"]  # (backend name, uri): what --backend and --milvus-uri choose
LOCAL_CHOICE: Choice = (LOCAL, None)


class BackendError(UserError, RuntimeError):
    """A backend that is missing, unreachable, or not the one the index was built with."""


@dataclass(frozen=True)
class Where:
    """Rows a search may return: all (both None), those of some documents, or listed clause rows."""

    docs: np.ndarray | None = None  # document rows (documents' doc_row)
    rows: np.ndarray | None = None  # clause rows (vector order)


class IndexBackend(Protocol):
    """What a backend does for a build and for a query; rows are the local generation's row numbers."""

    name: str

    def publish(self, payload: BuildPayload) -> dict:
        """Write the payload into a new collection and make it the live one (an atomic switch); return
        what the manifest records (the collection's name included). A failure leaves the live one."""
        ...

    def retire(self, record: dict) -> None:
        """Drop what earlier builds left, keeping the collection ``record`` names."""
        ...

    def open(self, record: dict) -> None:
        """Serve the collection ``record`` (a generation's manifest["backend"]) names."""
        ...

    def dense_search(
        self, vector: np.ndarray, depth: int, where: Where | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(clause rows, inner products) of the ``depth`` nearest clauses, best first."""
        ...

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The stored vectors of clause ``rows``, in that order."""
        ...

    def keyword_scores(
        self, leg: str, weights: dict[int, float], limit: int, where: Where | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(rows, BM25 scores) of the best ``limit`` rows of keyword leg ``leg`` (one of
        search.legs.KEYWORD_LEGS) for a query given as token id -> count (KeywordIndex.query_weights),
        best first; rows not returned score 0."""
        ...

    def weights(self, leg: str, rows: np.ndarray) -> list[dict[int, float]]:
        """The stored BM25 term weights (token id -> weight) of ``rows`` of keyword leg ``leg``, in that
        order: a row's score is their inner product with the query's counts."""
        ...

    def rows_with_all(self, leg: str, ids: list[int]) -> np.ndarray:
        """Rows (sorted) of keyword leg ``leg`` whose terms include every token id of ``ids``."""
        ...

    def scan(self, needle: str, docs: np.ndarray | None) -> dict[int, int]:
        """Document row -> occurrences of ``needle`` in its normalised text, for every document (of
        ``docs``) holding it: exhaustive, not ranked."""
        ...

    def close(self) -> None: ...


def backend_record(manifest: dict) -> dict:
    """The backend a generation was built with (the local one for generations that record none)."""
    return manifest.get("backend") or {"name": LOCAL}


def open_backend(name: str, uri: str | None) -> IndexBackend | None:
    """The backend ``name`` at ``uri`` (None for the local one, which is the store itself)."""
    if name == LOCAL:
        return None
    if name != MILVUS:
        raise BackendError(f"unknown backend '{name}': use one of {', '.join(BACKENDS)}")
    if not uri:
        raise BackendError(
            "the milvus backend needs --milvus-uri (a file for milvus-lite, or http://host:19530)"
        )
    from .milvus import MilvusBackend

    return MilvusBackend(uri)
