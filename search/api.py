"""The data API: plain functions over an open index, returning the JSON objects the CLI's ``--json`` prints.

One layer for every surface that is not the page: Python scripts call these directly, the app serves
them as its API endpoints (``gradio_client``) and MCP tools (search.app_api), and the results equal
``policy-search query|mentions|ask|similar --json`` because both use the records' own ``to_json``.

Filters are keyword arguments that every function accepts and hands to :func:`parse_filters`, the one
place that knows them (``FILTERS``): a new filter is one entry there and one in ``Filters.parse``.
Errors a caller can fix raise :class:`search.errors.UserError` (``QueryError``) with the CLI's one-line
message, e.g. ``bad level '全部': use one of 国家 省 市 县 区``.
"""

from __future__ import annotations

from .answer import ask as answer_question
from .census import census as count_mentions
from .records import citation, clause_json, document_json
from .retrieve import Filters, QueryError, Searcher
from .wording import similar as find_similar

# name -> what it restricts (English and Chinese); every function accepts these as keyword arguments
FILTERS = {
    "year": "年份或范围 year or range: 2021, 2020-2023, 2020-, -2023 (空 = 不限 empty = any)",
    "issuer": "发文机关、地区或标题中的文字 text in the issuer, region or title, e.g. 襄阳 (空 = 不限)",
    "level": "级别 administrative level: 国家 省 市 县 区 (空 = 全部 empty = all)",
    "source": "文件来源路径或编号中的文字 text in the document's source path or id (空 = 全部)",
    "lead": "牵头单位中的文字 text in a task's lead unit (牵头单位), e.g. 市财政局 (空 = 不限)",
    "kind": "文件类型 document kind: plan (规划、计划) or law (法律法规, 按条) (空 = 全部 empty = both)",
}
MAX_K = 100  # a network caller cannot ask for the whole index in one request
MAX_CONTEXT = 5


def parse_filters(**filters: str | None) -> Filters:
    """Filters from the keyword arguments named in ``FILTERS`` (None or "" means no restriction)."""
    unknown = sorted(set(filters) - set(FILTERS))
    if unknown:
        raise QueryError(f"unknown filter {', '.join(unknown)}: use {', '.join(FILTERS)}")
    return Filters.parse(**{name: "" if value is None else str(value) for name, value in filters.items()})


def whole(value: int, name: str, low: int, high: int) -> int:
    """``value`` as an int within low..high, or the one-line reason it is not (a network caller may send
    anything: a string, 2.5, a huge number)."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer()
    if not ok or not low <= value <= high:
        raise QueryError(f"{name} must be a whole number from {low} to {high}, not {value!r}")
    return int(value)


def words(value: str | None, name: str) -> str:
    """``value`` if it is text (None counts as empty, which the library refuses with its own message)."""
    if value is not None and not isinstance(value, str):
        raise QueryError(f"{name} must be text, not {value!r}")
    return value or ""


def search(
    searcher: Searcher, query: str, k: int = 10, context: int = 0, **filters: str | None
) -> list[dict]:
    """The ``k`` best clauses for ``query``, best first: ``policy-search query --json``."""
    context = whole(context, "context", 0, MAX_CONTEXT)
    hits = searcher.search(
        words(query, "query"), k=whole(k, "k", 1, MAX_K), filters=parse_filters(**filters), context=context
    )
    return [hit.to_json() for hit in hits]


def census(searcher: Searcher, term: str, **filters: str | None) -> list[dict]:
    """Every plan whose text contains ``term``, by year, with counts and clauses: ``mentions --json``."""
    return [
        m.to_json() for m in count_mentions(searcher, words(term, "term"), parse_filters(**filters)).mentions
    ]


def ask(searcher: Searcher, question: str, k: int = 6, **filters: str | None) -> dict:
    """An answer to ``question`` in sentences cited to clauses: ``policy-search ask --json``."""
    return answer_question(
        searcher, words(question, "question"), k=whole(k, "k", 1, MAX_K), filters=parse_filters(**filters)
    ).to_json()


def similar(searcher: Searcher, text: str, k: int = 20, **filters: str | None) -> list[dict]:
    """Clauses worded like ``text``, grouped by plan, oldest plan first: ``similar --json``."""
    groups = find_similar(
        searcher, words(text, "text"), k=whole(k, "k", 1, MAX_K), filters=parse_filters(**filters)
    )
    return [group.to_json() for group in groups]


def document(searcher: Searcher, source: str) -> dict:
    """One indexed plan by its exact ``source``: metadata and every clause with its citation."""
    doc = searcher.document(words(source, "source").strip())
    return {
        **document_json(doc),
        "doc_number": doc.doc_number,
        "date": doc.date,
        "provenance": doc.provenance,
        "clauses": [
            {**clause_json(c), "citation": citation(doc, c)} for c in searcher.clauses_of(doc.source)
        ],
    }


def documents(searcher: Searcher, **filters: str | None) -> list[dict]:
    """The indexed plans passing the filters, by year then source (metadata only, no text)."""
    counts = searcher.clause_counts()
    return [
        {**document_json(d), "doc_number": d.doc_number, "date": d.date, "clauses": counts.get(d.source, 0)}
        for d in searcher.documents(parse_filters(**filters), with_text=False)
    ]
