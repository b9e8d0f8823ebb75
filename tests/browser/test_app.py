"""The Gradio app in headless Chromium: each tab answers from the library, document text stays text, and
the browser logs no errors. Screenshots of every tab go to docs/screenshots/.

The upload and rebuild tests change the index, so they run last (tests run in file order).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from search.keyword import normalise

pytestmark = pytest.mark.browser

WAIT_MS = 90_000


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def submit(page, box: str, text: str, button: str) -> None:
    page.fill(f"{box} textarea", text)
    page.click(button)


def table_rows(page, selector: str) -> list[list[str]]:
    """Body rows of a Gradio Dataframe as cell texts."""
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector + ' [role=row]')]
            .filter((row) => Number(row.getAttribute('aria-rowindex')) > 1)
            .map((row) => [...row.querySelectorAll('[role=gridcell], td')]
                .map((cell) => cell.innerText.trim()))
            .filter((cells) => cells.some((text) => text))""",
        selector,
    )


def assert_not_pwned(page) -> None:
    """No script from a document ran, and no element from a document's markup exists."""
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("[onerror], [onmouseover]").count() == 0


def test_search_returns_cards_citing_the_clause(page, screenshot):
    open_tab(page, "检索 Search")
    submit(page, "#search-query", "", "#search-btn")  # an empty query is a warning, not a traceback
    page.wait_for_selector("text=empty query", timeout=WAIT_MS)

    submit(page, "#search-query", "积极发展普惠性学前教育", "#search-btn")
    page.wait_for_selector("#search-results .hit-card", timeout=WAIT_MS)
    first = page.locator("#search-results .hit-card").first
    cite = first.locator(".hit-cite").inner_text()
    assert "襄阳市2017年教育工作要点" in cite and "三（二）6" in cite
    assert "积极发展普惠性学前教育" in first.locator(".hit-path").inner_text()
    assert first.locator(".hit-text mark").count() > 0

    first.locator("details.ctx summary").click()  # neighbouring clauses
    assert first.locator(".ctx-clause").count() >= 2
    assert "三（二）7" in first.locator("details.ctx").inner_text()  # the next item, 7、推动义务教育…

    first.locator(".copy-btn").click()
    expected = "襄阳市2017年教育工作要点 · 襄阳市教育局 · 2017 · 三（二）6"
    page.wait_for_function("(text) => navigator.clipboard.readText().then((t) => t === text)", arg=expected)
    page.get_by_text("引用列表 Citations").click()
    page.wait_for_selector("#search-citations textarea", timeout=WAIT_MS)
    assert f"[1] {expected}" in page.input_value("#search-citations textarea")
    screenshot(page, "search")


def test_census_lists_exactly_the_plans_that_mention_the_term(page, app_server, screenshot):
    searcher = app_server.searcher()
    needle = normalise("双减")
    expected = {
        d.title: normalise(d.text).count(needle) for d in searcher.documents() if needle in normalise(d.text)
    }
    assert len(expected) >= 2  # the shipped corpus has some, and the hostile plan adds one

    open_tab(page, "提及 Census")
    submit(page, "#census-term", "双减", "#census-btn")
    page.wait_for_selector("#census-chart svg.bar-chart", timeout=WAIT_MS)
    page.wait_for_function("() => document.querySelectorAll('#census-table [role=row]').length > 1")
    rows = table_rows(page, "#census-table")
    assert {row[2]: int(row[3]) for row in rows} == expected
    assert len(rows) == len(expected)
    years = [row[0] for row in rows]
    assert years == sorted(years)

    bars = page.locator("#census-chart g.bar")
    values = [int(bars.nth(i).get_attribute("data-value")) for i in range(bars.count())]
    assert sum(values) == sum(expected.values())
    boxes = [bars.nth(i).locator("rect").bounding_box() for i in range(bars.count())]
    heights = [box["height"] if box else 0.0 for box in boxes]  # a zero-height bar has no box
    tallest = max(heights)
    assert tallest > 0
    for value, height in zip(values, heights, strict=True):  # drawn to scale: height ∝ mentions
        assert height == pytest.approx(tallest * value / max(values), abs=1.0)

    with page.expect_download() as download:
        page.click("#census-csv")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    records = list(csv.DictReader(io.StringIO(text)))
    assert {r["标题"] for r in records} == set(expected)
    assert all("双减" in r["条款原文"] for r in records if r["条款原文"])
    screenshot(page, "census")


