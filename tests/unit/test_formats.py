"""The files bureaus publish: Word 97 .doc, Kingsoft .wps, OFD, and PDFs laid out as official documents.

tests/fixtures/plan.doc and tiny.doc were saved as Word 97 by LibreOffice from tests/fixtures/plan-doc.txt
and tiny-doc.txt (the text each holds); OFD packages and PDFs are made by the tests.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from benchmod import bench_module

from search import office
from search.load import iter_corpus, load_file, repair_cjk
from search.pipeline import parse_corpus, parse_raw
from search.records import LoadProblem, RawDoc

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CHROMIUM = "/usr/bin/chromium"
GOOD = {"good.txt": "某市2022年教育工作要点\n一、主要任务\n1、办好人民满意教育。"}
hostile = bench_module("hostile_inputs.py")
needs_antiword = pytest.mark.skipif(
    shutil.which("antiword") is None,
    reason="antiword missing: run scripts/setup.sh (apt-get install antiword)",
)


def _loaded(root: Path) -> tuple[list[RawDoc], list[LoadProblem]]:
    items = list(iter_corpus(root))
    return [i for i in items if isinstance(i, RawDoc)], [i for i in items if isinstance(i, LoadProblem)]


def _expected_lines(name: str) -> list[str]:
    return (FIXTURES / name).read_text(encoding="utf-8").splitlines()


# --- .doc and .wps -----------------------------------------------------------------------------------


@needs_antiword
@pytest.mark.parametrize("suffix", [".doc", ".wps", ".DOC"])
def test_word97_and_wps_give_every_paragraph_and_table_row(tmp_path, suffix):
    path = tmp_path / f"plan{suffix}"
    shutil.copyfile(FIXTURES / "plan.doc", path)
    doc = load_file(path)
    assert doc.fmt == "doc"
    assert doc.text.split("\n") == _expected_lines("plan-doc.txt")
    assert "刘䶮、𠀀等" in doc.text  # GB18030 four-byte and beyond-BMP characters survive


@needs_antiword
def test_a_short_doc_antiword_refuses_is_read_by_catdoc(tmp_path):
    if shutil.which("catdoc") is None:
        pytest.skip("catdoc missing: run scripts/setup.sh (apt-get install catdoc)")
    assert load_file(FIXTURES / "tiny.doc").text.split("\n")[:2] == _expected_lines("tiny-doc.txt")


@needs_antiword
def test_doc_through_the_pipeline_gives_clauses_and_metadata():
    parsed = parse_raw(load_file(FIXTURES / "plan.doc"))
    assert parsed.document.doc_number == "某教发〔2024〕12号"
    assert any(c.text.startswith("1、新建、改扩建公办幼儿园12所") for c in parsed.clauses)


def test_a_docx_or_web_page_saved_under_a_doc_name_is_read_as_what_it_is(tmp_path):
    (tmp_path / "really-docx.doc").write_bytes(hostile.docx_bytes(["一、总体要求", "1、加强党的建设。"]))
    (tmp_path / "page.wps").write_text("<html><body><p>一、总体要求</p><p>2、推进改革。</p></body></html>")
    assert (load_file(tmp_path / "really-docx.doc").fmt, load_file(tmp_path / "page.wps").fmt) == (
        "docx",
        "html",
    )
    assert load_file(tmp_path / "page.wps").text == "一、总体要求\n2、推进改革。"


BROKEN_WORD = [
    ("random.doc", bytes(range(256)) * 40, "not a Word 97-2003 or WPS file"),
    ("rich-text.doc", b"{\\rtf1\\ansi plan}", "an RTF file under a .doc name"),
    ("truncated.doc", (FIXTURES / "plan.doc").read_bytes()[:6000], "cannot read this Word 97-2003 file"),
    ("garbage.wps", office.OLE_MAGIC + bytes(range(256)) * 40, "cannot read this Word 97-2003 file"),
]


@needs_antiword
@pytest.mark.parametrize(("name", "data", "reason"), BROKEN_WORD, ids=[b[0] for b in BROKEN_WORD])
def test_broken_word_file_gives_one_line_and_the_rest_loads(make_corpus, name, data, reason):
    docs, problems = _loaded(make_corpus({**GOOD, name: data}))
    assert [d.source for d in docs] == ["good.txt"]
    assert [p.source for p in problems] == [name]
    assert reason in problems[0].reason and "\n" not in problems[0].reason


def test_missing_antiword_names_the_package_to_install(make_corpus, monkeypatch):
    monkeypatch.setattr(office.shutil, "which", lambda name: None)
    docs, problems = _loaded(make_corpus({**GOOD, "plan.doc": (FIXTURES / "plan.doc").read_bytes()}))
    assert [d.source for d in docs] == ["good.txt"]
    assert "apt-get install antiword" in problems[0].reason


# --- OFD ---------------------------------------------------------------------------------------------

PAGE_1 = [  # (x mm, y mm, text), deliberately out of reading order
    (30, 100, "1、推进学前教育普惠发展，新建幼儿园12所。"),
    (30, 60, "某市教育局关于印发《2024年教育工作要点》的通知"),
    (130, 80, "2024年3月1日"),
    (30, 80, "某教发〔2024〕12号"),
    (100, 280, "— 1 —"),
]
PAGE_2 = [(30, 40, "2、加强教师队伍建设，完成教师培训2000人次。"), (100, 280, "— 2 —")]


def test_ofd_pages_in_order_lines_by_position_and_a_page_break_line(tmp_path):
    path = tmp_path / "notice.ofd"
    path.write_bytes(hostile.ofd_bytes([PAGE_1, PAGE_2], template=[(60, 30, "某市教育局文件")]))
    doc = load_file(path)
    assert doc.fmt == "ofd"
    assert doc.text.split("\n") == [
        "某市教育局文件",
        "某市教育局关于印发《2024年教育工作要点》的通知",
        "某教发〔2024〕12号 2024年3月1日",  # one line: the gap between them becomes one space
        "1、推进学前教育普惠发展，新建幼儿园12所。",
        "— 1 —",
        "\f",
        "某市教育局文件",
        "2、加强教师队伍建设，完成教师培训2000人次。",
        "— 2 —",
    ]


def test_ofd_text_codes_on_one_baseline_join_without_spaces(tmp_path):
    # one character per TextCode, as many producers write CJK text
    chars = [(30 + 5.6 * i, 50, ch) for i, ch in enumerate("推进义务教育优质均衡发展")]
    path = tmp_path / "chars.ofd"
    path.write_bytes(hostile.ofd_bytes([chars]))
    assert load_file(path).text == "推进义务教育优质均衡发展"


def test_ofd_objects_drawn_in_points_through_a_ctm_sort_with_the_others(tmp_path):
    # the second line is drawn in points (1 pt = 0.3528 mm) and scaled by its CTM: y 80 mm = 226.8 pt
    scaled = (
        '<ofd:TextObject ID="50" Boundary="0 0 210 297" Size="16" CTM="0.3528 0 0 0.3528 0 0">'
        '<ofd:TextCode X="85" Y="226.8">2、第二行。</ofd:TextCode></ofd:TextObject>'
    )
    page = hostile.ofd_bytes([[(30, 60, "1、第一行。"), (30, 100, "3、第三行。")]])
    xml = zipfile.ZipFile(io.BytesIO(page)).read("Doc_0/Pages/Page_0/Content.xml").decode()
    path = tmp_path / "ctm.ofd"
    path.write_bytes(
        hostile.ofd_bytes([[]], content_xml={0: xml.replace("</ofd:Layer>", scaled + "</ofd:Layer>")})
    )
    assert load_file(path).text == "1、第一行。\n2、第二行。\n3、第三行。"


ESCAPING_DOCUMENT = '<Document><Pages><Page BaseLoc="../../../../etc/passwd"/></Pages></Document>'
BROKEN_OFD = [
    ("not-zip.ofd", "这不是OFD".encode(), "not a valid .ofd (not a zip package)"),
    ("no-root.ofd", hostile.replace_members(hostile.docx_bytes(["x"]), {}), "not an OFD document"),
    (
        "bad-xml.ofd",
        hostile.ofd_bytes([PAGE_1], content_xml={0: "<ofd:Page xmlns:ofd='x'><unclosed>"}),
        "not well-formed XML",
    ),
    (
        "escape.ofd",  # a page reference that climbs out of the package names no file on disk
        hostile.replace_members(
            hostile.ofd_bytes([PAGE_1]),
            {"Doc_0/Document.xml": ESCAPING_DOCUMENT},
        ),
        "OFD page ../../../etc/passwd is missing",
    ),
]


@pytest.mark.parametrize(("name", "data", "reason"), BROKEN_OFD, ids=[b[0] for b in BROKEN_OFD])
def test_broken_ofd_gives_one_line_and_the_rest_loads(make_corpus, name, data, reason):
    docs, problems = _loaded(make_corpus({**GOOD, name: data}))
    assert [d.source for d in docs] == ["good.txt"]
    assert [p.source for p in problems] == [name]
    assert reason in problems[0].reason and "\n" not in problems[0].reason


# --- PDFs laid out as official documents --------------------------------------------------------------

ITEMS = [f"{n}、推进学前教育普惠发展，新建、改扩建幼儿园{n}所，增加学位{n * 100}个。" for n in range(1, 41)]
OFFICIAL_HTML = f"""<html><head><meta charset="utf-8"><style>
body {{ font-family: 'Noto Serif CJK SC'; font-size: 16pt; }}
.red {{ color: #d00; font-size: 34pt; text-align: center; letter-spacing: 6pt; }}
.num {{ text-align: center; }} hr {{ border: 1px solid #d00; }}
.cc {{ border-top: 1px solid #000; border-bottom: 1px solid #000; margin-top: 2em; }}
</style></head><body>
<div class="red">某市教育局文件</div><div class="num">某教发〔2024〕12号</div><hr>
<h3 style="text-align:center">某市教育局关于印发2024年教育工作要点的通知</h3>
<p>各县（市）区教育局：</p>{"".join(f"<p>{item}</p>" for item in ITEMS)}
<p style="text-align:right">某市教育局<br>2024年3月1日</p>
<div class="cc">抄送：市委办公室，市人大常委会办公室。<br>某市教育局办公室　2024年3月1日印发</div>
</body></html>"""
FOOTER = (
    "<div style='font-size:14pt;width:100%;text-align:center;font-family:Noto Serif CJK SC'>"
    "— <span class='pageNumber'></span> —</div>"
)


@pytest.fixture(scope="module")
def official_pdf() -> bytes:
    """A 公文-style PDF printed by headless Chromium with Noto Serif CJK: red header, 文号, body,
    — N — page numbers in the footer, 抄送/印发 block."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run 'bash scripts/setup.sh --test'")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.set_content(OFFICIAL_HTML)
        pdf = page.pdf(
            format="A4",
            display_header_footer=True,
            header_template="<span></span>",
            footer_template=FOOTER,
            margin={"top": "37mm", "bottom": "35mm", "left": "28mm", "right": "26mm"},
        )
        browser.close()
    return pdf


def test_official_pdf_reads_header_numbers_pages_and_cc_block(tmp_path, official_pdf):
    path = tmp_path / "notice.pdf"
    path.write_bytes(official_pdf)
    lines = load_file(path).text.split("\n")
    pages = lines.count("\f") + 1
    assert pages >= 3
    assert lines[:2] == ["某市教育局文件", "某教发〔2024〕12号"]  # letter-spacing and radicals undone
    assert [line for line in lines if line.startswith("— ")] == [f"— {n} —" for n in range(1, pages + 1)]
    assert lines[-3] == "抄送：市委办公室，市人大常委会办公室。"
    assert lines[-2].split() == ["某市教育局办公室", "2024年3月1日印发"]  # the font's space may differ
    assert not [ch for ch in "".join(lines) if "\u2e80" <= ch <= "\u2fdf"]  # no radicals for ideographs


def test_radicals_and_letter_spacing_from_pdf_fonts_are_undone_and_word_spaces_kept():
    assert repair_cjk("某 市 教 育 局 ⽂ 件") == "某市教育局文件"
    assert repair_cjk("增⻓极，人⺠，第1⻚，⼊学") == "增长极，人民，第1页，入学"
    assert repair_cjk("上传人:夺命阿水 文档编号 中 国 a b c") == "上传人:夺命阿水 文档编号 中 国 a b c"


def test_official_pdf_through_the_pipeline_keeps_every_item(tmp_path, official_pdf):
    path = tmp_path / "notice.pdf"
    path.write_bytes(official_pdf)
    parsed = parse_raw(load_file(path))
    assert parsed.document.doc_number == "某教发〔2024〕12号"
    assert "\f" not in parsed.document.text
    flat = "".join(parsed.document.text.split())
    assert all(item in flat for item in ITEMS)


def test_scanned_pdf_is_named_with_what_to_do(make_corpus, pdf_bytes):
    docs, problems = _loaded(make_corpus({**GOOD, "scan.pdf": pdf_bytes(None)}))
    assert [d.source for d in docs] == ["good.txt"]
    assert problems[0].reason.startswith("PDF has no text layer on any of its 1 pages (a scan?): run OCR")


# --- one corpus, every format ----------------------------------------------------------------------------


@needs_antiword
def test_a_folder_with_every_format_is_parsed(make_corpus, official_pdf):
    files = {
        "a.txt": "某县2023年教育工作要点\n一、总体要求\n1、加强党的建设。",
        "b.docx": hostile.docx_bytes(["某市2023年教育工作要点", "一、总体要求", "1、推进改革。"]),
        "c.doc": (FIXTURES / "plan.doc").read_bytes(),
        "d.wps": (FIXTURES / "plan.doc")
        .read_bytes()
        .replace("刘䶮".encode("utf-16-le"), "张三".encode("utf-16-le")),
        "e.ofd": hostile.ofd_bytes([PAGE_1, PAGE_2]),
        "f.pdf": official_pdf,
        "g.html": "<html><body><p>某区2023年教育工作要点</p><p>1、办好教育。</p></body></html>",
    }
    items = list(parse_corpus(make_corpus(files)))
    assert [i for i in items if isinstance(i, LoadProblem)] == []
    assert [i.document.source for i in items] == sorted(files)
