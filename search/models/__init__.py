"""Embedding models the project can assemble locally (no downloads)."""

from search.models.e5small import ensure_default_model

__all__ = ["ensure_default_model"]
