"""Who leads each task: seed 002's assignments exactly, and phrasings the reader was not written for."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.pipeline import parse_corpus
from search.records import Clause
from search.tasks import assign_tasks, plan_tasks, read_assignments, split_units, tasks_by_lead

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
ALL = "各县(市)区"

# seed 002 (a flattened viewer scrape) closes eleven tasks with 牵头单位/责任单位: six sections of 二 (the
# line follows the section's last item, so it covers the section) and the five items of 四
SEED_002 = {
    "二（一）": (
        ("市教育局",),
        (
            "市委办公室",
            "市委组织部",
            "市委宣传部",
            "市委编办",
            "市政府办",
            "市发改委",
            "市财政局",
            "市人社局",
            ALL,
        ),
    ),
    "二（二）": (("市教育局",), ("市发改委", "市财政局", "市人社局", "市自然资源局", "市住建局", ALL)),
    "二（三）": (
        ("市教育局",),
        (
            "市委宣传部",
            "市发改委",
            "市财政局",
            "市科技局",
            "市公安局",
            "市文广旅游局",
            "市市场监管局",
            "市体育局",
            ALL,
        ),
    ),
    "二（四）": (
        ("市教育局",),
        ("市发改委", "市财政局", "市科技局", "市文广旅游局", "市体育局", "市科协", ALL),
    ),
    "二（五）": (
        ("市教育局",),
        (
            "市发改委",
            "市财政局",
            "市工信局",
            "市经合局",
            "市人社局",
            "市民政局",
            "市农业农村局",
            "市乡村振兴局",
            ALL,
        ),
    ),
    "二（六）": (("市教育局",), ("市委宣传部", "市民政局", "团市委", "市妇联", ALL)),
    "四（一）": (("市教育局",), ("相关责任单位", ALL)),
    "四（二）": (("市财政局",), (ALL,)),
    "四（三）": (("市教育局",), ("市委组织部", "市委编办", "市人社局", ALL)),
    "四（四）": (("市委宣传部",), ("市教育局", ALL)),  # "…责任单位:市教育局。各县(市)区"
    "四（五）": (("市政府办",), ("市教育局", ALL)),
}


@pytest.fixture(scope="module")
def seeds():
    return {p.document.source: p for p in parse_corpus(CORPUS)}


def test_seed_002_every_assignment_is_exact(seeds):
    clauses = seeds["002_0bc6a5b737179746.txt"].clauses
    tasks = plan_tasks(clauses)
    got = {t.address: (t.lead_units, t.responsible_units) for t in tasks}
    assert got == SEED_002
    assert all(t.deadline == "" for t in tasks)


def test_seed_002_a_section_closing_line_covers_the_section_and_nothing_else(seeds):
    clauses = {c.address: c for c in seeds["002_0bc6a5b737179746.txt"].clauses}
    for address in ("二（一）", "二（一）一是", "二（一）五是"):  # where the line lands, and its section
        assert clauses[address].lead_units == ("市教育局",)
        assert "市财政局" in clauses[address].responsible_units
    for address in ("一（一）", "二", "三（一）", "三（三）"):
        assert clauses[address].lead_units == clauses[address].responsible_units == ()
    by_lead = tasks_by_lead(plan_tasks(list(clauses.values())))
    assert [t.address for t in by_lead["市财政局"]] == ["四（二）"]
    assert len(by_lead["市教育局"]) == 8


def test_other_seeds_name_no_units(seeds):
    """重要时间节点， in prose (no colon) and 相关责任单位要… are not labels."""
    for source, parsed in seeds.items():
        if not source.startswith("002"):
            assert not any(c.lead_units or c.responsible_units or c.deadline for c in parsed.clauses)


@pytest.mark.parametrize(
    ("text", "lead", "responsible", "deadline"),
    [
        (  # labels separated by a space, a deadline after a full-width semicolon
            "（三）推进学前教育普惠发展。新建、改扩建公办幼儿园12所。"
            "牵头单位：市教育局 配合单位：市发展改革委、市财政局、市自然资源和规划局；"
            "完成时限：2024年6月底前",
            ("市教育局",),
            ("市发展改革委", "市财政局", "市自然资源和规划局"),
            "2024年6月底前",
        ),
        (  # in brackets at an item's end, units separated by a comma
            "5.落实课后服务经费保障。按照每生每年不低于300元的标准安排课后服务经费（牵头单位：市教育局，"
            "责任单位：各区县）。",
            ("市教育局",),
            ("各区县",),
            "",
        ),
        (  # 县（市、区） keeps its inner 、; 参与单位; 时间节点 before the units
            "12.实施校园安全提升工程。时间节点：2023年12月。牵头部门：县教体局；参与单位：县公安局、"
            "各乡镇（街道）、县（市、区）应急管理局",
            ("县教体局",),
            ("县公安局", "各乡镇（街道）", "县（市、区）应急管理局"),
            "2023年12月",
        ),
        (  # the X牵头，Y配合 form in brackets
            "（二）健全督导问责机制，建立督导结果公开制度（市政府教育督导委员会办公室牵头，市教育局、市财政局配合）。",
            ("市政府教育督导委员会办公室",),
            ("市教育局", "市财政局"),
            "",
        ),
        (  # 由…牵头，…按职责分工负责
            "7.完善控辍保学机制（由县教育局牵头，县财政局、县人社局按职责分工负责）",
            ("县教育局",),
            ("县财政局", "县人社局"),
            "",
        ),
        (  # two lead units, full-width colon with spaces, the next heading glued after
            "牵头单位： 省教育厅、省财政厅 责任单位： 各市（州）人民政府（四）加强师资队伍建设",
            ("省教育厅", "省财政厅"),
            ("各市（州）人民政府",),
            "",
        ),
    ],
)
def test_phrasings_the_reader_was_not_written_for(text, lead, responsible, deadline):
    found = read_assignments(text)
    assert len(found) == 1
    assert (found[0].lead_units, found[0].responsible_units, found[0].deadline) == (
        lead,
        responsible,
        deadline,
    )


def test_a_unit_list_stops_at_the_next_sentence():
    found = read_assignments("牵头单位：市教育局。各学校要结合实际制定本校方案，确保各项任务落到实处。")
    assert [a.lead_units for a in found] == [("市教育局",)]


def test_prose_naming_no_label_gives_nothing():
    for text in (
        "相关责任单位要细化工作措施，分工协作。",
        "依托重要时间节点，配合相关部门加强宣传。",
        "由市教育局牵头组织实施，各县区按要求落实。",  # not a bracket of its own
        "优化政务服务，办理时限：3个工作日。",  # a service's time limit, not a task's deadline
    ):
        assert read_assignments(text) == []


def _clause(seq: int, address: str, path: tuple[str, ...], text: str) -> Clause:
    return Clause(f"c{seq}", "plan.txt", address, path, text, 0, len(text), seq=seq)


def test_a_task_table_reads_each_row_under_its_header():
    header = "序号\t重点任务\t牵头单位（部门）\t配合单位\t完成时限"
    clauses = [
        _clause(0, "三", ("三、重点任务分工",), f"三、重点任务分工\n{header}"),
        _clause(
            1, "段1", ("段1",), "1\t新建公办幼儿园10所\t市教育局\t市发展改革委、市财政局\t2024年12月底前"
        ),
        _clause(2, "段2", ("段2",), "2\t推进集团化办学\t市教育局、各区县政府\t市委编办\t长期坚持"),
    ]
    read = assign_tasks(clauses)
    assert read[0].lead_units == ()
    assert (read[1].lead_units, read[1].responsible_units, read[1].deadline) == (
        ("市教育局",),
        ("市发展改革委", "市财政局"),
        "2024年12月底前",
    )
    assert (read[2].lead_units, read[2].deadline) == (("市教育局", "各区县政府"), "长期坚持")


def test_a_bracketed_assignment_stays_with_its_item():
    section = ("一、主要任务", "（一）学前教育")
    clauses = [
        _clause(0, "一（一）", section, "（一）学前教育。"),
        _clause(1, "一（一）1", (*section, "1.扩大资源"), "1.扩大资源。新建幼儿园。"),
        _clause(2, "一（一）2", (*section, "2.提高质量"), "2.提高质量。开展评估（牵头单位：市教育局）。"),
    ]
    read = assign_tasks(clauses)
    assert [c.lead_units for c in read] == [(), (), ("市教育局",)]


def test_units_are_split_outside_brackets_only():
    assert split_units("市财政局、各县（市、区）,团市委；市妇联") == (
        "市财政局",
        "各县（市、区）",
        "团市委",
        "市妇联",
    )
