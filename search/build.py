"""Build (or refresh) an index from a corpus: parse, embed only what changed, write a new generation.

Embeddings are keyed by a hash of the model and the exact text embedded, so a rebuild re-encodes only
new or changed clauses and simply drops removed ones; everything else is copied from the live index.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import UserError
from .keyword import TokenIds, Tokenizer, char_bigrams, document_keyword_text, normalise, policy_terms
from .links import Titles, resolve
from .pipeline import READER_VERSIONS, ParsedDoc, parse_corpus
from .records import Clause, Document, LoadProblem
from .store import BuildPayload, IndexError_, manifest_base, stored_vectors, write_generation


@dataclass
class BuildReport:
    """What a build did, for the CLI and the tests."""

    index_path: Path
    n_documents: int
    n_clauses: int
    embedded: int
    reused: int
    seconds: float
    problems: list[LoadProblem] = field(default_factory=list)


def embed_text(document: Document, clause: Clause) -> str:
    """What the encoder sees: the plan's title and the item's parent headings give the clause context."""
    parents = " / ".join(clause.path[:-1])
    head = f"{document.title}｜{parents}" if parents else document.title
    return f"{head}\n{clause.text}"


def embed_key(model: str, text: str) -> str:
    return hashlib.sha1(f"{model}\x1f{text}".encode()).hexdigest()


def embedding_identity(encoder) -> str:
    """What a stored vector depends on: the model name, plus the encoder's ``revision`` when it has one
    (the int8 export's key), so a re-exported model re-embeds instead of reusing old vectors."""
    revision = getattr(encoder, "revision", "")
    return f"{encoder.name}@{revision}" if revision else encoder.name


def _roots(corpus: Path | Sequence[Path]) -> list[Path]:
    return [Path(corpus)] if isinstance(corpus, (str, Path)) else [Path(c) for c in corpus]


def _parse_roots(roots: list[Path]):
    """Parse each root; sources of the second and later roots are prefixed with the root's name."""
    for i, root in enumerate(roots):
        if i and not root.exists():
            continue
        yield from parse_corpus(root, f"{root.name}/" if i else "")


def collect(corpus: Path | Sequence[Path]) -> tuple[list[ParsedDoc], list[LoadProblem]]:
    """Parse the corpus (one or more roots); identical documents are indexed once and reported."""
    parsed: list[ParsedDoc] = []
    problems: list[LoadProblem] = []
    seen: dict[str, str] = {}
    for item in _parse_roots(_roots(corpus)):
        if isinstance(item, LoadProblem):
            problems.append(item)
            continue
        digest = hashlib.sha1(normalise(item.document.text).encode()).hexdigest()
        if digest in seen:
            problems.append(LoadProblem(item.document.source, f"same text as {seen[digest]}: indexed once"))
            continue
        seen[digest] = item.document.source
        parsed.append(item)
    return parsed, problems


def link_citations(parsed: list[ParsedDoc]) -> list[ParsedDoc]:
    """Every clause's citations resolved against all documents of this build (search.links: why here)."""
    titles = Titles.of([(p.document, p.clauses) for p in parsed])
    return [ParsedDoc(p.document, resolve(p.clauses, titles)) for p in parsed]


def corpus_hash(parsed: list[ParsedDoc]) -> str:
    digest = hashlib.sha256()
    for item in sorted(parsed, key=lambda p: p.document.source):
        digest.update(item.document.source.encode() + b"\0" + item.document.raw.encode() + b"\0")
    return digest.hexdigest()


def previous_vectors(index_dir: Path, model: str) -> dict[str, np.ndarray]:
    """Embeddings of the live index by embed key, if it was built with the same model."""
    try:
        manifest, keys, vectors = stored_vectors(index_dir)
    except IndexError_:
        return {}
    if manifest.get("model") != model or len(keys) != len(vectors):
        return {}
    return dict(zip(keys, vectors, strict=True))


def build_index(
    corpus: Path | Sequence[Path], index_dir: Path, encoder, progress: bool = False, backend=None
) -> BuildReport:
    """Parse ``corpus`` (a folder, a JSONL file, or several) and write a new generation into ``index_dir``.

    With a ``backend`` (search.backends) its collection is written and made live first and recorded in
    the manifest; earlier collections are dropped only once the generation naming the new one is live,
    so a build failing anywhere leaves the previous generation and its collection serving."""
    started = time.perf_counter()
    check_index_dir(Path(index_dir))
    parsed, problems = collect(corpus)
    if not parsed:
        raise NothingToIndex(_nothing_to_index(_roots(corpus), problems))
    parsed = link_citations(parsed)
    documents = [p.document for p in parsed]
    pairs = [(p.document, c) for p in parsed for c in p.clauses]
    texts = [embed_text(d, c) for d, c in pairs]
    identity = embedding_identity(encoder)
    keys = [embed_key(identity, t) for t in texts]
    cached = previous_vectors(index_dir, encoder.name)
    missing = sorted({i for i, k in enumerate(keys) if k not in cached})
    fresh = encoder.encode_passages([texts[i] for i in missing], progress=progress) if missing else None
    vectors = np.zeros((len(keys), encoder.dim), dtype=np.float32)
    for row, key in enumerate(keys):
        if key in cached:
            vectors[row] = cached[key]
    if fresh is not None:
        vectors[missing] = fresh
    terms = policy_terms(d.text for d in documents)
    tokenizer = Tokenizer(terms)
    clause_tokens = TokenIds.encode(
        tokenizer(" ".join(c.path[:-1]) + " " + c.text) for _, c in _progress(pairs, progress)
    )
    doc_texts = [document_keyword_text(d) for d in documents]
    doc_tokens = TokenIds.encode(tokenizer(text) for text in doc_texts)
    doc_pairs = TokenIds.encode(char_bigrams(text) for text in doc_texts)
    manifest = manifest_base(
        model=encoder.name,
        dim=encoder.dim,
        prompts=dict(encoder.prompts),
        **READER_VERSIONS,
        corpus=[str(r) for r in _roots(corpus)],
        corpus_hash=corpus_hash(parsed),
        embedded=len(missing),
        reused=len(keys) - len(missing),
    )
    payload = BuildPayload(
        documents, [c for _, c in pairs], vectors, keys, clause_tokens, doc_tokens, doc_pairs, terms, manifest
    )
    if backend is not None:
        payload.manifest["backend"] = backend.publish(payload)
    gen = write_generation(Path(index_dir), payload)
    if backend is not None:
        backend.retire(payload.manifest["backend"])
    return BuildReport(
        gen,
        len(documents),
        len(pairs),
        len(missing),
        len(keys) - len(missing),
        time.perf_counter() - started,
        problems,
    )


def check_index_dir(index_dir: Path) -> None:
    """Refuse an index path that cannot hold an index before the corpus is parsed and embedded (minutes of
    work that the final write would otherwise throw away with a traceback)."""
    if index_dir.exists() and not index_dir.is_dir():
        raise UserError(f"index path {index_dir} is a file: pass --index a folder, new or an index")
    existing = next((p for p in (index_dir, *index_dir.parents) if p.exists()), None)
    if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        where = existing or index_dir
        raise UserError(f"cannot write an index under {where}: pass --index a folder you can write")


class NothingToIndex(UserError):
    """No file of the corpus gave a plan with text: nothing is written, the live index stays."""


def _nothing_to_index(roots: list[Path], problems: list[LoadProblem], shown: int = 5) -> str:
    where = ", ".join(str(r) for r in roots)
    why = "; ".join(str(p) for p in problems[:shown]) or "no files found"
    more = f" and {len(problems) - shown} more" if len(problems) > shown else ""
    return (
        f"nothing to index in {where} ({why}{more}): add plans as .txt, .docx, .pdf, .html or .jsonl "
        "and build again; an existing index is kept as it was"
    )


def _progress(items: list, enabled: bool):
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc="tokenising", unit="clause", file=sys.stderr, leave=False)
