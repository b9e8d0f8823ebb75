"""Typed records passed between pipeline stages (load → clean → metadata → chunk → index → retrieve).

Each stage takes and returns these plain dataclasses, so any stage can be tested with hand-made
records and none needs to know how the one before it works.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RawDoc:
    """A file (or JSONL record) as loaded: decoded text plus whatever metadata the container gave."""

    source: str  # path relative to the corpus root, or the JSONL id/docid
    text: str
    fmt: str  # txt, md, docx, pdf, html, jsonl
    given: dict[str, str] = field(default_factory=dict)  # metadata supplied by the container (JSONL fields)


@dataclass(frozen=True)
class LoadProblem:
    """A file that could not be loaded, with a one-line reason a user can act on."""

    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass(frozen=True)
class Document:
    """A cleaned plan with its metadata; ``provenance`` says per field whether it was read or given."""

    source: str
    title: str
    text: str  # cleaned text, the basis of clauses and the census
    raw: str  # text as loaded, kept for display
    issuer: str = ""
    region: str = ""
    level: str = ""  # 国家 / 省 / 市 / 县 / 区 or ""
    year: int | None = None
    doc_number: str = ""  # 文号, e.g. 高教发〔2023〕1号
    date: str = ""  # ISO date, e.g. 2023-03-24 (a law's: its latest version's)
    effective_date: str = ""  # ISO date a law or regulation takes effect (自…起施行)
    provenance: dict[str, str] = field(default_factory=dict)  # field -> "read" | "given"


@dataclass(frozen=True)
class Cite:
    """A 《title》 (and article) a clause cites; source, address and clause_id name the cited document
    and article in an index, "" where none resolves (read from one file alone, or not indexed)."""

    title: str  # as cited, e.g. 教师法
    article: str = ""  # as cited, e.g. 第二十五条
    source: str = ""
    address: str = ""
    clause_id: str = ""

    def to_json(self) -> dict:
        return {"title": self.title, "article": self.article, "source": self.source,
                "address": self.address, "clause_id": self.clause_id}  # fmt: skip


@dataclass(frozen=True)
class Clause:
    """One numbered item (or one part of a long item) with its heading path and citation address."""

    clause_id: str
    source: str
    address: str  # e.g. 三（二）6, empty for unnumbered text
    path: tuple[str, ...]  # heading texts, outermost first, ending with the item's own heading
    text: str  # the item's text, its own number included
    start: int  # offsets into Document.text
    end: int
    part: int = 0  # 0 for a whole item; 1, 2, … for the parts of a split item
    seq: int = 0  # position of the clause within its document
    lead_units: tuple[str, ...] = ()  # 牵头单位, as written (search.tasks)
    responsible_units: tuple[str, ...] = ()  # 责任单位 / 配合单位 / 参与单位
    deadline: str = ""  # 完成时限 / 时间节点 / 完成时间, as written
    cites: tuple[Cite, ...] = ()  # 《…》 citations (search.links)


@dataclass
class Hit:
    """A retrieved clause with its document, fused score, per-leg scores and marked query terms.

    From a Searcher, ``document`` holds metadata only (its text fields are empty): the clause's
    surroundings travel as ``passage_text``, and Searcher.document(source) gives the whole text.
    """

    clause: Clause
    document: Document
    score: float
    legs: dict[str, float] = field(default_factory=dict)  # dense, keyword, document
    highlights: list[tuple[int, int]] = field(default_factory=list)  # offsets into clause.text
    context: list[Clause] = field(default_factory=list)  # neighbouring clauses, on request
    passage: tuple[int, int] = (0, 0)  # offsets into the document's text: the clause and its neighbours
    passage_text: str = ""  # that span's text ("" means the clause alone)
    plan_more: int = 0  # further candidate clauses of this hit's plan not among the hits

    def __post_init__(self) -> None:
        # the Searcher hands over metadata-only documents and the passage text itself, read apart (a hit
        # need not carry its whole document); a caller giving a full document gets the slice here
        if not self.passage_text:
            start, end = self.passage
            self.passage_text = self.document.text[start:end] if end > start else self.clause.text

    @property
    def citation(self) -> str:
        """Title · issuer · year · address: how every answer names its source."""
        return citation(self.document, self.clause)

    def to_json(self) -> dict:
        return {
            **document_json(self.document),
            **clause_json(self.clause),
            "score": round(float(self.score), 6),
            "legs": {k: round(float(v), 6) for k, v in self.legs.items()},
            "citation": self.citation,
            "highlights": [list(h) for h in self.highlights],
            "context": [
                {"address": x.address, "text": x.text, "clause_id": x.clause_id} for x in self.context
            ],
            "passage": self.passage_text,
            "passage_clause_offset": max(0, self.clause.start - self.passage[0]) if self.passage[1] else 0,
            "plan_more": self.plan_more,
        }


def document_json(document: Document) -> dict:
    """The document fields every JSON result carries."""
    d = document
    return {"source": d.source, "title": d.title, "issuer": d.issuer, "region": d.region, "level": d.level,
            "year": d.year}  # fmt: skip


def clause_json(clause: Clause) -> dict:
    """The clause fields every JSON result carries."""
    c = clause
    return {
        "address": c.address,
        "part": c.part,
        "path": list(c.path),
        "text": c.text,
        "clause_id": c.clause_id,
        "lead_units": list(c.lead_units),
        "responsible_units": list(c.responsible_units),
        "deadline": c.deadline,
        "cites": [x.to_json() for x in c.cites],
    }


def citation(document: Document, clause: Clause) -> str:
    """Human citation string; unknown fields are left out rather than shown empty."""
    address = clause.address + (f" 之{clause.part}" if clause.part else "")
    year = str(document.year) if document.year else ""
    return " · ".join(x for x in (document.title, document.issuer, year, address) if x)