def test_ask_answers_with_citations_that_open_their_clause(page, screenshot):
    open_tab(page, "问答 Ask")
    submit(page, "#ask-question", "火星探测器的发射窗口是什么时候？", "#ask-btn")
    page.wait_for_selector("#ask-answer .answer.none", timeout=WAIT_MS)
    assert "没有能回答" in page.inner_text("#ask-answer")

    submit(page, "#ask-question", "襄阳市2017年计划新建、改扩建多少所幼儿园？", "#ask-btn")
    page.wait_for_selector("#ask-answer .answer-text a.cite-ref", timeout=WAIT_MS)
    assert "35所" in page.inner_text("#ask-answer .answer-text")
    details = page.locator("#ask-answer details.cite").first
    assert details.get_attribute("open") is None
    page.locator("#ask-answer a.cite-ref").first.click()
    page.wait_for_function("() => document.querySelector('#ans-cite-1').open")
    assert "襄阳市2017年教育工作要点" in details.inner_text()
    assert details.locator(".hit-text").is_visible()
    screenshot(page, "ask")


def test_wording_lists_precedents_oldest_first(page, screenshot):
    open_tab(page, "措辞 Wording")
    submit(page, "#wording-draft", "推动义务教育优质均衡发展，改善学校办学条件", "#wording-btn")
    page.wait_for_selector("#wording-results .prec-doc", timeout=WAIT_MS)
    years = [int(y) for y in page.locator("#wording-results .prec-year").all_inner_texts() if y.isdigit()]
    assert len(years) >= 2 and years == sorted(years)
    assert page.locator("#wording-results mark.shared").count() > 0
    screenshot(page, "wording")


def test_documents_table_and_clause_tree(page, app_server, screenshot):
    documents = app_server.searcher().documents()
    open_tab(page, "文档 Documents")
    page.wait_for_function("() => document.querySelectorAll('#docs-table [role=row]').length > 1")
    rows = table_rows(page, "#docs-table")
    assert sorted(row[-1] for row in rows) == sorted(d.source for d in documents)

    page.get_by_role("gridcell", name="襄阳市2017年教育工作要点").click()  # a row click opens the document
    page.wait_for_selector("#doc-tree .tree-clause", timeout=WAIT_MS)
    tree = page.inner_text("#doc-tree")
    assert "三（二）6" in tree and "积极发展普惠性学前教育" in tree
    screenshot(page, "documents")


def test_hostile_document_renders_as_text(page, app_server):
    open_tab(page, "检索 Search")
    submit(page, "#search-query", "加强校园安全管理 开展网络安全教育 完善安全评估机制", "#search-btn")
    page.wait_for_selector(f"#search-results .hit-card[data-source='{app_server.hostile}']", timeout=WAIT_MS)
    page.locator("#search-results details.ctx").first.click()
    shown = page.inner_text("#search-results")
    assert "<script>window.__pwned=1</script>" in shown
    assert '<img src=x onerror="window.__pwned=1">' in shown
    assert "${window.__pwned=1}" in shown and "{{constructor.constructor(" in shown
    assert page.locator("#search-results script").count() == 0
    assert_not_pwned(page)

    open_tab(page, "提及 Census")
    submit(page, "#census-term", "网络安全教育", "#census-btn")
    page.wait_for_function("() => document.querySelectorAll('#census-table [role=row]').length > 1")
    assert any("测试县2024年教育工作要点" in row for row in table_rows(page, "#census-table"))

    open_tab(page, "问答 Ask")
    submit(page, "#ask-question", "如何开展网络安全教育？", "#ask-btn")
    page.wait_for_selector("#ask-answer .answer-text", timeout=WAIT_MS)
    page.locator("#ask-answer details.cite summary").first.click()

    open_tab(page, "文档 Documents")
    page.get_by_role("gridcell", name="测试县2024年教育工作要点").click()
    page.wait_for_selector("#doc-tree .tree-clause", timeout=WAIT_MS)
    tree = page.inner_text("#doc-tree")
    assert "<script>window.__pwned=1</script>" in tree and '<b onmouseover="window.__pwned=1">' in tree
    assert_not_pwned(page)


