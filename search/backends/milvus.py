"""The Milvus backend: one collection per build, an alias naming the live one.

One client API reaches three deployments: milvus-lite (a local ``.db`` file, embedded; what tests and
a laptop use), Milvus standalone and a Milvus cluster (``http://host:19530``).

A build writes every leg into ONE new collection, so a single alias switch publishes all of them at
once: clause rows (kind 0) carry the dense vector and the clause words' BM25 weights, document rows
(kind 1) the document words' and character pairs' BM25 weights, text rows (kind 2) the documents'
normalised text in overlapping chunks for the census. The BM25 weights are the ones bm25s computed for
the local index (KeywordIndex.row_weights), held as sparse vectors: a query's token counts dotted with
them give the local scores exactly, so the fused ranking is the local one. Milvus's own BM25 (a jieba
analyser on a VARCHAR field) would cut and weigh words its own way and break that equality.
"""

from __future__ import annotations

import os
import re
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from ..keyword import KeywordIndex, normalise
from ..store import EXACT_LIMIT, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M, BuildPayload
from . import MILVUS, BackendError, Where

SCHEMA_VERSION = 1
KIND_CLAUSE, KIND_DOCUMENT, KIND_TEXT = 0, 1, 2
MAX_TOPK = 16_384  # Milvus's largest limit for one search
INSERT_BATCH = 500
CHUNK_CHARS = 8_000  # text a chunk owns; at most 4 bytes a character in UTF-8, inside VARCHAR's 65535
CHUNK_OVERLAP = 99  # a census term (at most 100 characters) starting in a chunk ends inside it
PAD_TOKEN = (
    2**32 - 2
)  # Milvus refuses an empty sparse vector: rows with no term hold this, which no query has
SPARSE_FIELDS = {"clauses": "words", "documents": "doc_words", "pairs": "doc_pairs"}  # search.legs' legs
_PAD = {PAD_TOKEN: 1.0}
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,200}")


