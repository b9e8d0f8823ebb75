"""The data API (search.api) and its app endpoints (search.app_api) over the seeds, with the fake encoder:
the CLI's JSON objects, filters in one place, one-line errors, and schemas and descriptions Gradio reads."""

from __future__ import annotations

import inspect
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from fakes import HIT_CONTRACT, HashEncoder

from search import api, app_api
from search.build import build_index
from search.errors import UserError
from search.retrieve import Filters, QueryError, Searcher

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
DOC = Path(__file__).resolve().parents[2] / "docs" / "python-api.md"


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    index = tmp_path_factory.mktemp("api") / "index"
    build_index(CORPUS, index, HashEncoder())
    return index


@pytest.fixture(scope="module")
def searcher(index) -> Searcher:
    return Searcher.open(index, encoder=HashEncoder())


class FakeEngine:
    """What app.Engine offers the endpoints: ``use()`` yields the searcher."""

    def __init__(self, searcher) -> None:
        self.searcher = searcher
        self.calls = 0

    @contextmanager
    def use(self):
        self.calls += 1
        yield self.searcher


def test_search_returns_the_hits_json_of_the_library_with_filters(searcher):
    hits = api.search(searcher, "学前教育", k=4, context=1, year="2020-2023", level="县")
    expected = searcher.search("学前教育", k=4, filters=Filters.parse("2020-2023", "", "县"), context=1)

    assert hits == [h.to_json() for h in expected]
    assert hits and all(set(h) >= HIT_CONTRACT and h["level"] == "县" for h in hits)
    assert all(2020 <= h["year"] <= 2023 for h in hits)


def test_census_clauses_carry_their_citation(searcher):
    plans = api.census(searcher, "双减")

    assert plans
    for plan in plans:
        assert plan["count"] >= len(plan["clauses"]) > 0
        for clause in plan["clauses"]:
            assert clause["citation"].startswith(f"{plan['title']} · ")
            assert clause["citation"].endswith(clause["address"])


def test_document_lists_every_clause_with_its_citation_and_documents_lists_the_sources(searcher):
    listed = api.documents(searcher)
    sources = [d["source"] for d in listed]
    assert sorted(sources) == sorted(d.source for d in searcher.documents(with_text=False))
    assert api.documents(searcher, level="县") == [d for d in listed if d["level"] == "县"]

    plan = api.document(searcher, sources[0])
    clauses = searcher.clauses_of(sources[0])
    assert [c["clause_id"] for c in plan["clauses"]] == [c.clause_id for c in clauses]
    assert listed[0]["clauses"] == len(clauses)
    assert all(c["citation"].startswith(plan["title"]) for c in plan["clauses"])


def test_ask_and_similar_return_their_json(searcher):
    answer = api.ask(searcher, "学前教育毛入园率达到多少", k=3)
    assert set(answer) >= {"question", "answer", "citations", "sentences"}
    assert all("citation" in c for c in answer["citations"])
    groups = api.similar(searcher, "推动义务教育优质均衡发展", k=5)
    assert sum(len(g["clauses"]) for g in groups) == 5


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: api.search(s, "学前", level="全部"), "bad level '全部': use one of 国家 省 市 县 区"),
        (
            lambda s: api.census(s, "学前", year="20x"),
            "bad year filter '20x': use 2021, 2020-2023, 2020- or -2023",
        ),
        (lambda s: api.search(s, "学前", k=0), "k must be a whole number from 1 to 100, not 0"),
        (lambda s: api.search(s, "学前", k="5"), "k must be a whole number from 1 to 100, not '5'"),
        (lambda s: api.similar(s, "学前", k=10**9), "k must be a whole number from 1 to 100"),
        (lambda s: api.search(s, "学前", context=2.5), "context must be a whole number from 0 to 5"),
        (lambda s: api.search(s, 42), "query must be text, not 42"),
        (lambda s: api.search(s, "  "), "empty query"),
        (lambda s: api.search(s, "学前", region="甘肃"), "unknown filter region: use year, issuer, level"),
        (lambda s: api.document(s, "nope.txt"), "no document 'nope.txt' in the index"),
    ],
)
def test_bad_input_raises_the_one_line_user_error(searcher, call, message):
    with pytest.raises(QueryError) as caught:
        call(searcher)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_a_bad_filter_gives_the_same_message_as_the_cli(searcher):
    for year, level in (("20x", ""), ("", "全部"), ("2023-2020", "")):
        with pytest.raises(QueryError) as cli:
            Filters.parse(year, "", level, "")  # what cli._filters calls
        with pytest.raises(QueryError) as through_api:
            api.search(searcher, "学前", year=year, level=level)
        assert str(through_api.value) == str(cli.value)


