"""The index directory: plain files written whole, swapped in atomically, verified on open.

Layout of ``index/``::

    CURRENT                 name of the live generation (replaced atomically with os.replace)
    gen-<time>-<pid>/       one complete build
        manifest.json       model, dimension, prompts, chunker version, corpus hash, versions, checksums
        vectors.faiss       FAISS index (inner product over L2-normalised vectors)
        records.sqlite      documents, clauses (row ``vec`` = position in vectors.faiss), citations
        bm25_clauses/       bm25s arrays + JSON vocabulary (no pickles)
        bm25_documents/
        bm25_doc_pairs/     documents as character pairs (keyword.char_bigrams)
        terms.json          policy terms added to jieba's dictionary

A build writes a new generation and only then points CURRENT at it, so a crash at any moment leaves
the previous index loadable; files are checked against the manifest's SHA-256 sums before use.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .catalogue import UNIT_SEPARATOR
from .errors import UserError
from .keyword import KeywordIndex, TokenIds, load_terms, normalise, save_terms
from .records import Clause, Document

FORMAT_VERSION = 3  # 2: bm25_doc_pairs added; 3: clauses' units, deadline, cites and the citations table
VECTOR_FORMATS = (1, 2, 3)  # formats whose vectors and embed keys a rebuild may reuse (stored alike)
# up to this many vectors the FAISS index is exact (flat); above it HNSW. A flat scan is memory-bound:
# 50k × 384 floats ≈ 7 ms a query here, 100k ≈ 15 ms (bench/results/scale.json), HNSW ≈ 1 ms.
EXACT_LIMIT = 50_000
HNSW_M = 32
HNSW_EF_SEARCH = 512
HNSW_EF_CONSTRUCTION = 200
CURRENT = "CURRENT"

_SCHEMA = """
CREATE TABLE documents (
    source TEXT PRIMARY KEY, title TEXT, issuer TEXT, region TEXT, level TEXT, year INTEGER,
    doc_number TEXT, date TEXT, text TEXT, raw TEXT, norm_text TEXT, provenance TEXT, doc_row INTEGER,
    effective_date TEXT);
CREATE TABLE clauses (
    vec INTEGER PRIMARY KEY, clause_id TEXT UNIQUE, source TEXT, address TEXT, path TEXT, text TEXT,
    norm_text TEXT, start INTEGER, "end" INTEGER, part INTEGER, seq INTEGER, embed_key TEXT,
    lead_units TEXT, responsible_units TEXT, deadline TEXT, lead_norm TEXT, cites TEXT);
CREATE INDEX clauses_source ON clauses(source, seq);
CREATE INDEX clauses_lead ON clauses(vec, lead_norm) WHERE lead_norm != '';
CREATE TABLE citations (
    vec INTEGER, ord INTEGER, target_source TEXT, target_clause TEXT, PRIMARY KEY (vec, ord));
CREATE INDEX citations_target ON citations(target_source, target_clause);
"""


class IndexError_(UserError, RuntimeError):
    """Base for index problems; messages say what to do."""


class NoIndex(IndexError_):
    pass


class CorruptIndex(IndexError_):
    pass


class ModelMismatch(IndexError_):
    pass


@dataclass
class BuildPayload:
    """Everything one generation holds, in vector order (token lists as TokenIds keep a large build small)."""

    documents: list[Document]
    clauses: list[Clause]
    vectors: np.ndarray
    embed_keys: list[str]
    clause_tokens: TokenIds
    doc_tokens: TokenIds
    doc_pairs: TokenIds
    terms: list[str]
    manifest: dict


def write_generation(index_dir: Path, payload: BuildPayload) -> Path:
    """Write a complete generation beside the live one, verify it, then make it current."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    gen = index_dir / f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    tmp = gen.with_name(gen.name + ".tmp")
    tmp.mkdir()
    try:
        faiss_info = _write_faiss(tmp / "vectors.faiss", payload.vectors)
        _write_sqlite(tmp / "records.sqlite", payload)
        KeywordIndex.build(payload.clause_tokens).save(tmp / "bm25_clauses")
        KeywordIndex.build(payload.doc_tokens).save(tmp / "bm25_documents")
        KeywordIndex.build(payload.doc_pairs).save(tmp / "bm25_doc_pairs")
        save_terms(tmp / "terms.json", payload.terms)
        manifest = {
            **payload.manifest,
            "format_version": FORMAT_VERSION,
            "faiss": faiss_info,
            "n_documents": len(payload.documents),
            "n_clauses": len(payload.clauses),
            "files": _checksums(tmp),
        }
        _write_json(tmp / "manifest.json", manifest)
        _fsync_tree(tmp)
        tmp.rename(gen)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _point_current(index_dir, gen.name)
    _remove_stale(index_dir, keep=gen.name)
    return gen


