"""How a file was read: metadata with provenance and the clause tree, for ``policy-search inspect``."""

from __future__ import annotations

from pathlib import Path

from .pipeline import parse_corpus
from .records import LoadProblem

FIELDS = ("title", "issuer", "region", "level", "year", "doc_number", "date", "effective_date")


def inspect_file(path: Path) -> dict:
    """Parse one file (or folder, or JSONL) without indexing it; nothing is written anywhere."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    documents, problems = [], []
    for item in parse_corpus(path):
        if isinstance(item, LoadProblem):
            problems.append(str(item))
            continue
        doc = item.document
        documents.append({
            "source": doc.source,
            **{name: getattr(doc, name) for name in FIELDS},
            "provenance": doc.provenance,
            "clauses": [{"address": c.address, "part": c.part, "path": list(c.path), "text": c.text,
                         "clause_id": c.clause_id} for c in item.clauses],
        })  # fmt: skip
    return {"documents": documents, "problems": problems}
