"""Corpus → documents → clauses: the load, clean, metadata and chunk stages run in order.

Kept apart from indexing so ``inspect`` and the tests can see exactly how a file was read without
loading a model.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .clauses import CHUNKER_VERSION, chunk_document
from .clean import clean_text
from .keyword import KEYWORD_VERSION
from .links import LINKS_VERSION, with_cites
from .load import iter_corpus
from .metadata import METADATA_VERSION, build_document, read_catalog
from .records import Clause, Document, LoadProblem, RawDoc
from .tasks import TASKS_VERSION, assign_tasks

# how the same files become documents, clauses and indexed words; recorded in every manifest
READER_VERSIONS = {
    "chunker_version": CHUNKER_VERSION,
    "metadata_version": METADATA_VERSION,
    "keyword_version": KEYWORD_VERSION,
    "tasks_version": TASKS_VERSION,
    "links_version": LINKS_VERSION,
}


def outdated_reader(manifest: dict, index_dir: Path | str) -> str:
    """Why an index's metadata or clauses may differ from what this code reads in the same files, and
    the command that rebuilds it; "" when they do not.

    Such an index still opens: its texts and vectors are sound, and rebuilding a large corpus takes
    a while, so the user is told rather than refused; a rebuild reuses every stored vector whose
    clause and title are unchanged. A manifest without a version predates it: version 1.
    """
    changed = [
        f"{name.removesuffix('_version')} {manifest.get(name, '1')} → {now}"
        for name, now in READER_VERSIONS.items()
        if str(manifest.get(name, "1")) != now
    ]
    if not changed:
        return ""
    roots = " ".join(manifest.get("corpus") or ["CORPUS"])
    return (
        f"this index was read by an older version of the reader ({', '.join(changed)}): titles, years, 文号, "
        f"clauses or indexed words may read differently now; rebuild it: "
        f"policy-search build {roots} --index {index_dir}"
    )


@dataclass(frozen=True)
class ParsedDoc:
    """A document with its clauses."""

    document: Document
    clauses: list[Clause]


def parse_raw(raw: RawDoc, catalog_row: dict[str, str] | None = None) -> ParsedDoc:
    """Run clean → metadata → chunk on one loaded document; clauses carry their tasks' units and their
    citations (unresolved: only an index knows the cited documents)."""
    document = build_document(raw, clean_text(raw.text), catalog_row)
    return ParsedDoc(document, with_cites(assign_tasks(chunk_document(document))))


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
