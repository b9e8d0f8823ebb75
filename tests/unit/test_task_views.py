"""The app over the shipped corpus: the lead-unit filter and a plan's tasks listed by lead unit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fakes import HashEncoder

from search.app_handlers import Handlers
from search.build import build_index
from search.engine import Engine

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
PLAN = "002_0bc6a5b737179746.txt"


@pytest.fixture(scope="module")
def app_engine(tmp_path_factory):
    """The page's handlers over an index of the shipped corpus."""
    root = tmp_path_factory.mktemp("tasks")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    encoder = HashEncoder()
    build_index(corpus, root / "index", encoder)
    engine = Engine(root / "index", corpus, root / "uploads", encoder=encoder)  # a fake: not loadable by name
    engine.start()
    return Handlers(engine)


def test_a_plans_page_lists_its_tasks_by_lead_unit(app_engine):
    page = app_engine.show_document(PLAN)
    assert "任务分工 Tasks by lead unit（11 项）" in page
    groups = page.split('<div class="task-lead">')[1:]
    assert [g.split("</div>")[0] for g in groups] == [
        "市教育局（8）",
        "市财政局（1）",
        "市委宣传部（1）",
        "市政府办（1）",
    ]
    assert "四（二）" in groups[1] and "责任 各县(市)区" in groups[1]


def test_the_lead_filter_restricts_search_and_census(app_engine):
    html, cites = app_engine.do_search("教育经费投入保障", 5, 0, False, "", "", "", "", "", "市财政局")
    assert html.count('class="hit-card"') == 1 and "四（二）" in html and "牵头 市财政局" in html
    assert "牵头 市财政局" in html.split('<div class="summary">')[1].split("</div>")[0]  # the scope line
    summary, _chart, table, _csv = app_engine.do_census("经费", "", "", "", "", "", "财政局")
    assert "见于 1 / 1 份文件" in summary and list(table["次数 Count"]) == [6]  # 四（二） says 经费 six times


def test_the_catalog_offers_the_index_lead_units(app_engine):
    updates = app_engine.catalog_updates()
    lead = updates[5]
    assert lead["choices"][:2] == [("全部", ""), ("市教育局（42）", "市教育局")]
