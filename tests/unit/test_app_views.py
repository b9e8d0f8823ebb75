"""The app's views and exports: escaping, highlighting, citations, census rows, chart and CSV, answers, the
documents tab, upload checks (search.app_views, search.app_documents, search.exports, search.uploads)."""

from __future__ import annotations

import csv
import io
import re

import pytest

from search import app_documents as documents_tab
from search import app_views as v
from search import exports, uploads
from search.answer import Answer
from search.census import Census, Mention
from search.records import Clause, Document, Hit
from search.retrieve import Filters
from search.wording import Precedent

HOSTILE = '加强管理<script>window.__pwned=1</script>，<img src=x onerror="alert(1)">落实"双减"&责任。'


def doc(source="a.txt", title="襄阳市2017年教育工作要点", issuer="襄阳市教育局", year=2017, **kw) -> Document:
    return Document(
        source=source, title=title, text=kw.pop("text", ""), raw="", issuer=issuer, year=year, **kw
    )


def clause(
    text="6、积极发展普惠性学前教育。", address="三（二）6", seq=5, source="a.txt", part=0, path=None
) -> Clause:
    path = path or ("三、主要工作任务", "(二)提升教育质量", text[:12])
    return Clause(f"id-{seq}", source, address, tuple(path), text, 0, len(text), part, seq)


def hit(c: Clause | None = None, d: Document | None = None, spans=(), context=()) -> Hit:
    return Hit(c or clause(), d or doc(), 0.9, {}, list(spans), list(context))