def _write_faiss(path: Path, vectors: np.ndarray) -> dict:
    """Exact inner-product search for small corpora, HNSW above EXACT_LIMIT; the choice is recorded."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    if len(vectors) <= EXACT_LIMIT:
        index, info = faiss.IndexFlatIP(dim), {"type": "flat", "metric": "inner_product"}
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        info = {
            "type": "hnsw",
            "metric": "inner_product",
            "M": HNSW_M,
            "ef_search": HNSW_EF_SEARCH,
            "ef_construction": HNSW_EF_CONSTRUCTION,
        }
    if len(vectors):
        index.add(vectors)
    faiss.write_index(index, str(path))
    return {**info, "exact_limit": EXACT_LIMIT}


def _write_sqlite(path: Path, payload: BuildPayload) -> None:
    con = sqlite3.connect(path)
    try:
        con.executescript(_SCHEMA)
        con.executemany(
            "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    d.source,
                    d.title,
                    d.issuer,
                    d.region,
                    d.level,
                    d.year,
                    d.doc_number,
                    d.date,
                    d.text,
                    d.raw,
                    normalise(d.text),
                    json.dumps(d.provenance, ensure_ascii=False),
                    row,
                    d.effective_date,
                )
                for row, d in enumerate(payload.documents)
            ],
        )
        con.executemany(
            "INSERT INTO clauses VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    vec,
                    c.clause_id,
                    c.source,
                    c.address,
                    json.dumps(c.path, ensure_ascii=False),
                    c.text,
                    normalise(c.text),
                    c.start,
                    c.end,
                    c.part,
                    c.seq,
                    key,
                    UNIT_SEPARATOR.join(c.lead_units),
                    UNIT_SEPARATOR.join(c.responsible_units),
                    c.deadline,
                    lead_key(c.lead_units),
                    json.dumps([x.to_json() for x in c.cites], ensure_ascii=False) if c.cites else "",
                )
                for vec, (c, key) in enumerate(zip(payload.clauses, payload.embed_keys, strict=True))
            ],
        )
        con.executemany(
            "INSERT INTO citations VALUES (?,?,?,?)",
            [
                (vec, i, x.source, x.clause_id)
                for vec, c in enumerate(payload.clauses)
                for i, x in enumerate(c.cites)
                if x.source
            ],
        )
        con.commit()
    finally:
        con.close()


def _checksums(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): _sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def _fsync_tree(folder: Path) -> None:
    """Flush every file so a power cut after the swap cannot leave a half-written generation."""
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())


def _point_current(index_dir: Path, name: str) -> None:
    tmp = index_dir / f"{CURRENT}.tmp"
    tmp.write_text(name + "\n", encoding="utf-8")
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, index_dir / CURRENT)


def _remove_stale(index_dir: Path, keep: str) -> None:
    """Drop older generations and leftovers of interrupted builds (best effort)."""
    for path in index_dir.glob("gen-*"):
        if path.name != keep:
            shutil.rmtree(path, ignore_errors=True)


def current_generation(index_dir: Path) -> Path:
    """The live generation folder, or NoIndex with the command that makes one."""
    index_dir = Path(index_dir)
    pointer = index_dir / CURRENT
    if not pointer.is_file():
        raise NoIndex(
            f"no index in {index_dir}: build one with 'policy-search build CORPUS --index {index_dir}'"
        )
    gen = index_dir / pointer.read_text(encoding="utf-8").strip()
    if not gen.is_dir():
        raise CorruptIndex(f"index {index_dir} points at a missing build ({gen.name}): rebuild it")
    return gen


def read_manifest(gen: Path) -> dict:
    try:
        return json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise CorruptIndex(f"index manifest in {gen} is unreadable ({err}): rebuild the index") from err


def verify(gen: Path, manifest: dict) -> None:
    """Refuse files whose checksum differs from the manifest (truncated, corrupted or swapped)."""
    for name, expected in manifest.get("files", {}).items():
        path = gen / name
        if not path.is_file() or _sha256(path) != expected:
            raise CorruptIndex(
                f"index file {name} is damaged or missing (checksum mismatch): rebuild the index"
            )


@dataclass
class Store:
    """An opened generation: FAISS, the three BM25 indexes, the SQLite records and the manifest."""

    path: Path
    manifest: dict
    faiss_index: object
    bm25_clauses: KeywordIndex
    bm25_documents: KeywordIndex
    bm25_doc_pairs: KeywordIndex
    db: sqlite3.Connection
    terms: list[str]
    _view_cache: tuple | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def n_clauses(self) -> int:
        return int(self.manifest["n_clauses"])

    def exact_index(self):
        """An exact (flat) view of the vectors: the index itself, or an HNSW index's own storage.

        A restrictive filter leaves HNSW's graph walk few allowed nodes to pass through, so it
        degrades in both speed and recall; scanning only the allowed rows exactly is better there.
        """
        return self._views()[0]

    def vectors(self) -> np.ndarray:
        """All stored vectors as a read-only numpy view of the flat storage (no copy; valid while the
        store is open): scoring a few hundred pooled rows is one gather and a matrix product, where
        FAISS ``reconstruct`` costs a Python call per row."""
        return self._views()[1]

    def _views(self) -> tuple:
        """(exact index, vector view), made once per index and size: every search asks for them, and
        SWIG's downcasts cost tens of microseconds a call."""
        import faiss

        index, cache = self.faiss_index, self._view_cache  # the cache holds the index: no id reuse
        if cache is None or cache[0] is not index or cache[1] != index.ntotal:
            flat = _flat_storage(index)
            n, dim = flat.ntotal, int(self.manifest["dim"])
            if n == 0:
                view = np.zeros((0, dim), dtype=np.float32)
            else:
                xb = faiss.downcast_index(flat).get_xb()
                view = faiss.rev_swig_ptr(xb, n * dim).reshape(n, dim)
            view.flags.writeable = False
            self._view_cache = cache = (index, index.ntotal, flat, view)
        return cache[2], cache[3]

    def reconstruct(self) -> np.ndarray:
        """A copy of all stored vectors, in row order."""
        return np.array(self.vectors())


