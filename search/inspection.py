"""How a file was read: metadata with provenance and the clause tree, for ``policy-search inspect``."""

from __future__ import annotations

from pathlib import Path

from .links import Titles, resolve
from .pipeline import parse_corpus
from .records import LoadProblem, clause_json

FIELDS = ("title", "issuer", "region", "level", "year", "doc_number", "date", "effective_date")


def inspect_file(path: Path, titles: Titles | None = None) -> dict:
    """Parse one file (or folder, or JSONL) without indexing it; nothing is written anywhere.

    Citations name the cited document and article only where ``titles`` (an index's, see
    search.links.titles_of) resolves them; read alone, a file gives the cited titles and articles."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    documents, problems = [], []
    for item in parse_corpus(path):
        if isinstance(item, LoadProblem):
            problems.append(str(item))
            continue
        doc = item.document
        clauses = resolve(item.clauses, titles) if titles is not None else item.clauses
        documents.append({
            "source": doc.source,
            **{name: getattr(doc, name) for name in FIELDS},
            "provenance": doc.provenance,
            "clauses": [clause_json(c) for c in clauses],
        })  # fmt: skip
    return {"documents": documents, "problems": problems}
