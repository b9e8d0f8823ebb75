"""One set of filter rules for every retrieval leg and for SQL.

A filter restricts documents (year, issuer, level, source, kind) and clauses (lead unit). The same rules give
boolean masks over the index's rows, which every leg of a search applies before ranking
(:func:`masks`), and WHERE clauses over the documents and clauses tables for the census and the
catalogue (:meth:`Filters.sql`, :meth:`Filters.clause_sql`), so a filtered search, a filtered census and
a filtered document list always agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .errors import UserError
from .keyword import normalise

LEVELS = ("国家", "省", "市", "县", "区")
KINDS = ("plan", "law")
# The kind rule: a law (law, regulation, 规章: whatever the law reader read as articles) is a document
# most of whose clauses are articles (address …第X条); any other document is a plan. One SQL query
# gives the laws' sources, for the WHERE clauses and for the masks alike (law_documents).
LAW_SOURCES_SQL = (
    "SELECT source FROM clauses GROUP BY source HAVING 2 * sum(address GLOB '*第*条') > count(*)"
)


class QueryError(UserError, ValueError):
    """A query or filter the user must change; the message says how."""


@dataclass(frozen=True)
class Filters:
    """Restrictions applied inside retrieval."""

    year_from: int | None = None
    year_to: int | None = None
    issuer: str = ""  # substring of issuer, region or title
    level: str = ""  # 国家 / 省 / 市 / 县 / 区
    source: str = ""  # substring of the source path or id
    lead: str = ""  # substring of one of a clause's lead units (牵头单位), width-insensitive
    kind: str = ""  # plan or law (see LAW_SOURCES_SQL); "" for both

    @classmethod
    def parse(
        cls,
        year: str | None = None,
        issuer: str = "",
        level: str = "",
        source: str = "",
        lead: str = "",
        kind: str = "",
    ) -> Filters:
        """Filters from user text: ``year`` is 2021, 2020-2023, 2020- or -2023; ``kind`` plan or law."""
        year_from = year_to = None
        if year and year.strip():
            match = re.fullmatch(r"\s*(\d{4})?\s*(-|–|~|至)?\s*(\d{4})?\s*", year)
            if not match or not (match.group(1) or match.group(3)):
                raise QueryError(f"bad year filter '{year}': use 2021, 2020-2023, 2020- or -2023")
            year_from = int(match.group(1)) if match.group(1) else None
            year_to = int(match.group(3)) if match.group(3) else (year_from if not match.group(2) else None)
            if year_from and year_to and year_from > year_to:
                raise QueryError(f"bad year filter '{year}': the first year is after the second")
        if level and level not in LEVELS:
            raise QueryError(f"bad level '{level}': use one of {' '.join(LEVELS)}")
        kind = (kind or "").strip().lower()
        if kind and kind not in KINDS:
            raise QueryError(f"bad kind '{kind}': use plan or law (or leave it empty for both)")
        return cls(
            year_from,
            year_to,
            (issuer or "").strip(),
            level or "",
            (source or "").strip(),
            (lead or "").strip(),
            kind,
        )

    @property
    def active(self) -> bool:
        return any((self.year_from, self.year_to, self.issuer, self.level, self.source, self.lead, self.kind))

    @property
    def lead_key(self) -> str:
        """The lead filter as matched against store.lead_key (normalised)."""
        return normalise(self.lead)

    def sql(self) -> tuple[str, list]:
        """WHERE clause over the documents table (with a lead filter: documents having such a clause)."""
        parts, args = [], []
        if self.year_from is not None:
            parts.append("year >= ?")
            args.append(self.year_from)
        if self.year_to is not None:
            parts.append("year <= ?")
            args.append(self.year_to)
        if self.issuer:
            parts.append("(instr(issuer, ?) OR instr(region, ?) OR instr(title, ?))")
            args += [self.issuer] * 3
        if self.level:
            parts.append("level = ?")
            args.append(self.level)
        if self.source:
            parts.append("instr(source, ?)")
            args.append(self.source)
        if self.kind:
            parts.append(f"source {'IN' if self.kind == 'law' else 'NOT IN'} ({LAW_SOURCES_SQL})")
        if self.lead:
            where, more = self.clause_sql()
            parts.append(f"source IN (SELECT source FROM clauses WHERE {where})")
            args += more
        return " AND ".join(parts) or "1", args

    def clause_sql(self) -> tuple[str, list]:
        """WHERE clause over the clauses table for the clause-level filters (the lead unit)."""
        if not self.lead:
            return "1", []
        return "instr(lead_norm, ?) > 0", [self.lead_key]


@dataclass
class FilterColumns:
    """What masks are made from: per document its year, level, names and source, per clause row its
    document row and normalised lead units (store.lead_key; "" for most clauses)."""

    doc_year: np.ndarray
    doc_level: np.ndarray
    doc_names: list[str]  # issuer \0 region \0 title
    doc_source: list[str]
    clause_doc: np.ndarray
    lead_rows: np.ndarray  # rows with lead units
    lead_text: list[str]  # their store.lead_key, in lead_rows order
    doc_law: np.ndarray | None = None  # per document: a law (law_documents); None: no laws


def masks(filters: Filters, columns: FilterColumns) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Boolean masks over clause rows and document rows, or None when nothing is filtered."""
    if not filters.active:
        return None, None
    n_docs = len(columns.doc_source)
    doc_mask = np.ones(n_docs, dtype=bool)
    if filters.year_from is not None or filters.year_to is not None:
        doc_mask &= columns.doc_year > 0  # a plan of unknown year passes no year filter
    if filters.year_from is not None:
        doc_mask &= columns.doc_year >= filters.year_from
    if filters.year_to is not None:
        doc_mask &= columns.doc_year <= filters.year_to
    if filters.level:
        doc_mask &= columns.doc_level == filters.level
    if filters.issuer:
        doc_mask &= np.fromiter((filters.issuer in t for t in columns.doc_names), bool, n_docs)
    if filters.source:
        doc_mask &= np.fromiter((filters.source in t for t in columns.doc_source), bool, n_docs)
    if filters.kind:
        laws = columns.doc_law if columns.doc_law is not None else np.zeros(n_docs, dtype=bool)
        doc_mask &= laws if filters.kind == "law" else ~laws
    clause_mask = doc_mask[columns.clause_doc]
    if filters.lead:
        key = filters.lead_key
        leads = np.zeros(len(clause_mask), dtype=bool)
        found = np.fromiter((key in text for text in columns.lead_text), bool, len(columns.lead_text))
        leads[columns.lead_rows[found]] = True
        clause_mask &= leads
        doc_mask &= np.isin(np.arange(n_docs), columns.clause_doc[clause_mask])
    return clause_mask, doc_mask


def law_documents(law_sources: set[str], doc_source: list[str]) -> np.ndarray:
    """Per document (in ``doc_source`` order), whether it is a law by the kind rule (LAW_SOURCES_SQL,
    read by ``Catalogue.law_sources``)."""
    return np.fromiter((source in law_sources for source in doc_source), bool, len(doc_source))
