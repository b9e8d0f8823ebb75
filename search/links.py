"""Citations: 《中华人民共和国义务教育法》, 《义务教育法》, 《教师法》第二十五条 → the cited law and article.

A clause's citations are read from its text alone (:func:`read_cites`, what ``inspect`` of one file can
give: titles and articles). They are resolved against the documents of an index when it is built
(:func:`resolve`), because only then are all documents known, and stored with the clause, with a
``citations`` table for the reverse direction (:func:`cited_by`). Why at build time: every build writes
a whole generation from every document (only vectors are reused), so the links are recomputed each time,
never stale, and adding a law resolves the plans that cite it at the next build; a query then reads
stored links instead of matching titles, and 被引用 is one indexed lookup rather than a scan of all
clauses.

A title resolves when exactly one indexed document bears it, compared without a leading 中华人民共和国
and a trailing （2018年修正）; an ambiguous title links nowhere. An article resolves to the cited
document's first clause whose address ends with it (第二章第二十五条 ends with 第二十五条), or, where a
reader splits an article's items into clauses, to its first item's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .keyword import normalise
from .records import Cite, Clause, Document

LINKS_VERSION = "1"  # bump whenever the same clauses would cite or resolve differently

_NUMERAL = "零〇一二三四五六七八九十百千0-9"
_CITE_RE = re.compile(
    rf"《(?P<title>[^《》\n]{{2,80}})》(?P<tail>(?:第[{_NUMERAL}]+条(?:第[{_NUMERAL}]+[款项目])*"
    rf"(?:[、，,和及至]|以及)?)*)"
)
_ARTICLE_RE = re.compile(rf"第[{_NUMERAL}]+条")
_PREFIX = "中华人民共和国"
_EDITION_RE = re.compile(r"[(（]\d{4}年?[^()（）]{0,8}[)）]$")


def title_key(title: str) -> str:
    """A title as matched: normalised, spaces out, without 中华人民共和国 and a trailing edition note."""
    key = re.sub(r"\s+", "", normalise(title))
    key = _EDITION_RE.sub("", key)
    return key.removeprefix(_PREFIX)


def article_of(address: str) -> str:
    """The article an address is in: its last 第…条 (第二章第七条 → 第七条; an item 第七条（一） of a
    reader that splits items → 第七条), or ""."""
    found = _ARTICLE_RE.findall(address)
    return found[-1] if found else ""


def read_cites(text: str) -> tuple[Cite, ...]:
    """The 《…》 citations of ``text`` in order: one per cited article, or one for a title cited
    without an article; the same (title, article) once."""
    found: dict[tuple[str, str], Cite] = {}
    for match in _CITE_RE.finditer(text):
        title = match.group("title").strip()
        articles = _ARTICLE_RE.findall(match.group("tail")) or [""]
        for article in articles:
            found.setdefault((title, article), Cite(title, article))
    return tuple(found.values())


def with_cites(clauses: list[Clause]) -> list[Clause]:
    """Clauses with their citations read (unresolved)."""
    return [replace(c, cites=read_cites(c.text)) for c in clauses]


@dataclass
class Titles:
    """Indexed documents by title key, and each document's article clauses: what resolution needs."""

    sources: dict[str, list[str]]
    articles: dict[str, dict[str, tuple[str, str]]]  # source -> article -> (address, clause_id)

    @classmethod
    def of(cls, documents: list[tuple[Document, list[Clause]]]) -> Titles:
        sources: dict[str, list[str]] = {}
        articles: dict[str, dict[str, tuple[str, str]]] = {}
        for document, clauses in documents:
            if document.title:
                sources.setdefault(title_key(document.title), []).append(document.source)
            own = articles.setdefault(document.source, {})
            for clause in clauses:
                article = article_of(clause.address)
                if article:
                    own.setdefault(article, (clause.address, clause.clause_id))
        return cls(sources, articles)

    def resolve(self, cite: Cite, citing_source: str = "") -> Cite:
        """``cite`` with source (and address, clause_id when the article is found) filled, or as it was
        when the title is unknown, ambiguous or the citing document's own."""
        matches = self.sources.get(title_key(cite.title), [])
        if len(matches) != 1 or matches[0] == citing_source:
            return Cite(cite.title, cite.article)
        source = matches[0]
        address, clause_id = (
            self.articles.get(source, {}).get(cite.article, ("", "")) if cite.article else ("", "")
        )
        return Cite(cite.title, cite.article, source, address, clause_id)


def resolve(clauses: list[Clause], titles: Titles) -> list[Clause]:
    """Clauses with every citation resolved against ``titles``."""
    return [
        replace(c, cites=tuple(titles.resolve(x, c.source) for x in c.cites)) if c.cites else c
        for c in clauses
    ]


# ---- over an index ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Citing:
    """A clause citing a document: the clause, its document (metadata only) and the citation."""

    clause: Clause
    document: Document
    cite: Cite

    def to_json(self) -> dict:
        from .records import clause_json, document_json

        return {**document_json(self.document), **clause_json(self.clause), "cited": self.cite.to_json()}


def cited_by(searcher, source: str) -> list[Citing]:
    """Every indexed clause citing document ``source`` (被引用), by the citing plan's year, source and
    position; QueryError when ``source`` is not indexed."""
    searcher.document(source)  # refuses an unknown source with the usual message
    return [
        Citing(clause, document, clause.cites[at])
        for clause, document, at in searcher.catalogue.citing(source)
    ]


def titles_of(searcher) -> Titles:
    """The resolution table of an open index (for ``inspect FILE --index``)."""
    documents = searcher.documents(with_text=False)
    by_source: dict[str, list[Clause]] = {d.source: [] for d in documents}
    for clause in searcher.catalogue.articles():
        by_source.setdefault(clause.source, []).append(clause)
    return Titles.of([(d, by_source[d.source]) for d in documents])
