"""The app's data API and MCP tools: search.api's functions served beside the page.

Each endpoint is one search.api function with the app's open index supplied, its filters spelled out
as parameters (from search.api.FILTERS) and a docstring in Chinese and English that Gradio shows in the
API page and hands to MCP clients as the tool's description. ``register`` also moves the page's own
handlers out of the API listing (callable still, by the page and by bench/load_app.py, but not listed),
so ``view_api()`` and the MCP tool list show only these data endpoints.

Errors: a search.errors.UserError becomes ``gr.Error(message)``, so ``gradio_client`` raises
``AppError`` with the CLI's one-line message and an MCP client gets a tool result marked as an error
with that message; anything unexpected is reported without a traceback (the app runs with
show_error=False).
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable

from . import api

ENDPOINTS = (api.search, api.census, api.ask, api.similar, api.document, api.documents)

CITE = (
    "引用格式 cite as 《title》 · issuer · year · address, e.g. "
    "《襄阳市2017年教育工作要点》 · 襄阳市教育局 · 2017 · 三（二）6 "
    "(the citation field gives title · issuer · year · address)"
)

# What each endpoint is for and returns; the first line is the tool's description in MCP clients.
DESCRIPTIONS = {
    "search": (
        "语义+关键词检索政策文件条款，返回最相关的条款（按相关度排序）。Search the clauses of the indexed "
        "Chinese policy documents (education work plans) by meaning and keywords, best first.",
        "list of hits, each {source, title, issuer, region, level, year, address, path, text, score, "
        f"citation, passage, …}}. {CITE}",
    ),
    "census": (
        "统计某个词出现在哪些文件中（穷尽式全文匹配，不是排序结果），按年份排列。Every document whose text "
        "contains the term (exhaustive substring match, not a ranked top-k), oldest first.",
        "list of documents {source, title, issuer, region, level, year, count, clauses: [{address, path, "
        f"text, citation}}]}}; count = mentions in the document. {CITE}",
    ),
    "ask": (
        "用检索到的条款回答问题，每句注明出处。Answer a question from the retrieved clauses, each sentence "
        "cited to its clause.",
        "{question, answer, mode, note, sentences: [{text, citation: n}], citations: [{n, citation, text, "
        f"…}}]}}; sentence citation n refers to citations[n-1]. An empty answer means no clause "
        f"supports one. {CITE}",
    ),
    "similar": (
        "查找措辞相似的先例条款（按文件分组，最早的文件在前），用于起草时参考各地各年写法。Clauses across "
        "documents worded like a draft sentence, grouped by document, oldest document first.",
        "list of documents {source, title, issuer, year, clauses: [hit + shared (spans of text shared with "
        f"the draft), shared_chars]}}. {CITE}",
    ),
    "document": (
        "按来源（source）取一份文件的元数据和全部条款（条款树）。One indexed document by its exact source "
        "(as given in every result's source field or by documents): metadata and every clause.",
        f"{{source, title, issuer, region, level, year, doc_number, date, provenance, clauses: [{{address, "
        f"path, text, clause_id, citation}}]}}. {CITE}",
    ),
    "documents": (
        "列出已编入索引的文件（可按筛选条件），用于了解语料范围或取得 source。The indexed documents passing "
        "the filters, by year: what the corpus covers and each document's source.",
        "list of {source, title, issuer, region, level, year, doc_number, date, clauses (their number)}.",
    ),
}
PARAMETERS = {
    "query": "检索词或句子 words or a sentence to search for; “引号”中的词必须原文出现 quoted words must "
    "occur",
    "term": "要统计的词语 the word or phrase to count, e.g. 双减",
    "question": "问题 the question, e.g. 襄阳市2017年计划新建多少所幼儿园？",
    "text": "草稿句子 the draft sentence to find precedents for",
    "source": "文件来源 the document's exact source (the source field of any result, or from documents)",
    "k": f"返回条款数 number of clauses to return, 1-{api.MAX_K}",
    "context": f"每条结果前后附带的相邻条款数 neighbouring clauses on each side, 0-{api.MAX_CONTEXT}",
    **api.FILTERS,
}


def endpoint(fn: Callable, engine) -> Callable:
    """``fn`` (a search.api function taking the searcher first) as a typed function of its other
    parameters that runs on ``engine``'s searcher; Gradio derives the endpoint's schema from it."""
    hints = typing.get_type_hints(fn)
    own = list(inspect.signature(fn).parameters.values())[1:]
    params = [p.replace(annotation=hints[p.name]) for p in own if p.kind is not p.VAR_KEYWORD]
    if len(params) < len(own):  # it takes the filters
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        params += [inspect.Parameter(name, kind, default="", annotation=str) for name in api.FILTERS]
    signature = inspect.Signature(params, return_annotation=hints["return"])

    def call(*args, **kwargs):
        import gradio as gr

        from .errors import UserError

        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        try:
            with engine.use() as searcher:
                return fn(searcher, **bound.arguments)
        except UserError as err:
            raise gr.Error(str(err), print_exception=False) from None

    call.__name__ = call.__qualname__ = fn.__name__  # the MCP tool's name
    call.__module__ = __name__
    call.__signature__ = signature
    call.__annotations__ = {p.name: p.annotation for p in params} | {"return": signature.return_annotation}
    call.__doc__ = docstring(fn.__name__, [p.name for p in params])
    return call


def docstring(name: str, params: list[str]) -> str:
    """The description Gradio parses: summary, ``Args:`` one line each, ``Returns:``."""
    summary, returns = DESCRIPTIONS[name]
    args = "\n".join(f"    {p}: {PARAMETERS[p]}" for p in params)
    return f"{summary}\n\nArgs:\n{args}\n\nReturns:\n    {returns}\n"


def register(demo, engine) -> None:
    """Add the data endpoints to ``demo`` (built, not launched) and take its page handlers out of the
    API listing and the MCP tools."""
    import gradio as gr

    for block_fn in demo.fns.values():
        if block_fn.api_visibility == "public":
            block_fn.api_visibility = "undocumented"
    with demo:
        for fn in ENDPOINTS:
            gr.api(endpoint(fn, engine), api_name=fn.__name__)