def test_lead_filter_and_a_plans_tasks_by_lead_unit(page, screenshot):
    """The lead-unit filter keeps the clauses 市财政局 leads (seed 002's 四（二）), and the plan's page lists
    its tasks under each lead unit."""
    page.fill("#lead-filter input", "市财政局")
    page.keyboard.press("Enter")
    open_tab(page, "检索 Search")
    submit(page, "#search-query", "教育经费投入保障", "#search-btn")
    page.wait_for_selector("#search-results .hit-card", timeout=WAIT_MS)
    cards = page.locator("#search-results .hit-card")
    assert cards.count() == 1 and "四（二）" in cards.first.locator(".hit-cite").inner_text()
    assert "牵头 市财政局" in cards.first.locator(".hit-units").inner_text()
    assert "牵头 市财政局" in page.inner_text("#search-results .summary")

    # a citation link (as a card shows for a cited law) opens its document, the cited clause marked; the
    # shipped corpus cites no indexed law, so the link is the card's own plan and clause
    card = cards.first
    page.evaluate(
        """([source, clause]) => {
            const link = document.createElement('a');
            Object.assign(link, {className: 'cite-link', href: '#', textContent: '《方案》'});
            Object.assign(link.dataset, {doc: source, clause: clause});
            document.querySelector('#search-results .hit-card').appendChild(link);
        }""",
        [card.get_attribute("data-source"), card.get_attribute("data-clause")],
    )
    page.click("#search-results a.cite-link")
    page.wait_for_selector("#doc-tree .tasks", timeout=WAIT_MS)
    assert page.get_by_role("tab", name="文档 Documents").get_attribute("aria-selected") == "true"
    assert "四（二）" in page.inner_text("#doc-tree .tree-clause.focus")
    leads = page.locator("#doc-tree .task-lead").all_inner_texts()
    assert leads == ["市教育局（8）", "市财政局（1）", "市委宣传部（1）", "市政府办（1）"]
    screenshot(page, "tasks")


TOPIC = "课后服务 双减"  # a topic several plans address, so each plan has further clauses


def test_by_plan_toggle_shows_one_row_per_plan(page, app_server):
    """按文件: one row per plan, in the library's plan-view order, each with its best clause and the next
    best; unticked, the ranked cards come back."""
    from search.plans import plan_view

    expected = plan_view(app_server.searcher(), TOPIC, k=10)
    open_tab(page, "检索 Search")
    page.check("#search-by-plan input")
    submit(page, "#search-query", TOPIC, "#search-btn")
    page.wait_for_selector("#search-results .plan-row", timeout=WAIT_MS)
    rows = page.locator("#search-results .plan-row")
    sources = [rows.nth(i).get_attribute("data-source") for i in range(rows.count())]
    assert sources == [row.document.source for row in expected] and len(set(sources)) == len(sources) > 1
    for i, row in enumerate(expected):
        cards = rows.nth(i).locator(":scope > .hit-card")
        assert cards.count() == len(row.hits) and all(cards.nth(j).is_visible() for j in range(cards.count()))
        assert [cards.nth(j).get_attribute("data-clause") for j in range(cards.count())] == [
            h.clause.clause_id for h in row.hits
        ]
    page.uncheck("#search-by-plan input")
    page.click("#search-btn")
    page.wait_for_function("() => !document.querySelector('#search-results .plan-row')", timeout=WAIT_MS)
    assert page.locator("#search-results .hit-card").count() == 10


def test_more_from_a_plan_opens_in_place(page, app_server):
    """该文件更多 N 条 opens that plan's further clauses under its card, on the same page: hidden before
    the click, shown after it, the ranked cards unchanged."""
    from search.plans import search_with_further

    hits, further = search_with_further(app_server.searcher(), TOPIC, k=10)
    source = next(h.document.source for h in hits if further.get(h.document.source))
    total = next(h.plan_more for h in hits if h.document.source == source)
    open_tab(page, "检索 Search")
    submit(page, "#search-query", TOPIC, "#search-btn")
    page.wait_for_selector("#search-results .hit-card", timeout=WAIT_MS)
    url = page.url
    expander = page.locator(f"#search-results details.more-hits[data-source='{source}']")
    assert expander.count() == 1
    summary = expander.locator(":scope > summary")
    assert summary.inner_text().strip() == f"该文件更多 {total} 条" and summary.is_visible()
    more = expander.locator(":scope > .more-card")
    assert more.count() == len(further[source]) and not more.first.is_visible()

    summary.click()
    more.first.wait_for(state="visible", timeout=WAIT_MS)
    assert [more.nth(i).get_attribute("data-clause") for i in range(more.count())] == [
        h.clause.clause_id for h in further[source]
    ]
    assert all(more.nth(i).is_visible() for i in range(more.count()))
    assert further[source][0].clause.text[:20] in more.first.locator(".hit-text").inner_text()
    assert page.url == url and page.locator("#search-results .hit-card").count() == 10  # no page change