def visible_text(markup: str) -> str:
    """What a browser shows: tags dropped, entities decoded."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", markup))


# ---- escaping and highlighting -------------------------------------------------------------------


def test_esc_escapes_markup_and_quotes():
    assert v.esc('<a href="x">&\'') == "&lt;a href=&quot;x&quot;&gt;&amp;&#x27;"
    assert v.esc(None) == "" and v.esc(2017) == "2017"


def test_highlight_applies_spans_to_raw_text_then_escapes_each_segment():
    text = "a<b>c&d"
    assert v.highlight(text, [(1, 4)]) == "a<mark>&lt;b&gt;</mark>c&amp;d"
    assert v.highlight(text, []) == "a&lt;b&gt;c&amp;d"


def test_highlight_never_lets_document_markup_through():
    start = HOSTILE.index("<script>")
    marked = v.highlight(HOSTILE, [(start, start + 8), (0, 2)])
    assert "<script" not in marked and "<img" not in marked
    assert marked.count("<mark>") == 2
    assert visible_text(marked) == HOSTILE


def test_highlight_merges_overlaps_and_clips_spans():
    assert v.merge_spans([(5, 9), (0, 3), (2, 4), (8, 20), (7, 7), (-3, 0)], 10) == [(0, 4), (5, 10)]
    assert v.highlight("abcdef", [(4, 99), (0, 1), (3, 5)], "shared") == (
        '<mark class="shared">a</mark>bc<mark class="shared">def</mark>'
    )


def test_snippet_flattens_and_cuts():
    assert v.snippet("一\n二  三", 10) == "一 二 三"
    assert v.snippet("一二三四五", 3) == "一二三…"


# ---- citations and search cards ------------------------------------------------------------------


def test_citation_text_is_the_library_format():
    assert v.citation_text(doc(), clause()) == "襄阳市2017年教育工作要点 · 襄阳市教育局 · 2017 · 三（二）6"
    assert (
        v.citation_text(doc(issuer="", year=None), clause(part=2))
        == "襄阳市2017年教育工作要点 · 三（二）6 之2"
    )
    assert v.citations_text([hit(), hit()]).splitlines()[1].startswith("[2] 襄阳市2017年")


def test_hit_card_shows_citation_path_marks_and_escaped_text():
    c = clause(text=HOSTILE, path=("一、总体要求<b>", "1、加强管理<script>"))
    card = v.hit_card(hit(c, spans=[(0, 4)]), 1)
    assert "<script" not in card and "<img" not in card and "<b>" not in card
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in card
    assert "<mark>加强管理</mark>" in card
    assert "襄阳市2017年教育工作要点 · 襄阳市教育局 · 2017 · 三（二）6" in card
    assert 'data-copy="襄阳市2017年教育工作要点 · 襄阳市教育局 · 2017 · 三（二）6"' in card
    assert "一、总体要求&lt;b&gt; › 1、加强管理&lt;script&gt;" in card


def test_hit_card_context_lists_neighbours_around_the_clause_in_order():
    before, after = clause("5、前一条。", "三（一）5", seq=4), clause("7、后一条。", "三（二）7", seq=6)
    card = v.hit_card(hit(context=[after, before]), 1)
    text = visible_text(card)
    assert "前 1 条 · 后 1 条" in text
    text = text[text.index("上下文") :]
    assert text.index("5、前一条") < text.index("6、积极发展") < text.index("7、后一条")
    assert "<details" not in v.hit_card(hit(), 1)


def test_results_html_escapes_the_query_and_says_when_nothing_matched():
    empty = v.results_html("<i>x</i>", [], "2020")
    assert "&lt;i&gt;x&lt;/i&gt;" in empty and "没有找到" in empty
    assert v.results_html("q", [hit(), hit()]).count('class="hit-card"') == 2


def test_filters_label():
    assert v.filters_label(Filters()) == "全部文件"
    assert v.filters_label(Filters.parse("2019-2021", "襄阳", "市")) == "2019–2021 · 襄阳 · 市级"
    assert v.filters_label(Filters.parse("2020")) == "2020"
    assert v.filters_label(Filters.parse("-2020")) == "…–2020"


# ---- census ----------------------------------------------------------------------------------------


def make_census() -> Census:
    d1 = doc("a.txt", year=2021, title="甲县2021年教育工作要点", issuer="甲县教育局")
    d2 = doc("b.txt", year=2023, title="乙市2023年教育工作要点", issuer="", region="乙市")
    d3 = doc("c.txt", year=None, title='=HYPERLINK("x")', issuer="丙")
    mentions = [
        Mention(d1, 3, [clause("5、落实“双减”政策。", "二5", 1), clause("-“双减”督导。", "二6", 2)]),
        Mention(d2, 1, [clause("（一）推进“双减”", "一（一）", 0, source="b.txt")]),
        Mention(d3, 1, []),
    ]
    return Census("双减", mentions, {0: 1, 2021: 1, 2023: 1}, {0: 1, 2021: 3, 2023: 1})


def test_census_rows_one_per_plan_with_first_clause():
    rows = v.census_rows(make_census())
    assert [r[:4] for r in rows] == [
        [2021, "甲县教育局", "甲县2021年教育工作要点", 3],
        [2023, "乙市", "乙市2023年教育工作要点", 1],
        ["—", "丙", '=HYPERLINK("x")', 1],
    ]
    assert rows[0][4].startswith("二5  5、落实“双减”政策")
    assert "仅见于" in rows[2][4]


def test_census_csv_has_one_row_per_matching_clause_and_guards_formulas():
    records = list(csv.DictReader(io.StringIO(exports.census_csv(make_census()))))
    assert list(records[0]) == exports.CSV_HEADERS
    assert [r["条款地址"] for r in records] == ["二5", "二6", "一（一）", ""]
    assert records[0]["引用"] == "甲县2021年教育工作要点 · 甲县教育局 · 2021 · 二5"
    assert records[0]["文件内提及次数"] == "3"
    assert records[1]["条款原文"] == "'-“双减”督导。"  # a leading - would be a formula in a spreadsheet
    assert records[3]["标题"] == '\'=HYPERLINK("x")'


def test_write_census_csv_uses_a_bom_and_a_safe_name(tmp_path):
    result = make_census()
    result.term = "双减/../x"
    path = exports.write_census_csv(result, tmp_path / "out")
    assert path.parent == tmp_path / "out" and path.name == "提及_双减_x.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert path.read_text(encoding="utf-8-sig") == exports.census_csv(result)


def test_bar_chart_fills_missing_years_and_puts_unknown_last():
    svg = v.bar_chart_svg({2019: 2, 2022: 5, 0: 1}, {2019: 1, 2022: 2, 0: 1}, years=[2018])
    years = re.findall(r'data-year="([^"]+)"', svg)
    values = [int(x) for x in re.findall(r'data-value="(\d+)"', svg)]
    assert years == ["2018", "2019", "2020", "2021", "2022", "未知"]
    assert values == [0, 2, 0, 0, 5, 1]
    assert svg.startswith("<svg") and "<script" not in svg
    assert "无数据" in v.bar_chart_svg({})


def test_bar_chart_escapes_its_title():
    assert "<b>" not in v.bar_chart_svg({2020: 1}, title="<b>x</b>")


def test_census_summary_counts_plans_and_mentions():
    text = visible_text(v.census_summary_html(make_census(), 10))
    assert "见于 3 / 10 份文件，共 5 次" in text
    assert "没有文件提到「&」" in visible_text(v.census_summary_html(Census("&", []), 4))


# ---- answers ---------------------------------------------------------------------------------------


def test_answer_html_links_citations_and_opens_their_clauses():
    c1 = clause("6、积极发展普惠性学前教育。完成第二期学前教育三年行动计划。")
    answer = Answer("q", "完成第二期学前教育三年行动计划。[1]<script>x</script>[3]", [hit(c1)],
                    [("完成第二期学前教育三年行动计划。", 1)])  # fmt: skip
    out = v.answer_html(answer)
    assert '<a class="cite-ref" href="#ans-cite-1" data-cite="ans-cite-1">[1]</a>' in out
    assert "[3]" in out and 'data-cite="ans-cite-3"' not in out  # a number with no citation stays text
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert '<details class="cite" id="ans-cite-1">' in out
    assert '<mark class="used">完成第二期学前教育三年行动计划。</mark>' in out
    assert "襄阳市2017年教育工作要点 · 襄阳市教育局 · 2017 · 三（二）6" in out


def test_answer_html_says_plainly_when_nothing_answers():
    out = v.answer_html(Answer("q", "", [], mode="none", note="nothing <here>"))
    assert "没有能回答" in out and "Nothing in the indexed plans" in out
    assert "nothing &lt;here&gt;" in out and "cite-ref" not in out


# ---- precedents --------------------------------------------------------------------------------------


def test_precedents_html_keeps_year_order_and_marks_shared_wording():
    old = hit(clause("推动义务教育优质均衡发展。"), doc("a.txt", year=2017))
    new = hit(clause("<i>推动</i>义务教育优质均衡", source="b.txt"), doc("b.txt", year=2023, title="乙"))
    out = v.precedents_html(
        [Precedent(old.document, [old], [[(0, 12)]]), Precedent(new.document, [new], [[(8, 16)]])], "d"
    )
    assert out.index("2017") < out.index("2023")
    assert '<mark class="shared">推动义务教育优质均衡发展</mark>' in out
    assert "<i>" not in out and "&lt;i&gt;推动&lt;/i&gt;" in out
    assert "相同措辞 12 字" in visible_text(out)
    assert "没有找到" in v.precedents_html([], "d")


# ---- documents -----------------------------------------------------------------------------------------


def test_document_rows_choices_and_issuers():
    docs = [
        doc("a.txt", year=2017),
        doc("b.txt", year=2023, title="乙", issuer="", region="乙市"),
        doc("c.txt", year=None),
    ]
    rows = documents_tab.documents_rows(docs, {"a.txt": 41})
    assert rows[0][0] == 2017 and rows[0][-2:] == [41, "a.txt"] and rows[2][0] == "—"
    assert [s for _, s in documents_tab.document_choices(docs)] == ["b.txt", "a.txt", "c.txt"]
    assert documents_tab.issuer_choices(docs) == sorted({"襄阳市教育局", "乙市"})
    assert documents_tab.year_bounds(docs) == (2017, 2023) and documents_tab.year_bounds([]) == (None, None)


@pytest.mark.parametrize(
    ("a", "b", "text"),
    [(None, None, ""), ("", "", ""), ("2019", "", "2019-"), ("", 2021, "-2021"), (2020.0, "2020", "2020"),
     ("2019", "2021", "2019-2021"), ("x", "", "x-")],
)  # fmt: skip
def test_year_filter_text(a, b, text):
    assert v.year_filter_text(a, b) == text


def test_clause_tree_opens_each_heading_once_and_escapes():
    d = doc(provenance={"title": "read"})
    clauses = [
        clause("1、甲<script>。内容", "一1", 0, path=("一、总体<b>", "1、甲<script>")),
        clause("2、乙。内容", "一2", 1, path=("一、总体<b>", "2、乙")),
        clause("3、丙。", "二3", 2, path=("二、任务", "3、丙")),
    ]
    out = documents_tab.clause_tree_html(d, clauses)
    assert out.count("一、总体&lt;b&gt;") == 1 and out.count('class="tree-head"') == 2
    assert "<script" not in out and "<b>" not in out
    assert out.count('class="tree-clause"') == 3
    assert "从正文读取" in out and "<td>3</td>" in out
    assert "没有切分出条款" in documents_tab.clause_tree_html(d, [])


# ---- uploads ---------------------------------------------------------------------------------------------


def write(path, data: bytes):
    path.write_bytes(data)
    return path


def test_check_upload_accepts_supported_files(tmp_path):
    assert uploads.check_upload(write(tmp_path / "a", "计划".encode()), "plan.TXT") == ".txt"
    utf16 = b"\xff\xfe" + "计划".encode("utf-16-le")
    assert uploads.check_upload(write(tmp_path / "b", utf16), "p.md") == ".md"
    assert uploads.check_upload(write(tmp_path / "c", b"PK\x03\x04rest"), "p.docx") == ".docx"
    assert uploads.check_upload(write(tmp_path / "d", b"%PDF-1.7\n"), "p.pdf") == ".pdf"
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest"
    assert uploads.check_upload(write(tmp_path / "e", ole2), "p.doc") == ".doc"
    assert uploads.check_upload(write(tmp_path / "f", ole2), "p.WPS") == ".wps"
    assert uploads.check_upload(write(tmp_path / "g", b"PK\x03\x04rest"), "p.ofd") == ".ofd"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [("p.exe", b"MZ", "unsupported"), ("p", b"x", "unsupported"), ("p.txt", b"", "empty"),
     ("p.docx", b"not a zip", "Word"), ("p.pdf", b"<html>", "PDF"), ("p.txt", b"ab\x00cd", "binary"),
     ("p.html", b"PK\x03\x04", "binary"), ("p.txt", b"x" * 11, "too large"), ("p.doc", b"plain", "Word-97"),
     ("p.wps", b"%PDF-1.7", "Word-97"), ("p.ofd", b"<ofd/>", "OFD")],
)  # fmt: skip
def test_check_upload_rejects_with_a_reason(tmp_path, name, data, reason):
    with pytest.raises(uploads.UploadRejected, match=reason):
        uploads.check_upload(write(tmp_path / "f", data), name, limit=10)


def test_upload_rejected_is_a_user_error():
    from search.errors import UserError

    assert issubclass(uploads.UploadRejected, UserError)


@pytest.mark.parametrize(
    ("name", "taken", "expected"),
    [("计划.txt", [], "计划.txt"), ("计划.txt", ["计划.txt"], "计划-2.txt"),
     ("计划.txt", ["计划.TXT", "计划-2.txt"], "计划-3.txt"), ("../../etc/passwd.txt", [], "passwd.txt"),
     ("..\\..\\win.md", [], "win.md"), (".hidden.txt", [], "hidden.txt"), ("a b\tc.txt", [], "a_b_c.txt"),
     ("README.md", [], "README-2.md"), ("catalog.csv", [], "catalog-2.csv"), ("", [], "upload.txt"),
     ("x\x00y.txt", [], "xy.txt")],
)  # fmt: skip
def test_safe_upload_name(name, taken, expected):
    assert uploads.safe_upload_name(name, taken) == expected


def test_save_upload_never_overwrites(tmp_path):
    src1, src2 = write(tmp_path / "one", b"first"), write(tmp_path / "two", b"second")
    folder = tmp_path / "uploads"
    a = uploads.save_upload(src1, folder, "计划.txt")
    b = uploads.save_upload(src2, folder, "计划.txt")
    assert (a.name, b.name) == ("计划.txt", "计划-2.txt")
    assert a.read_bytes() == b"first" and b.read_bytes() == b"second"


def test_build_report_lists_saved_rejected_and_dropped():
    out = documents_tab.build_report_html(None, ["<a>.txt"], ["x.exe: unsupported"], ["y.txt: same text"])
    assert "&lt;a&gt;.txt" in out and "x.exe: unsupported" in out and "y.txt: same text" in out
    assert "索引已更新" not in out


def test_prune_folders_removes_only_stale_download_folders(tmp_path):
    import os

    old, fresh = tmp_path / "old", tmp_path / "fresh"
    for folder in (old, fresh):
        folder.mkdir()
        (folder / "提及.csv").write_text("x", encoding="utf-8")
    (tmp_path / "note.txt").write_text("a file, not a download folder", encoding="utf-8")
    os.utime(old, (1_000, 1_000))
    assert exports.prune_folders(tmp_path, max_age_s=3600) == 1
    assert not old.exists() and (fresh / "提及.csv").exists() and (tmp_path / "note.txt").exists()
    assert exports.prune_folders(tmp_path / "missing", max_age_s=3600) == 0
