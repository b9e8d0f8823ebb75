"""Reads of an index's records (its SQLite file): documents, clauses and citations, by column name.

Why one module: the search, the census, the citation links and the filters' lead units all read the
same tables; with their SQL in one place a column added to the schema (search/store.py writes it) is
read in one place too, and no caller unpacks a row by position.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator

import numpy as np

from .records import Cite, Clause, Document

UNIT_SEPARATOR = "\n"  # units stored one a line: a unit never holds a line break
SQL_BATCH = 100  # rows or spans read per SQL query (well inside SQLite's compound-select limit of 500)
DOCUMENT_COLUMNS = (
    "source", "title", "issuer", "region", "level", "year", "doc_number", "date", "text", "raw", "norm_text",
    "provenance", "doc_row", "effective_date",
)  # fmt: skip
TEXT_COLUMNS = ("text", "raw", "norm_text")  # the (large) ones a document's metadata goes without


class Catalogue:
    """The records of one open index. Rows come back as ``sqlite3.Row`` (named columns) on cursors of
    their own, so the connection's other users keep plain tuples."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        stored = {r[1] for r in db.execute("PRAGMA table_info(documents)")}
        # an index built before effective_date was stored lacks that column: it reads as ""
        missing = set(DOCUMENT_COLUMNS) - stored
        self._all = _select(missing)
        self._metadata = _select(missing | set(TEXT_COLUMNS))

    def _rows(self, sql: str, args=()) -> sqlite3.Cursor:
        cursor = self.db.cursor()
        cursor.row_factory = sqlite3.Row
        return cursor.execute(sql, args)

    # ---- documents --------------------------------------------------------------------------------
    def metadata_rows(self) -> list[sqlite3.Row]:
        """Every document's row, texts blanked, in doc_row order (what filters and citations read)."""
        return self._rows(f"SELECT {self._metadata} FROM documents ORDER BY doc_row").fetchall()

    def metadata(self, source: str) -> Document:
        """One indexed document's metadata (texts blanked)."""
        row = self._rows(f"SELECT {self._metadata} FROM documents WHERE source = ?", (source,)).fetchone()
        return document_from_row(row)

    def document(self, source: str) -> Document | None:
        """One document with its texts, or None when ``source`` is not indexed."""
        row = self._rows(f"SELECT {self._all} FROM documents WHERE source = ?", (source,)).fetchone()
        return None if row is None else document_from_row(row)

    def documents(self, where: str = "1", args=(), with_text: bool = True) -> list[Document]:
        """Documents matching a WHERE clause over the documents table (Filters.sql), by year then
        source; metadata only unless ``with_text``."""
        columns = self._all if with_text else self._metadata
        rows = self._rows(f"SELECT {columns} FROM documents WHERE {where} ORDER BY year, source", args)
        return [document_from_row(r) for r in rows]

    def documents_containing(self, needle: str, where: str = "1", args=()) -> list[Document]:
        """Documents whose normalised text holds ``needle`` and that match ``where``, by year (unknown
        last) then source: the census's exhaustive scan."""
        sql = f"SELECT {self._all} FROM documents WHERE instr(norm_text, ?) AND {where} "
        sql += "ORDER BY year IS NULL, year, source"
        return [document_from_row(r) for r in self._rows(sql, [needle, *args])]

    def slices(self, spans: list[tuple[str, int, int]]) -> list[str]:
        """Characters [start, end) of documents' texts for (source, start, end) spans, read by SQLite
        in one query per SQL_BATCH spans without loading whole documents."""
        out: list[str] = []
        for at in range(0, len(spans), SQL_BATCH):
            chunk = spans[at : at + SQL_BATCH]
            select = "SELECT ?, substr(text, ?, ?) FROM documents WHERE source = ?"
            args = [x for i, (src, a, b) in enumerate(chunk) for x in (i, a + 1, max(0, b - a), src)]
            found = dict(self.db.execute(" UNION ALL ".join([select] * len(chunk)), args))
            out += [found.get(i) or "" for i in range(len(chunk))]
        return out

    # ---- clauses ----------------------------------------------------------------------------------
    def layout(self) -> np.ndarray:
        """(doc_row, seq, start, end) of every clause row, in row (vec) order: int64, shape (n, 4)."""
        rows = self.db.execute(
            'SELECT d.doc_row, c.seq, c.start, c."end" FROM clauses c JOIN documents d USING(source) '
            "ORDER BY c.vec"
        ).fetchall()
        return np.array(rows, dtype=np.int64).reshape(-1, 4)

    def clauses_at(self, rows: list[int], batch: int = SQL_BATCH) -> Iterator[tuple[Clause, str]]:
        """(clause, normalised text) of each row in order, ``batch`` rows per SQL query: most queries
        need only the first k rows, and one query per row was a fifth of a search's library time."""
        for record in self._by_vec("*", rows, batch, sqlite3.Row):
            yield clause_from_row(record), record["norm_text"]

    def norm_texts_at(self, rows: list[int], batch: int = SQL_BATCH) -> Iterator[str]:
        """The normalised text of each row in order. Only that column is read: building Clause objects
        for the ~100 rows of a pool tripled the quoted-term bonus's time (0.42 → 1.15 ms at 10k)."""
        for _vec, norm in self._by_vec("vec, norm_text", rows, batch, None):
            yield norm

    def _by_vec(self, columns: str, rows: list[int], batch: int, factory) -> Iterator:
        for at in range(0, len(rows), batch):
            chunk = rows[at : at + batch]
            marks = ",".join("?" * len(chunk))
            cursor = self.db.cursor()
            cursor.row_factory = factory
            found = {
                r[0]: r
                for r in cursor.execute(f"SELECT {columns} FROM clauses WHERE vec IN ({marks})", chunk)
            }
            yield from (found[row] for row in chunk)

    def all_clauses(self) -> list[Clause]:
        """Every clause, in row order."""
        return [clause_from_row(r) for r in self._rows("SELECT * FROM clauses ORDER BY vec")]

    def clause_by_id(self, clause_id: str) -> Clause | None:
        row = self._rows("SELECT * FROM clauses WHERE clause_id = ?", (clause_id,)).fetchone()
        return clause_from_row(row) if row else None

    def clauses_of(self, source: str, where: str = "1", args=()) -> list[Clause]:
        """A document's clauses in order, those matching ``where`` (Filters.clause_sql) only."""
        sql = f"SELECT * FROM clauses WHERE source = ? AND {where} ORDER BY seq"
        return [clause_from_row(r) for r in self._rows(sql, (source, *args))]

    def clauses_containing(self, source: str, needle: str) -> list[Clause]:
        """A document's clauses whose normalised text holds ``needle``, in order."""
        sql = "SELECT * FROM clauses WHERE source = ? AND instr(norm_text, ?) ORDER BY seq"
        return [clause_from_row(r) for r in self._rows(sql, (source, needle))]

    def neighbours(self, clause: Clause, radius: int) -> list[Clause]:
        """Clauses within ``radius`` positions of ``clause`` in its document (itself excluded)."""
        sql = "SELECT * FROM clauses WHERE source = ? AND seq BETWEEN ? AND ? AND seq != ? ORDER BY seq"
        args = (clause.source, clause.seq - radius, clause.seq + radius, clause.seq)
        return [clause_from_row(r) for r in self._rows(sql, args)]

    def clause_counts(self) -> dict[str, int]:
        """Number of clauses per document source."""
        return dict(self.db.execute("SELECT source, count(*) FROM clauses GROUP BY source"))

    def articles(self) -> list[Clause]:
        """Clauses whose address ends in 条 (a law's articles), by source and position."""
        return [
            clause_from_row(r)
            for r in self._rows("SELECT * FROM clauses WHERE address LIKE '%条' ORDER BY source, seq")
        ]

    def lead_columns(self) -> tuple[np.ndarray, list[str]]:
        """(rows, normalised lead units) of the clauses that name a lead unit."""
        rows = self.db.execute(
            "SELECT vec, lead_norm FROM clauses WHERE lead_norm != '' ORDER BY vec"
        ).fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64), [r[1] for r in rows]

    def law_sources(self) -> set[str]:
        """The sources the kind rule reads as laws (filters.LAW_SOURCES_SQL: one rule for masks and SQL)."""
        from .filters import LAW_SOURCES_SQL

        return {source for (source,) in self.db.execute(LAW_SOURCES_SQL)}

    def lead_units(self) -> list[tuple[str, int]]:
        """Every lead unit of the index with the number of clauses it leads, commonest first (the app's
        choices for the lead filter)."""
        counts: Counter[str] = Counter()
        for (text,) in self.db.execute("SELECT lead_units FROM clauses WHERE lead_units != ''"):
            counts.update(units(text))
        return counts.most_common()

    # ---- citations --------------------------------------------------------------------------------
    def citing(self, source: str) -> list[tuple[Clause, Document, int]]:
        """(citing clause, its document (metadata), the citation's position in the clause's cites) for
        every citation of document ``source``, by the citing plan's year, source and position."""
        rows = self._rows(
            "SELECT x.ord, c.vec FROM citations x JOIN clauses c ON c.vec = x.vec "
            "JOIN documents d ON d.source = c.source WHERE x.target_source = ? "
            "ORDER BY d.year IS NULL, d.year, c.source, c.seq, x.ord",
            (source,),
        ).fetchall()
        clauses = [clause for clause, _ in self.clauses_at([r["vec"] for r in rows])]
        documents = {s: self.metadata(s) for s in {c.source for c in clauses}}
        return [(c, documents[c.source], r["ord"]) for c, r in zip(clauses, rows, strict=True)]


