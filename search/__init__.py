"""policy-search: search and cited answers over Chinese education work plans.

The public API in one place (each call is a thin wrapper over its stage module)::

    from search import build, open_index, Filters
    build("corpus", "index")                       # or build(["corpus", "uploads"], "index", model=...)
    searcher = open_index("index")
    searcher.search("普惠性幼儿园", k=5, filters=Filters.parse("2020-2023", level="县"))
    census(searcher, "双减"); ask(searcher, "…多少？"); similar(searcher, "全面落实“双减”…")
"""

from __future__ import annotations

from pathlib import Path

from .answer import ask
from .census import census
from .retrieve import Filters, Searcher
from .wording import similar

__all__ = ["Filters", "Searcher", "ask", "build", "census", "open_index", "similar"]


def build(corpus, index_dir, model: str | None = None, progress: bool = False):
    """Build or refresh the index of ``corpus`` (folder, JSONL file, or a list of them)."""
    from .build import build_index
    from .encoder import load_encoder

    return build_index(corpus, Path(index_dir), load_encoder(model), progress=progress)


def open_index(index_dir, model: str | None = None) -> Searcher:
    """Open an index for searching; the model loads on the first query."""
    return Searcher.open(Path(index_dir), model=model)
