"""Bounded reading: each hostile or oversized input of docs/hostile-inputs.md is refused (or read) within
its limits, with one line naming the file, the limit and the setting that raises it; the rest of the
corpus still loads. Files are small: each test lowers the limit it exercises through its setting."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from benchmod import bench_module

from search import limits
from search.load import iter_corpus, load_file
from search.office import run_tool
from search.pipeline import parse_corpus
from search.records import LoadProblem, RawDoc

hostile = bench_module("hostile_inputs.py")
GOOD = {"good.txt": "某市2022年教育工作要点\n一、主要任务\n1、办好人民满意教育。"}


def _problems(root: Path) -> tuple[list[str], dict[str, str]]:
    items = list(parse_corpus(root))
    kept = [i.document.source for i in items if not isinstance(i, LoadProblem)]
    return kept, {p.source: p.reason for p in items if isinstance(p, LoadProblem)}


def _refused(make_corpus, name: str, data: bytes | str, *, env: str | None) -> str:
    """The one-line reason ``name`` was refused, after checking the good file still loaded."""
    kept, problems = _problems(make_corpus({**GOOD, name: data}))
    assert kept == ["good.txt"]
    assert list(problems) == [name]
    reason = problems[name]
    assert "\n" not in reason
    if env:
        assert f"(set {env} to raise it)" in reason
    return reason


def test_zip_bomb_docx_is_refused_by_its_inflated_size(make_corpus, monkeypatch):
    monkeypatch.setenv("POLICY_SEARCH_MAX_UNZIPPED_MB", "2")
    monkeypatch.setenv("POLICY_SEARCH_MAX_ZIP_RATIO", "100000")  # so the size check is the one that fires
    bomb = hostile.zip_bomb_docx(1000)  # 3 MB of document.xml
    reason = _refused(make_corpus, "bomb.docx", bomb, env="POLICY_SEARCH_MAX_UNZIPPED_MB")
    assert reason.startswith("zip package declares 3.7 MB unzipped, over the limit of 2 MB unzipped")


def test_zip_bomb_docx_is_refused_by_its_ratio_at_the_default_limits(make_corpus):
    bomb = hostile.zip_bomb_docx(2000)  # 6 MB from a few kilobytes
    reason = _refused(make_corpus, "bomb.docx", bomb, env="POLICY_SEARCH_MAX_ZIP_RATIO")
    assert reason.startswith("zip member word/document.xml inflates at least")


def test_zip_member_sizes_are_counted_not_trusted(make_corpus, monkeypatch):
    """Declared sizes can be small while the members inflate past the limit: the real count stops it."""
    monkeypatch.setenv("POLICY_SEARCH_MAX_UNZIPPED_MB", "2")
    monkeypatch.setenv("POLICY_SEARCH_MAX_ZIP_RATIO", "100000")
    liar = hostile.lying_sizes_docx(1000)  # document.xml declared as 1 byte, inflating to 3 MB
    reason = _refused(make_corpus, "liar.docx", liar, env=None)
    assert reason.startswith("damaged zip member word/document.xml (Bad CRC-32")


def test_a_zip_of_too_many_members_is_refused(make_corpus, monkeypatch):
    monkeypatch.setenv("POLICY_SEARCH_MAX_ZIP_MEMBERS", "50")
    reason = _refused(
        make_corpus, "many.docx", hostile.many_members_zip(100), env="POLICY_SEARCH_MAX_ZIP_MEMBERS"
    )
    assert reason.startswith("zip package holds 101 members, over the limit of 50 members")


@pytest.mark.parametrize("name", ["bomb.docx", "bomb.ofd"])
def test_xml_entity_bomb_is_refused_before_parsing(make_corpus, name):
    data = hostile.entity_bomb_docx() if name.endswith("docx") else hostile.entity_bomb_ofd()
    start = time.perf_counter()
    reason = _refused(make_corpus, name, data, env=None)
    assert time.perf_counter() - start < 10
    assert "declares a DOCTYPE (entity definitions are not read)" in reason


def test_pdf_with_10000_pages_is_refused_before_any_page_is_read(make_corpus):
    reason = _refused(make_corpus, "pages.pdf", hostile.many_pages_pdf(10_000), env="POLICY_SEARCH_MAX_PAGES")
    assert reason.startswith("PDF has 10,000 pages, over the limit of 3,000 pages")


def test_pdf_pages_are_separated_by_a_form_feed_line(tmp_path):
    path = tmp_path / "three.pdf"
    path.write_bytes(hostile.many_pages_pdf(3))
    assert load_file(path).text.split("\n") == ["1. Page text.", "\f"] * 2 + ["1. Page text."]


def test_pdf_characters_are_bounded_while_extracting(make_corpus, monkeypatch):
    monkeypatch.setenv("POLICY_SEARCH_MAX_CHARS", "100")
    reason = _refused(make_corpus, "pages.pdf", hostile.many_pages_pdf(50), env="POLICY_SEARCH_MAX_CHARS")
    assert reason.startswith("document has more than")


def test_docx_characters_are_bounded_while_reading_paragraphs(make_corpus, monkeypatch):
    monkeypatch.setenv("POLICY_SEARCH_MAX_CHARS", "5000")
    data = hostile.docx_bytes(["1、推进学前教育普惠发展。"] * 2500)
    reason = _refused(make_corpus, "long.docx", data, env="POLICY_SEARCH_MAX_CHARS")
    assert reason.startswith("document has more than 14,000 characters, over the limit of 5,000")


def test_text_over_the_character_limit_is_refused_without_decoding(make_corpus, monkeypatch):
    monkeypatch.setenv("POLICY_SEARCH_MAX_CHARS", "100000")
    reason = _refused(make_corpus, "big.txt", hostile.one_line_text(1), env="POLICY_SEARCH_MAX_CHARS")
    size = (make_corpus({}) / "big.txt").stat().st_size
    assert reason.startswith(f"document has more than {size // 4:,} characters, over the limit of 100,000")


def test_text_just_over_the_character_limit_is_refused_after_decoding(make_corpus, monkeypatch):
    monkeypatch.setenv("POLICY_SEARCH_MAX_CHARS", "1000")
    reason = _refused(make_corpus, "plan.txt", "一" * 1001, env="POLICY_SEARCH_MAX_CHARS")
    assert reason == (
        "document has 1,001 characters, over the limit of 1,000 characters "
        "(set POLICY_SEARCH_MAX_CHARS to raise it)"
    )


def test_default_character_limit_refuses_a_200_mb_text_at_once(tmp_path):
    path = tmp_path / "huge.txt"
    path.write_bytes(hostile.one_line_text(20))  # 20 MB: enough to be over 4 bytes × 2,000,000 characters
    start = time.perf_counter()
    with pytest.raises(limits.LoadError, match="over the limit of 2,000,000 characters"):
        load_file(path)
    assert time.perf_counter() - start < 1


def test_a_document_of_one_long_line_is_read_whole(tmp_path):
    path = tmp_path / "line.txt"
    path.write_bytes(hostile.one_line_text(0.5))
    items = list(parse_corpus(path))
    assert len(items) == 1 and not isinstance(items[0], LoadProblem)
    flat = "".join(c.text for c in items[0].clauses)
    assert flat.count("增加学位7000个") == path.read_text(encoding="utf-8").count("增加学位7000个")


def test_clauses_are_bounded_after_chunking(make_corpus, monkeypatch):
    monkeypatch.setenv("POLICY_SEARCH_MAX_CLAUSES", "20")
    items = "\n".join(f"{n}、推进第{n}项任务。" for n in range(1, 40))
    reason = _refused(
        make_corpus, "many.txt", f"某县2023年教育工作要点\n{items}", env="POLICY_SEARCH_MAX_CLAUSES"
    )
    assert reason.startswith("document has 39 clauses, over the limit of 20 clauses")


def test_jsonl_record_over_the_limit_is_refused_and_the_others_load(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICY_SEARCH_MAX_CHARS", "50")
    path = tmp_path / "c.jsonl"
    rows = [{"id": "a", "text": "一、总体要求。"}, {"id": "b", "text": "二" * 51}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    items = list(iter_corpus(path))
    assert [i.source for i in items if isinstance(i, RawDoc)] == ["a"]
    assert [str(i) for i in items if isinstance(i, LoadProblem)] == [
        "c.jsonl:2: document has 51 characters, over the limit of 50 characters "
        "(set POLICY_SEARCH_MAX_CHARS to raise it)"
    ]


def test_reading_time_budget_stops_a_slow_file_and_the_rest_loads(make_corpus, monkeypatch):
    monkeypatch.setenv("POLICY_SEARCH_MAX_READ_SECONDS", "0.2")
    start = time.perf_counter()
    reason = _refused(make_corpus, "slow.pdf", hostile.many_pages_pdf(1000), env=None)  # 4 s to read
    assert time.perf_counter() - start < 2.5
    assert reason.startswith("reading took over 0.2 seconds and was stopped")
    assert "POLICY_SEARCH_MAX_READ_SECONDS" in reason


def test_a_reader_program_is_killed_at_the_end_of_the_budget():
    start = time.perf_counter()
    with pytest.raises(limits.LoadError, match="reading took over 0.3 seconds"):
        run_tool(["sleep", "30"], limits.Budget(0.3))
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("value", ["", "abc", "-5", "0"])
def test_a_setting_that_is_not_a_positive_number_keeps_the_default(monkeypatch, value):
    monkeypatch.setenv("POLICY_SEARCH_MAX_CHARS", value)
    assert limits.MAX_CHARS.value() == 2_000_000


def test_defaults_are_far_above_the_largest_real_documents(seeds):
    """Seeds (the shipped plans): under 10,000 characters and 60 clauses each; the limits hold 200×."""
    assert max(len(s.document.raw) for s in seeds.values()) * 200 < limits.MAX_CHARS.value()
    assert max(len(s.clauses) for s in seeds.values()) * 300 < limits.MAX_CLAUSES.value()
