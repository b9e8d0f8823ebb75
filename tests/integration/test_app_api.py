"""The app's data API and MCP tools against a real app on the shipped corpus: JSON equal to the CLI's,
only the data endpoints listed, cited results through the official MCP client, one-line errors, and
the documented Python example on the real index."""

from __future__ import annotations

import ast
import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from benchmod import bench_module

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
DATA_ENDPOINTS = {"/search", "/census", "/ask", "/similar", "/document", "/documents"}
TOP_CITATION = "襄阳市2017年教育工作要点 · 襄阳市教育局 · 2017 · 三（二）6"


@pytest.fixture(scope="module")
def app(seed_index, tmp_path_factory):
    """(url, app log) of app.py over the seed index, MCP on (the default)."""
    load_app = bench_module("load_app.py")
    work = tmp_path_factory.mktemp("app_api")
    with load_app.running_app(seed_index, work) as (url, _pid, _startup):
        yield url, work / "app.log"


@pytest.fixture(scope="module")
def client(app):
    from gradio_client import Client

    client = Client(app[0], verbose=False, download_files=False)
    yield client
    client.close()


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "search.cli", *args], cwd=REPO, capture_output=True, text=True, timeout=300
    )


def cli_json(*args: str):
    done = cli(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_view_api_lists_only_the_data_endpoints(client):
    info = client.view_api(print_info=False, return_format="dict")

    assert set(info["named_endpoints"]) == DATA_ENDPOINTS
    assert not info["unnamed_endpoints"]
    search = info["named_endpoints"]["/search"]
    params = {p["parameter_name"]: p["parameter_default"] for p in search["parameters"]}
    assert params == {"query": None, "k": 10, "context": 0, "year": "", "issuer": "", "level": "",
                      "source": "", "lead": "", "kind": ""}  # fmt: skip
    assert "检索" in search["description"] and "Search" in search["description"]


def test_search_hits_equal_the_cli_json_for_the_same_query_and_filters(client, seed_index):
    query, filters = "学前教育 幼儿园", {"year": "2017-2023", "issuer": "襄阳", "level": "市"}
    hits = client.predict(query, k=5, context=1, **filters, api_name="/search")
    options = [f"--{name}={value}" for name, value in filters.items()]
    expected = cli_json("query", query, "-k", "5", "--context", "1", *options, "--index", str(seed_index))

    assert len(hits) == 5 and all(h["level"] == "市" for h in hits)
    assert hits == expected


def test_census_equals_the_cli_json_and_cites_each_clause(client, seed_index):
    plans = client.predict("双减", year="2020-", api_name="/census")

    assert plans == cli_json("mentions", "双减", "--year", "2020-", "--index", str(seed_index))
    assert plans and all(c["citation"].endswith(c["address"]) for p in plans for c in p["clauses"])


def test_ask_similar_document_and_documents_return_json(client):
    answer = client.predict("襄阳市2017年计划新建、改扩建多少所幼儿园？", api_name="/ask")
    assert "35所" in answer["answer"]
    cited = {c["n"]: c["citation"] for c in answer["citations"]}
    assert all(s["citation"] in cited for s in answer["sentences"])

    groups = client.predict("推动义务教育优质均衡发展", 8, api_name="/similar")
    assert sum(len(g["clauses"]) for g in groups) == 8
    years = [g["year"] or 9999 for g in groups]
    assert years == sorted(years)

    documents = client.predict(api_name="/documents")
    assert len(documents) == 5
    source = next(d["source"] for d in documents if d["source"].startswith("000"))
    plan = client.predict(source, api_name="/document")
    assert plan["title"] == "襄阳市2017年教育工作要点" and len(plan["clauses"]) == plan_clauses(
        documents, source
    )
    assert TOP_CITATION in [c["citation"] for c in plan["clauses"]]


def plan_clauses(documents: list[dict], source: str) -> int:
    return next(d["clauses"] for d in documents if d["source"] == source)


@pytest.mark.parametrize(
    ("cli_args", "endpoint", "kwargs"),
    [
        (("query", "学前教育", "--level", "全部"), "/search", {"query": "学前教育", "level": "全部"}),
        (("mentions", "双减", "--year", "20x"), "/census", {"term": "双减", "year": "20x"}),
        (("ask", "   "), "/ask", {"question": "   "}),
    ],
)
def test_bad_input_gives_the_clis_one_line_message(client, seed_index, cli_args, endpoint, kwargs):
    from gradio_client.exceptions import AppError

    done = cli(*cli_args, "--index", str(seed_index))
    assert done.returncode == 2 and done.stderr.startswith("error: ")
    message = done.stderr.strip().removeprefix("error: ")

    with pytest.raises(AppError) as caught:
        client.predict(**kwargs, api_name=endpoint)
    assert str(caught.value) == message


def test_other_bad_input_is_one_line_too(client):
    from gradio_client.exceptions import AppError

    for kwargs, endpoint, start in [
        ({"query": "学前教育", "k": 0}, "/search", "k must be a whole number from 1 to 100"),
        ({"source": "nope.txt"}, "/document", "no document 'nope.txt' in the index"),
    ]:
        with pytest.raises(AppError) as caught:
            client.predict(**kwargs, api_name=endpoint)
        assert str(caught.value).startswith(start) and "\n" not in str(caught.value)
        assert "Traceback" not in str(caught.value) and "<html" not in str(caught.value).lower()


def mcp_session(url: str, work):
    """Run ``work(session)`` in a session of the official MCP client against the app."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def run():
        async with streamable_http_client(url.rstrip("/") + "/gradio_api/mcp/") as (read, write, _):  # noqa: SIM117
            async with ClientSession(read, write) as session:  # (the session needs the streams)
                await session.initialize()
                return await work(session)

    return asyncio.run(run())


def test_mcp_lists_the_tools_with_bilingual_descriptions_and_the_url_is_printed(app):
    url, log = app

    async def work(session):
        return (await session.list_tools()).tools

    tools = {tool.name: tool for tool in mcp_session(url, work)}
    assert set(tools) == {name.strip("/") for name in DATA_ENDPOINTS}
    for name in ("search", "census", "ask", "similar", "document"):
        description = tools[name].description
        assert re.search(r"[\u4e00-\u9fff]", description) and "Returns:" in description
        assert "cite as 《title》 · issuer · year · address" in description
    assert tools["search"].inputSchema["properties"]["level"]["description"].startswith("级别")
    assert tools["search"].inputSchema["required"] == ["query"]
    assert f"{url.rstrip('/')}/gradio_api/mcp/" in log.read_text(errors="replace")


def test_mcp_search_and_census_return_cited_results_and_a_bad_filter_its_message(app, client):
    async def work(session):
        return (
            await session.call_tool("search", {"query": "积极发展普惠性学前教育", "k": 3, "level": "市"}),
            await session.call_tool("census", {"term": "双减"}),
            await session.call_tool("search", {"query": "学前教育", "level": "全部"}),
        )

    found, counted, refused = mcp_session(app[0], work)

    assert not found.isError and not counted.isError
    hits = ast.literal_eval(found.content[0].text)  # Gradio prints the returned objects as Python literals
    assert hits == client.predict("积极发展普惠性学前教育", k=3, level="市", api_name="/search")
    assert hits[0]["citation"] == TOP_CITATION
    plans = ast.literal_eval(counted.content[0].text)
    assert plans == client.predict("双减", api_name="/census")
    assert all(c["citation"] for p in plans for c in p["clauses"])
    assert refused.isError
    assert refused.content[0].text == "bad level '全部': use one of 国家 省 市 县 区"


def test_the_documented_example_runs_on_the_real_index(
    seed_index, seed_searcher, monkeypatch, tmp_path, capsys
):
    import search

    example = re.findall(r"```python\n(.*?)```", (REPO / "docs" / "python-api.md").read_text("utf-8"), re.S)
    (tmp_path / "index").symlink_to(seed_index, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(search, "open_index", lambda index_dir, model=None: seed_searcher)  # loaded once
    exec(compile(example[0], "docs/python-api.md", "exec"), {})

    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith(TOP_CITATION)  # what the example's comment promises
    assert any("35所" in line for line in out)  # the cited answer
    assert out[-1] == "bad level '全部': use one of 国家 省 市 县 区"