class MilvusBackend:
    """A Milvus deployment at ``uri``; ``alias`` names the live collection, builds are ``<alias>_g…``."""

    name = MILVUS

    def __init__(self, uri: str, alias: str = "policy_search") -> None:
        try:
            from pymilvus import MilvusClient
        except ImportError as err:
            raise BackendError(
                "the milvus backend needs pymilvus and milvus-lite: pip install 'policy-search[milvus]'"
            ) from err
        if not _NAME_RE.fullmatch(alias):
            raise BackendError(f"bad alias '{alias}': letters, digits and underscores only")
        self.uri = resolve_uri(uri)
        self.alias = alias
        self.collection: str | None = None  # the collection queries read (pinned by open or publish)
        self._ef = HNSW_EF_SEARCH
        self._doc_ids = 0  # a document row's id is this plus its row
        try:
            self.client = MilvusClient(uri=self.uri)
        except Exception as err:  # pymilvus raises its own exception types for every connection failure
            raise BackendError(f"cannot reach Milvus at {self.uri} ({err}): check --milvus-uri") from err

    # ---- building ---------------------------------------------------------------------------------
    def publish(self, payload: BuildPayload) -> dict:
        name = f"{self.alias}_g{time.strftime('%Y%m%d%H%M%S')}_{os.getpid()}_{time.monotonic_ns() % 10**6}"
        dense = dense_index(len(payload.clauses))
        try:
            self._create(name, payload.vectors.shape[1], dense)
            expected = self._insert(name, payload)
            self.client.flush(name)
            self.client.load_collection(name)
            stored = int(self.client.get_collection_stats(name)["row_count"])
            if stored != expected:
                raise BackendError(f"Milvus stored {stored} of {expected} rows in {name}: build again")
            self.switch_alias(name)
        except BaseException:
            self._drop_quietly(name)
            raise
        self.collection = name
        self._doc_ids = len(payload.clauses)
        return {
            "name": MILVUS,
            "uri": self.uri,
            "alias": self.alias,
            "collection": name,
            "schema_version": SCHEMA_VERSION,
            "clauses": len(payload.clauses),  # document rows' ids start there (see _rows)
            "dense_index": dense,
            "sparse_index": {"type": "SPARSE_INVERTED_INDEX", "metric": "IP", "weights": "bm25s lucene"},
            "libraries": _versions(),
        }

    def switch_alias(self, name: str) -> None:
        """Point the alias at ``name``: Milvus switches an alias atomically, so a reader of the alias
        sees the old collection or the new one, never a half-written one."""
        if self.live() is None:
            self.client.create_alias(collection_name=name, alias=self.alias)
        else:
            self.client.alter_alias(collection_name=name, alias=self.alias)

    def live(self) -> str | None:
        """The collection the alias names, or None before the first build."""
        if self.alias not in self.client.list_aliases().get("aliases", []):
            return None
        return self.client.describe_alias(alias=self.alias)["collection_name"]

    def retire(self, record: dict) -> None:
        keep = {record["collection"], self.live()}
        for name in self.builds():
            if name not in keep:
                self._drop_quietly(name)

    def builds(self) -> list[str]:
        """Collections this alias's builds made (finished or left by a killed build)."""
        return sorted(c for c in self.client.list_collections() if c.startswith(f"{self.alias}_g"))

    def open(self, record: dict) -> None:
        """Read the collection a generation's manifest names (not whatever the alias names now)."""
        name = record.get("collection", "")
        if not self.client.has_collection(name):
            raise BackendError(f"Milvus at {self.uri} has no collection {name}: rebuild the index")
        self.client.load_collection(name)
        self._ef = int(record.get("dense_index", {}).get("ef_search", HNSW_EF_SEARCH))
        self.collection = name
        self._doc_ids = record["clauses"] if "clauses" in record else self._count(KIND_CLAUSE)

    def _count(self, kind: int) -> int:
        found = self.client.query(self.collection, filter=f"kind == {kind}", output_fields=["count(*)"])
        return int(found[0]["count(*)"])

    def _create(self, name: str, dim: int, dense: dict) -> None:
        from pymilvus import DataType

        schema = self.client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        for field in ("kind", "row", "doc_row", "own"):
            schema.add_field(field, DataType.INT64)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
        for field in SPARSE_FIELDS.values():
            schema.add_field(field, DataType.SPARSE_FLOAT_VECTOR)
        schema.add_field("text", DataType.VARCHAR, max_length=65_535)
        params = self.client.prepare_index_params()
        if dense["type"] == "hnsw":
            params.add_index(
                "dense",
                index_type="HNSW",
                metric_type="IP",
                params={"M": dense["M"], "efConstruction": dense["ef_construction"]},
            )
        else:
            params.add_index("dense", index_type="FLAT", metric_type="IP")
        for field in SPARSE_FIELDS.values():
            params.add_index(field, index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
        self.client.create_collection(name, schema=schema, index_params=params)

    def _insert(self, name: str, payload: BuildPayload) -> int:
        """Insert every row in batches; the number of rows inserted."""
        batch: list[dict] = []
        count = 0
        for row in _rows(payload):
            batch.append(row)
            if len(batch) == INSERT_BATCH:
                self.client.insert(name, batch)
                count, batch = count + len(batch), []
        if batch:
            self.client.insert(name, batch)
            count += len(batch)
        return count

    def _drop_quietly(self, name: str) -> None:
        try:
            if self.client.has_collection(name):
                self.client.drop_collection(name)
        except Exception:  # best effort: the next build's retire() drops what is left
            pass

    # ---- querying ---------------------------------------------------------------------------------
    def dense_search(
        self, vector: np.ndarray, depth: int, where: Where | None
    ) -> tuple[np.ndarray, np.ndarray]:
        params = {"metric_type": "IP", "params": {"ef": max(self._ef, depth)}}
        return self._search(
            "dense", [np.asarray(vector, dtype=np.float32).tolist()], depth, KIND_CLAUSE, where, params
        )

    def keyword_scores(
        self, leg: str, weights: dict[int, float], limit: int, where: Where | None
    ) -> tuple[np.ndarray, np.ndarray]:
        if not weights:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        kind = KIND_CLAUSE if leg == "clauses" else KIND_DOCUMENT
        params = {"metric_type": "IP", "params": {"drop_ratio_search": 0.0}}
        return self._search(SPARSE_FIELDS[leg], [weights], limit, kind, where, params)

    def rows_with_all(self, leg: str, ids: list[int]) -> np.ndarray:
        """Rows of keyword index ``leg`` holding every token of ``ids``: each token's rows (its posting
        list: the rows its one-token query scores above 0) in one batched search, intersected. A token
        in more than MAX_TOPK rows is left out of the intersection (a superset, which the caller's
        text check narrows) unless every token is."""
        if not ids:
            return np.zeros(0, dtype=np.int64)
        kind = KIND_CLAUSE if leg == "clauses" else KIND_DOCUMENT
        found = self.client.search(
            self._live_name(),
            [{int(i): 1.0} for i in ids],
            anns_field=SPARSE_FIELDS[leg],
            limit=MAX_TOPK,
            filter=_expression(kind, None),
            output_fields=["row"],
            search_params={"metric_type": "IP", "params": {"drop_ratio_search": 0.0}},
        )
        lists = [np.unique([hit["entity"]["row"] for hit in hits]).astype(np.int64) for hits in found]
        whole = [rows for rows in lists if len(rows) < MAX_TOPK] or lists[:1]
        rows = whole[0]
        for other in whole[1:]:
            rows = rows[np.isin(rows, other)]
        return rows

    def _search(self, field: str, data: list, limit: int, kind: int, where: Where | None, params: dict):
        found = self.client.search(
            self._live_name(),
            data,
            anns_field=field,
            limit=max(1, min(limit, MAX_TOPK)),
            filter=_expression(kind, where),
            output_fields=["row"],  # asking for no field took 2-3 times as long on milvus-lite
            search_params=params,
        )[0]
        rows = np.array([hit["entity"]["row"] for hit in found], dtype=np.int64)
        return rows, np.array([hit["distance"] for hit in found], dtype=np.float32)

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        found = self._get(KIND_CLAUSE, rows, "dense")
        return np.array(found, dtype=np.float32).reshape(len(found), -1)

    def weights(self, leg: str, rows: np.ndarray) -> list[dict[int, float]]:
        return self._get(KIND_CLAUSE if leg == "clauses" else KIND_DOCUMENT, rows, SPARSE_FIELDS[leg])

    def _get(self, kind: int, rows: np.ndarray, field: str) -> list:
        """``field`` of the given rows of one kind, in their order: read by primary key (a clause row's
        id is its row, a document row's follows the clauses'), the cheapest read Milvus has."""
        offset = 0 if kind == KIND_CLAUSE else self._doc_ids
        wanted = [int(r) + offset for r in np.asarray(rows).tolist()]
        found = {}
        for at in range(0, len(wanted), INSERT_BATCH):
            chunk = wanted[at : at + INSERT_BATCH]
            for hit in self.client.get(self._live_name(), ids=chunk, output_fields=[field]):
                found[int(hit["id"])] = hit[field]
        return [found[i] for i in wanted]

    def scan(self, needle: str, docs: np.ndarray | None) -> dict[int, int]:
        """Text chunks holding ``needle`` found by an exhaustive filtered scan (query iterator), then
        each such document's chunks joined and counted, so a count equals str.count on the whole text."""
        holding = {row for row, _, _ in self._chunks(needle, docs)}
        if not holding:
            return {}
        texts: dict[int, list[tuple[int, str]]] = {}
        for row, start, text in self._chunks(None, np.array(sorted(holding))):
            texts.setdefault(row, []).append((start, text))
        return {
            row: count
            for row, parts in texts.items()
            if (count := "".join(text for _, text in sorted(parts)).count(needle))
        }

    def _chunks(self, needle: str | None, docs: np.ndarray | None):
        """(document row, start, owned text) of text chunks, those containing ``needle`` if given."""
        expr = _expression(KIND_TEXT, Where(docs=docs) if docs is not None else None)
        plain = needle is not None and not set(needle) & set('%_\\"')
        if plain:
            expr += f' and text like "%{needle}%"'
        iterator = self.client.query_iterator(
            self._live_name(), batch_size=256, filter=expr, output_fields=["doc_row", "row", "own", "text"]
        )
        try:
            while batch := iterator.next():
                for hit in batch:
                    if needle is None or needle in hit["text"]:
                        yield int(hit["doc_row"]), int(hit["row"]), hit["text"][: int(hit["own"])]
        finally:
            iterator.close()

    def _live_name(self) -> str:
        if self.collection is None:
            raise BackendError("no Milvus collection opened: build the index with --backend milvus")
        return self.collection

    def close(self) -> None:
        self.client.close()


def release_lite(uri: str) -> None:
    """Stop the embedded milvus-lite server of the ``.db`` file ``uri`` (it runs as threads of this
    process until then, or until the process exits). Every client of that file stops working."""
    if uri.endswith(".db"):
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(uri)


def resolve_uri(uri: str) -> str:
    """A server URL as given; a milvus-lite file as an absolute path (it must end in .db)."""
    uri = (uri or "").strip()
    if re.match(r"^(https?|tcp|unix)://", uri):
        return uri
    if not uri.endswith(".db"):
        raise BackendError(
            f"--milvus-uri '{uri}': give a milvus-lite file ending in .db, or http://host:19530"
        )
    path = Path(uri).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(path)


def dense_index(n: int) -> dict:
    """Exact search up to EXACT_LIMIT clauses, HNSW above, with the local index's parameters."""
    if n <= EXACT_LIMIT:
        return {"type": "flat", "metric": "IP"}
    return {
        "type": "hnsw",
        "metric": "IP",
        "M": HNSW_M,
        "ef_construction": HNSW_EF_CONSTRUCTION,
        "ef_search": HNSW_EF_SEARCH,
    }


def _expression(kind: int, where: Where | None) -> str:
    expr = f"kind == {kind}"
    if where is not None and where.docs is not None:
        expr += f" and doc_row in {[int(d) for d in where.docs]}"
    if where is not None and where.rows is not None:
        expr += f" and row in {[int(r) for r in where.rows]}"
    return expr


def _sparse(ids: np.ndarray, weights: np.ndarray) -> dict[int, float]:
    return {int(i): float(w) for i, w in zip(ids.tolist(), weights.tolist(), strict=True) if w > 0} or _PAD


def _rows(payload: BuildPayload):
    """Every row of a build: clauses, then documents, then the documents' text chunks."""
    n_clauses, n_docs = len(payload.clauses), len(payload.documents)
    doc_row = {d.source: i for i, d in enumerate(payload.documents)}
    zeros = [0.0] * payload.vectors.shape[1]
    blank = {"words": _PAD, "doc_words": _PAD, "doc_pairs": _PAD, "text": "", "own": 0}
    words = KeywordIndex.build(payload.clause_tokens).row_weights()
    for r, (clause, (ids, weights)) in enumerate(zip(payload.clauses, words, strict=True)):
        d = doc_row[clause.source]
        dense = payload.vectors[r].tolist()
        yield {**blank, "id": r, "kind": KIND_CLAUSE, "row": r, "doc_row": d, "dense": dense,
               "words": _sparse(ids, weights)}  # fmt: skip
    doc_words = KeywordIndex.build(payload.doc_tokens).row_weights()
    doc_pairs = KeywordIndex.build(payload.doc_pairs).row_weights()
    for d, ((ids, weights), (pair_ids, pair_weights)) in enumerate(zip(doc_words, doc_pairs, strict=True)):
        yield {**blank, "id": n_clauses + d, "kind": KIND_DOCUMENT, "row": d, "doc_row": d, "dense": zeros,
               "doc_words": _sparse(ids, weights), "doc_pairs": _sparse(pair_ids, pair_weights)}  # fmt: skip
    next_id = n_clauses + n_docs
    for d, document in enumerate(payload.documents):
        text = normalise(document.text)
        for start in range(0, max(len(text), 1), CHUNK_CHARS):
            chunk = text[start : start + CHUNK_CHARS + CHUNK_OVERLAP]
            own = min(CHUNK_CHARS, len(text) - start)
            yield {**blank, "id": next_id, "kind": KIND_TEXT, "row": start, "doc_row": d, "dense": zeros,
                   "text": chunk, "own": own}  # fmt: skip
            next_id += 1


def _versions() -> dict:
    out = {}
    for package in ("pymilvus", "milvus-lite"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            continue
    return out