def test_upload_saves_without_overwriting_and_indexes(page, app_server, tmp_path):
    """Two files with one name: both saved (the second renamed), indexed, and searchable at once."""
    first, second = tmp_path / "a" / "上传测试.txt", tmp_path / "b" / "上传测试.txt"
    for path, (county, topic) in (
        (first, ("甲县", "研学旅行基地建设")),
        (second, ("乙县", "校园足球特色学校")),
    ):
        path.parent.mkdir()
        path.write_text(f"{county}2025年教育工作要点\n{county}教育局\n一、重点工作\n1、推进{topic}，"
                        f"完善{topic}管理制度。\n2、加强{topic}经费保障。\n", encoding="utf-8")  # fmt: skip
    open_tab(page, "文档 Documents")
    page.get_by_text("添加文件 Add documents").click()
    page.locator("#upload-files input[type=file]").set_input_files([str(first), str(second)])
    page.wait_for_function(
        "() => document.querySelector('#upload-files').innerText.split('上传测试').length === 3"
    )
    page.click("#upload-btn")
    page.wait_for_selector("#upload-report :text('索引已更新')", timeout=WAIT_MS * 2)
    saved = sorted(p.name for p in app_server.uploads.iterdir())
    assert saved == ["上传测试-2.txt", "上传测试.txt"]
    assert not any(p.name.startswith("上传") for p in app_server.corpus.iterdir())  # never into the corpus

    page.wait_for_function(
        "() => document.querySelector('#docs-table').innerText.includes('乙县2025年教育工作要点')"
    )
    open_tab(page, "检索 Search")
    submit(page, "#search-query", "校园足球特色学校", "#search-btn")
    page.wait_for_selector("#search-results .hit-card[data-source='uploads/上传测试-2.txt']", timeout=WAIT_MS)


def test_rebuild_rereads_every_file_and_keeps_the_uploads(page, app_server):
    """The rebuild button re-reads the corpus and the uploads (added by the test above) into a new index,
    reusing every stored vector, and the app serves it at once."""
    open_tab(page, "文档 Documents")
    page.get_by_text("重建索引 Rebuild the index").click()
    page.click("#rebuild-btn")
    page.wait_for_selector("#rebuild-report :text('索引已更新')", timeout=WAIT_MS * 2)
    assert "新嵌入 0" in page.inner_text("#rebuild-report")  # nothing changed: every vector reused
    assert "需重建" not in page.inner_text("#status")
    open_tab(page, "检索 Search")
    submit(page, "#search-query", "研学旅行基地建设", "#search-btn")
    page.wait_for_selector("#search-results .hit-card[data-source='uploads/上传测试.txt']", timeout=WAIT_MS)


def test_delete_moves_an_upload_to_the_trash_and_drops_it_from_the_index(page, app_server):
    """The delete picker offers the uploads only (never a shipped corpus file); deleting one moves the
    file to uploads/.trash/ and the app serves an index without it at once."""
    open_tab(page, "文档 Documents")
    page.get_by_text("删除上传文件 Delete an upload").click()
    page.click("#delete-pick input")
    options = page.get_by_role("option").all_inner_texts()
    assert sorted(o.strip() for o in options) == ["uploads/上传测试-2.txt", "uploads/上传测试.txt"]
    page.get_by_role("option", name="uploads/上传测试-2.txt").click()
    page.click("#delete-btn")
    page.wait_for_selector("#delete-report :text('已删除')", timeout=WAIT_MS * 2)
    assert "新嵌入 0" in page.inner_text("#delete-report")  # the remaining vectors are reused

    assert sorted(p.name for p in app_server.uploads.iterdir()) == [".trash", "上传测试.txt"]
    trashed = [p.name for p in (app_server.uploads / ".trash").iterdir()]
    assert len(trashed) == 1 and trashed[0].endswith("-上传测试-2.txt")  # <YYYYmmdd-HHMMSS>-<name>
    page.wait_for_function(
        "() => !document.querySelector('#docs-table').innerText.includes('乙县2025年教育工作要点')"
    )
    page.click("#delete-pick input")
    assert [o.strip() for o in page.get_by_role("option").all_inner_texts()] == ["uploads/上传测试.txt"]
    page.keyboard.press("Escape")

    open_tab(page, "检索 Search")
    submit(page, "#search-query", "校园足球特色学校", "#search-btn")
    page.wait_for_selector("#search-results .hit-card", timeout=WAIT_MS)
    assert page.locator("#search-results .hit-card[data-source='uploads/上传测试-2.txt']").count() == 0
