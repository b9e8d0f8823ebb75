"""Loading: every supported format gives the plan's text; every bad input gives one readable problem."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import docx
import pytest

from search import load
from search.load import decode_bytes, iter_corpus, load_file
from search.pipeline import parse_corpus
from search.records import LoadProblem, RawDoc

PLAN = (
    "某县2023年教育工作要点\n一、总体要求\n1、加强党的建设。落实立德树人根本任务。\n2、推进学前教育普惠发展。"
)
GOOD = {"good.txt": "某市2022年教育工作要点\n一、主要任务\n1、办好人民满意教育。"}


def _loaded(root: Path) -> tuple[list[RawDoc], list[LoadProblem]]:
    items = list(iter_corpus(root))
    return [i for i in items if isinstance(i, RawDoc)], [i for i in items if isinstance(i, LoadProblem)]


def _snapshot(root: Path) -> list[tuple[str, int, int]]:
    return sorted(
        (p.relative_to(root).as_posix(), p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")
    )


# --- formats ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_text_encodings_decode_to_the_same_plan(tmp_path, codec):
    path = tmp_path / "plan.txt"
    path.write_bytes(PLAN.encode(codec))  # Python's utf-16 codec writes a byte-order mark
    doc = load_file(path)
    assert doc.text == PLAN
    assert (doc.source, doc.fmt) == ("plan.txt", "txt")


def test_gb18030_four_byte_characters_survive(tmp_path):
    text = PLAN + "\n3、表彰刘䶮等优秀教师。"  # 䶮 (U+4DAE) is outside GBK: GB18030 writes it in four bytes
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    path = tmp_path / "plan.txt"
    path.write_bytes(text.encode("gb18030"))
    assert load_file(path).text == text


def test_markdown_is_read_as_text(tmp_path):
    path = tmp_path / "plan.md"
    path.write_text(PLAN, encoding="utf-8")
    assert (load_file(path).text, load_file(path).fmt) == (PLAN, "md")


def test_docx_paragraphs_and_table_cells_in_order(tmp_path):
    document = docx.Document()
    for line in PLAN.split("\n"):
        document.add_paragraph(line)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "牵头单位"
    table.rows[0].cells[1].text = "市教育局"
    path = tmp_path / "plan.docx"
    document.save(path)
    doc = load_file(path)
    assert doc.fmt == "docx"
    assert doc.text.startswith(PLAN)
    assert doc.text.endswith("牵头单位\t市教育局")


def test_pdf_text_layer_is_extracted(tmp_path, pdf_bytes):
    path = tmp_path / "plan.pdf"
    path.write_bytes(pdf_bytes(["Work Plan 2023", "1. Strengthen party building.", "2. Improve quality."]))
    doc = load_file(path)
    assert doc.fmt == "pdf"
    assert doc.text.split("\n")[:3] == [
        "Work Plan 2023",
        "1. Strengthen party building.",
        "2. Improve quality.",
    ]


def test_html_keeps_visible_text_and_drops_scripts_styles_and_head(tmp_path):
    html = (
        "<html><head><title>页面标题</title><style>.x{color:red}</style>"
        "<script>var tracker = 'SECRET_JS';</script></head><body>"
        "<div>您的位置：首页 > 政务公开</div><h1>某县2023年教育工作要点</h1>"
        "<p>一、总体要求</p><p>1、加强党的建设。</p><script>document.write('ALSO_JS')</script>"
        "<noscript>NOSCRIPT</noscript><p>2、推进学前教育&amp;普惠发展。</p></body></html>"
    )
    path = tmp_path / "page.html"
    path.write_text(html, encoding="utf-8")
    doc = load_file(path)
    assert doc.fmt == "html"
    for leaked in ("SECRET_JS", "ALSO_JS", "color:red", "页面标题", "NOSCRIPT"):
        assert leaked not in doc.text
    assert doc.text.split("\n")[1:] == [
        "某县2023年教育工作要点",
        "一、总体要求",
        "1、加强党的建设。",
        "2、推进学前教育&普惠发展。",
    ]


def test_gbk_web_page_with_htm_extension(tmp_path):
    path = tmp_path / "page.htm"
    path.write_bytes(f"<html><body><p>{PLAN}</p></body></html>".encode("gbk"))
    assert load_file(path).text == PLAN


def test_jsonl_records_with_id_or_docid_and_metadata(tmp_path):
    lines = [
        {"id": "a1", "text": PLAN, "title": "某县2023年教育工作要点", "issuer": "某县教育局", "year": 2023},
        {"docid": "b2", "text": "第二份文件正文。", "region": ""},
    ]
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n\n", encoding="utf-8")
    docs, problems = _loaded(path)
    assert problems == []
    assert [(d.source, d.fmt) for d in docs] == [("a1", "jsonl"), ("b2", "jsonl")]
    assert docs[0].given == {"title": "某县2023年教育工作要点", "issuer": "某县教育局", "year": "2023"}
    assert docs[1].given == {}  # empty values are not "given"


def test_folder_is_walked_recursively_in_path_order_skipping_catalog_and_hidden(make_corpus):
    root = make_corpus(
        {"b.txt": PLAN, "sub/a.txt": PLAN + "。", "catalog.csv": "source,region\n", ".hidden/x.txt": "x"}
    )
    docs, problems = _loaded(root)
    assert problems == []
    assert [d.source for d in docs] == ["b.txt", "sub/a.txt"]


def test_ncp_style_jsonl_loads_every_record(tmp_path):
    path = tmp_path / "ncp.jsonl"
    path.write_text(
        json.dumps({"docid": "x", "text": "标题 正文 责任编辑：某某 扫一扫在手机打开当前页"}) + "\n"
    )
    docs, _ = _loaded(path)
    assert docs[0].text.startswith("标题 正文")


# --- bad input -------------------------------------------------------------------------------------


def _zip_bytes(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, content in members.items():
            package.writestr(name, content)
    return buffer.getvalue()


BAD_FILES = [
    ("empty.txt", b"", "empty file"),
    ("blank.txt", " \n\t\r\n\u3000 \n".encode(), "no text found"),
    ("binary.txt", bytes(range(256)) * 8, "binary file"),
    ("notes.xyz", "一、总体要求".encode(), "unsupported file type '.xyz'"),
    ("README", "一、总体要求".encode(), "unsupported file type '(none)'"),
    ("garbage.txt", bytes([0x80, 0xFF, 0xFE, 0x81]) * 64, "cannot decode the text"),
    ("bad-bom.txt", b"\xff\xfe" + b"\x00\xd8" * 8, "not valid utf-16"),
    ("renamed.docx", _zip_bytes({"hello.txt": "hi"}), "not a Word document"),
    ("plain.docx", "这不是docx".encode(), "not a zip package"),
    (
        "script-only.html",
        b"<html><head><script>var a=1;</script></head><body><script>go()</script></body></html>",
        "no text found in this html file",
    ),
]


@pytest.mark.parametrize(("name", "data", "reason"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_file_gives_one_line_problem_and_the_rest_still_loads(make_corpus, name, data, reason):
    root = make_corpus({**GOOD, name: data})
    docs, problems = _loaded(root)
    assert [d.source for d in docs] == ["good.txt"]
    assert len(problems) == 1
    problem = problems[0]
    assert problem.source == name
    assert reason in problem.reason
    assert "\n" not in str(problem) and str(problem).startswith(f"{name}: ")


def test_truncated_pdf_and_pdf_without_text_layer(make_corpus, pdf_bytes):
    whole = pdf_bytes(["1. Strengthen party building."])
    root = make_corpus(
        {**GOOD, "cut.pdf": whole[: len(whole) // 2], "scan.pdf": pdf_bytes(None), "ok.pdf": whole}
    )
    docs, problems = _loaded(root)
    assert [d.source for d in docs] == ["good.txt", "ok.pdf"]
    reasons = {p.source: p.reason for p in problems}
    assert "truncated PDF" in reasons["cut.pdf"]
    assert "no text layer" in reasons["scan.pdf"]


def test_pdf_that_is_not_a_pdf(make_corpus):
    root = make_corpus({"fake.pdf": b"%PDF-1.4\nnot really\n%%EOF\n"})
    _, problems = _loaded(root)
    assert len(problems) == 1 and "broken PDF" in problems[0].reason


def test_jsonl_broken_line_is_reported_by_line_and_the_other_lines_load(tmp_path):
    path = tmp_path / "c.jsonl"
    rows = [
        '{"id": "a", "text": "一、总体要求。"}',
        "{broken",
        '["not an object"]',
        '{"id": "c"}',
        '{"docid": "b", "text": "二"}',
        '{"id": "a", "text": "另一份文件用了同一个编号。"}',
    ]
    path.write_text("\n".join(rows), encoding="utf-8")
    docs, problems = _loaded(path)
    assert [d.source for d in docs] == ["a", "b"]
    assert [p.source for p in problems] == ["c.jsonl:2", "c.jsonl:3", "c.jsonl:4", "c.jsonl:6"]
    assert "broken JSON line" in problems[0].reason
    assert "not a JSON object" in problems[1].reason
    assert "non-empty 'text'" in problems[2].reason
    assert "id 'a' is used by an earlier line" in problems[3].reason


def test_duplicate_document_under_two_names_is_loaded_once(make_corpus):
    root = make_corpus({"a.txt": PLAN, "copy/b.txt": PLAN.replace("\n", "\r\n") + "\n"})
    docs, problems = _loaded(root)
    assert [d.source for d in docs] == ["a.txt"]
    assert [str(p) for p in problems] == [
        "copy/b.txt: same text as a.txt: skipped (remove one of the copies)"
    ]


def test_missing_corpus_path(tmp_path):
    _, problems = _loaded(tmp_path / "nowhere")
    assert len(problems) == 1 and "no such file or folder" in problems[0].reason


def test_undecodable_bytes_raise_a_load_error():
    with pytest.raises(load.LoadError, match="re-save the file as UTF-8"):
        decode_bytes(bytes([0x80, 0xFF]) * 100)


def test_50_mb_text_file_loads_quickly_when_the_character_limit_allows_it(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICY_SEARCH_MAX_CHARS", "30000000")
    line = "1、加强学校德育工作。落实《中小学德育工作指南》，发挥学校主阵地作用。\n".encode()
    path = tmp_path / "huge.txt"
    path.write_bytes(line * (50 * 2**20 // len(line) + 1))
    assert path.stat().st_size > 50 * 2**20
    docs, problems = _loaded(path)
    assert problems == [] and len(docs[0].text) > 17_000_000


def test_file_over_the_size_limit_is_refused_with_its_size(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "MAX_FILE_BYTES", 2**20)
    path = tmp_path / "huge.txt"
    path.write_bytes(b"a" * (3 * 2**20))
    _, problems = _loaded(path)
    assert [str(p) for p in problems] == ["huge.txt: file is 3 MB, over the 1 MB limit: split it"]


# --- the corpus folder is read-only to us ----------------------------------------------------------


def test_parsing_never_writes_into_the_corpus_folder(seed_dir, make_corpus, pdf_bytes):
    bad = {name: data for name, data, _ in BAD_FILES}
    root = make_corpus(
        {**GOOD, **bad, "ok.pdf": pdf_bytes(["1. Plan."]), "c.jsonl": '{"id": "a", "text": "x"}\n{'}
    )
    for folder in (seed_dir, root):
        before = _snapshot(folder)
        list(parse_corpus(folder))
        assert _snapshot(folder) == before