def test_an_endpoint_has_the_functions_parameters_plus_the_filters_and_runs_on_the_engine(searcher):
    engine = FakeEngine(searcher)
    search = app_api.endpoint(api.search, engine)
    document = app_api.endpoint(api.document, engine)

    params = inspect.signature(search).parameters
    assert list(params) == ["query", "k", "context", *api.FILTERS]
    assert params["k"].default == 10 and params["k"].annotation is int
    assert params["level"].default == "" and params["level"].annotation is str
    assert list(inspect.signature(document).parameters) == ["source"]
    assert search.__name__ == "search"  # the MCP tool's name

    positional = search("学前教育", 3, 0, "", "", "县")
    assert positional == api.search(searcher, "学前教育", k=3, level="县")
    assert search(query="学前教育", k=3, level="县") == positional
    assert engine.calls == 2


def test_an_endpoint_turns_a_user_error_into_a_gradio_error_with_the_same_message(searcher):
    import gradio as gr

    search = app_api.endpoint(api.search, FakeEngine(searcher))
    with pytest.raises(gr.Error) as caught:
        search("学前", level="全部")
    assert caught.value.message == "bad level '全部': use one of 国家 省 市 县 区"

    class Unavailable(FakeEngine):
        @contextmanager
        def use(self):
            raise UserError("索引不可用 index unavailable: no index")
            yield

    with pytest.raises(gr.Error) as caught:
        app_api.endpoint(api.census, Unavailable(searcher))("双减")
    assert caught.value.message == "索引不可用 index unavailable: no index"


def test_gradio_reads_a_bilingual_description_and_every_parameter_from_the_docstring(searcher):
    from gradio.utils import get_function_description, get_function_params, get_return_types

    for fn in app_api.ENDPOINTS:
        call = app_api.endpoint(fn, FakeEngine(searcher))
        description, params, returns = get_function_description(call)
        assert re.search(r"[\u4e00-\u9fff]", description) and re.search(r"[A-Za-z]{4}", description)
        assert params and all(params.values()), (fn.__name__, params)
        assert returns, fn.__name__
        if fn is not api.documents:
            assert "cite as 《title》 · issuer · year · address" in " ".join(returns), fn.__name__
        assert all(hint is not None for *_, hint in get_function_params(call))
        assert get_return_types(call) in ([list[dict]], [dict])


def test_register_lists_only_the_data_endpoints(searcher):
    import gradio as gr

    with gr.Blocks() as demo:
        box = gr.Textbox()
        gr.Button().click(lambda text: text, box, box)  # a page handler: public by default
    app_api.register(demo, FakeEngine(searcher))

    info = demo.get_api_info()
    assert sorted(info["named_endpoints"]) == sorted(f"/{fn.__name__}" for fn in app_api.ENDPOINTS)
    assert not info["unnamed_endpoints"]
    params = [p["parameter_name"] for p in info["named_endpoints"]["/census"]["parameters"]]
    assert params == ["term", *api.FILTERS]


def test_app_mcp_flag_defaults_on():
    import app

    assert app.main.make_context("app.py", []).params["mcp"] is True
    assert app.main.make_context("app.py", ["--no-mcp"]).params["mcp"] is False


def python_example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1, "docs/python-api.md has one runnable example"
    return blocks[0]


def test_the_documented_example_runs(index, monkeypatch, tmp_path, capsys):
    import search

    (tmp_path / "index").symlink_to(index, target_is_directory=True)
    monkeypatch.chdir(tmp_path)  # the example opens "index" from where it runs
    opened = []

    def open_index(index_dir, model=None):  # the fake encoder instead of the model
        opened.append(Path(index_dir))
        return Searcher.open(Path(index_dir), encoder=HashEncoder())

    monkeypatch.setattr(search, "open_index", open_index)
    exec(compile(python_example(), str(DOC), "exec"), {})

    assert opened == [Path("index")]
    out = capsys.readouterr().out
    assert "bad level '全部': use one of 国家 省 市 县 区" in out
    assert "高台县2023年教育工作要点" in out  # a census of 双减 lists the plans that say it


def test_the_lead_filter_reaches_the_library_like_the_cli_option():
    assert api.parse_filters(lead="市财政局") == Filters.parse(lead="市财政局")