def _select(blank: set[str]) -> str:
    """The documents table's columns for a SELECT, those in ``blank`` read as ''."""
    return ", ".join(f"'' AS {c}" if c in blank else c for c in DOCUMENT_COLUMNS)


_DOCUMENT_FIELDS = (
    "source",
    "title",
    "text",
    "raw",
    "issuer",
    "region",
    "level",
    "year",
    "doc_number",
    "date",
)
_CLAUSE_FIELDS = ("clause_id", "source", "address", "text", "start", "end", "part", "seq")


def document_from_row(row: sqlite3.Row) -> Document:
    """A Document from its row of the documents table (read by name)."""
    return Document(
        **{name: row[name] for name in _DOCUMENT_FIELDS},
        effective_date=row["effective_date"] or "",
        provenance=json.loads(row["provenance"]),
    )


def clause_from_row(row: sqlite3.Row) -> Clause:
    """A Clause from its row of the clauses table (read by name)."""
    return Clause(
        **{name: row[name] for name in _CLAUSE_FIELDS},
        path=tuple(json.loads(row["path"])),
        lead_units=units(row["lead_units"]),
        responsible_units=units(row["responsible_units"]),
        deadline=row["deadline"] or "",
        cites=tuple(Cite(**x) for x in json.loads(row["cites"])) if row["cites"] else (),
    )


def units(text: str | None) -> tuple[str, ...]:
    """Units as stored (one a line) back to a tuple."""
    return tuple(text.split(UNIT_SEPARATOR)) if text else ()
