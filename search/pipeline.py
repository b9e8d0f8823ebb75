"""Corpus → documents → clauses: the load, clean, metadata and chunk stages run in order.

Kept apart from indexing so ``inspect`` and the tests can see exactly how a file was read without
loading a model.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .clauses import chunk_document
from .clean import clean_text
from .load import iter_corpus
from .metadata import build_document, read_catalog
from .records import Clause, Document, LoadProblem, RawDoc


@dataclass(frozen=True)
class ParsedDoc:
    """A document with its clauses."""

    document: Document
    clauses: list[Clause]


def parse_raw(raw: RawDoc, catalog_row: dict[str, str] | None = None) -> ParsedDoc:
    """Run clean → metadata → chunk on one loaded document."""
    document = build_document(raw, clean_text(raw.text), catalog_row)
    return ParsedDoc(document, chunk_document(document))


def parse_corpus(root: Path) -> Iterator[ParsedDoc | LoadProblem]:
    """Every document of a corpus folder or JSONL file, parsed; problems are yielded, not raised."""
    root = Path(root)
    catalog = read_catalog(root) if root.is_dir() else {}
    for item in iter_corpus(root):
        if isinstance(item, LoadProblem):
            yield item
            continue
        parsed = parse_raw(item, catalog.get(item.source))
        if not parsed.clauses:
            yield LoadProblem(item.source, "no text left after cleaning: nothing to index")
            continue
        yield parsed