def _flat_storage(index):
    """The flat index holding the vectors: the index itself, or an HNSW index's storage."""
    import faiss

    storage = getattr(index, "storage", None)
    return index if storage is None else faiss.downcast_index(storage)


def _live_generation(index_dir: Path, formats: tuple[int, ...], check: bool) -> tuple[Path, dict]:
    """The live generation and its manifest, refused unless its format is one of ``formats``; its
    files verified against the manifest's checksums if ``check``."""
    gen = current_generation(index_dir)
    manifest = read_manifest(gen)
    if manifest.get("format_version") not in formats:
        raise CorruptIndex(
            f"index format {manifest.get('format_version')} is not {FORMAT_VERSION}: rebuild it"
        )
    if check:
        verify(gen, manifest)
    return gen, manifest


def open_store(index_dir: Path, check: bool = True) -> Store:
    """Open the live generation read-only, verifying checksums unless ``check`` is False."""
    import faiss

    gen, manifest = _live_generation(index_dir, (FORMAT_VERSION,), check)
    try:
        index = faiss.read_index(str(gen / "vectors.faiss"))
        if manifest["faiss"]["type"] == "hnsw":
            index.hnsw.efSearch = int(manifest["faiss"]["ef_search"])
        db = sqlite3.connect(f"file:{gen / 'records.sqlite'}?mode=ro", uri=True, check_same_thread=False)
        store = Store(
            gen,
            manifest,
            index,
            KeywordIndex.load(gen / "bm25_clauses"),
            KeywordIndex.load(gen / "bm25_documents"),
            KeywordIndex.load(gen / "bm25_doc_pairs"),
            db,
            load_terms(gen / "terms.json"),
        )
    except (RuntimeError, sqlite3.Error, OSError, ValueError, KeyError) as err:
        raise CorruptIndex(f"index in {gen} cannot be read ({err}): rebuild it") from err
    return store


def stored_vectors(index_dir: Path) -> tuple[dict, list[str], np.ndarray]:
    """(manifest, embed keys, vectors) of the live generation, checksums verified, for a rebuild to
    reuse: these files are stored alike in every format of VECTOR_FORMATS, so a format change that
    adds an index (2: the character-pair one) does not make an upgrade re-embed the corpus."""
    import faiss

    gen, manifest = _live_generation(index_dir, VECTOR_FORMATS, check=True)
    try:
        index = faiss.read_index(str(gen / "vectors.faiss"))
        db = sqlite3.connect(f"file:{gen / 'records.sqlite'}?mode=ro", uri=True)
        try:
            keys = [row[0] for row in db.execute("SELECT embed_key FROM clauses ORDER BY vec")]
        finally:
            db.close()
        flat = _flat_storage(index)
        vectors = flat.reconstruct_n(0, flat.ntotal) if flat.ntotal else np.zeros((0, index.d), np.float32)
    except (RuntimeError, sqlite3.Error, OSError, ValueError) as err:
        raise CorruptIndex(f"index in {gen} cannot be read ({err}): rebuild it") from err
    return manifest, keys, np.asarray(vectors, dtype=np.float32)


def check_model(manifest: dict, model: str | None) -> None:
    """Refuse to search an index with a different model than it was built with."""
    built = manifest.get("model")
    if model is not None and built != model:
        raise ModelMismatch(
            f"index was built with model '{built}', not '{model}': search with --model {built} "
            f"or rebuild the index with --model {model}"
        )


def lead_key(units: tuple[str, ...]) -> str:
    """Lead units as a filter matches them: normalised, one a line (a filter never spans two)."""
    return normalise("\n".join(units))


def manifest_base(**fields) -> dict:
    """Common manifest fields: library versions (read from package metadata, nothing imported)."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for package in ("faiss-cpu", "bm25s", "jieba", "numpy", "sentence-transformers", "transformers", "torch"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            continue
    return {**fields, "libraries": versions, "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
