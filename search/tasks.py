"""Who leads each task: 牵头单位, 责任单位 / 配合单位 / 参与单位 and 完成时限 read from a clause's text.

实施方案-style plans close a task with a line such as ``牵头单位：市教育局；责任单位：市财政局、各县（市）区``
or an item with ``（牵头单位：市教育局，责任单位：各区县）``; task tables carry the same in columns under a
header row. Labels count only when followed by a colon (``重要时间节点，`` in prose is no label), and units
are kept as written (市财政局, 各县(市)区), split on 、，,；;.

Pure functions: :func:`read_assignments` reads one text, :func:`assign_tasks` gives a document's clauses
their fields, :func:`plan_tasks` groups them back into tasks for display.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .records import Clause

TASKS_VERSION = "1"  # bump whenever the same clauses would be given different units

LEAD = "lead"
RESPONSIBLE = "responsible"
DEADLINE = "deadline"
_LABELS = {
    LEAD: ("牵头单位", "牵头部门", "牵头处室"),
    RESPONSIBLE: (
        "责任单位",
        "责任部门",
        "配合单位",
        "配合部门",
        "参与单位",
        "参与部门",
        "协办单位",
        "协同单位",
    ),
    DEADLINE: ("完成时限", "时间节点", "完成时间", "时限要求"),  # not a bare 时限: 办理时限：3个工作日
}
_KIND = {label: kind for kind, labels in _LABELS.items() for label in labels}
_LABEL_RE = re.compile(
    "(" + "|".join(sorted(_KIND, key=len, reverse=True)) + r")[ \t\u3000]*[:：][ \t\u3000]*"
)
# a heading glued after a unit list in flattened text: (三)以构建… / 三、 / 3. (but not 各县(市)区)
_GLUED_HEADING_RE = re.compile(
    r"[（(][一二三四五六七八九十]{1,3}[）)]|[一二三四五六七八九十]{1,3}、|\d{1,2}[、.．](?!\d)"
)
_UNIT_SPLIT_RE = re.compile(r"[、，,；;]+")
_SENTENCE_END = "。！？!?"
MAX_UNIT_CHARS = 30  # longer "units" are prose, not a unit's name
_OPENERS, _CLOSERS = "（(", "）)"
_POSTFIX_RE = re.compile(  # （市教育局牵头，市财政局、市人社局配合）
    r"(?P<lead>[^（）()。；;]{2,60}?)牵头(?:[，,；;](?P<rest>[^（）()。]{2,120}?)"
    r"(?:按职责分工负责|分工负责|配合|参与|协同|协助|负责))?[。]?"
)


@dataclass(frozen=True)
class Assignment:
    """One task's units and deadline as read, with where the reading began and ended in the text."""

    lead_units: tuple[str, ...] = ()
    responsible_units: tuple[str, ...] = ()
    deadline: str = ""
    start: int = 0
    end: int = 0
    bracketed: bool = False  # inside （…）: it belongs to the item it closes, never to a section

    def __bool__(self) -> bool:
        return bool(self.lead_units or self.responsible_units or self.deadline)


def split_units(text: str) -> tuple[str, ...]:
    """Units of a list as written: split on 、，,；; and spaces outside brackets (各县（市、区） is one
    unit) and trimmed; prose-length pieces are dropped."""
    pieces, depth, current = [], 0, []
    for char in text:
        if char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            depth = max(0, depth - 1)
        if depth == 0 and (_UNIT_SPLIT_RE.match(char) or char in " \u3000"):
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
    pieces.append("".join(current))
    units = (u.strip(" \t\u3000。.:：\"'“”") for u in pieces)
    return tuple(u for u in units if u and len(u) <= MAX_UNIT_CHARS)


def read_assignments(text: str) -> list[Assignment]:
    """Every labelled assignment of ``text`` (labels with a colon, then bracketed ``X牵头`` forms) in
    reading order. A label of a kind already taken starts the next assignment."""
    found = _labelled(text) + _postfix(text)
    return sorted(found, key=lambda a: a.start)


def _labelled(text: str) -> list[Assignment]:
    labels = list(_LABEL_RE.finditer(text))
    out: list[Assignment] = []
    current: dict[str, object] = {}
    for i, match in enumerate(labels):
        kind = _KIND[match.group(1)]
        limit = labels[i + 1].start() if i + 1 < len(labels) else len(text)
        bracketed = _bracket_before(text, match.start())
        value, end, closed = _value(text, match.end(), limit, kind, bracketed)
        if current and (kind in current or _gap(text, current["end"], match.start())):
            out.append(_assignment(current))
            current = {}
        if not current:
            current = {"start": match.start(), "bracketed": bracketed}
        current[kind], current["end"] = value, end
        if closed:  # the bracket holding the assignment closed: nothing after it belongs to it
            out.append(_assignment(current))
            current = {}
    if current:
        out.append(_assignment(current))
    return [a for a in out if a]


def _gap(text: str, end: int, start: int) -> bool:
    """Labels of one assignment are separated by punctuation or spaces only."""
    return bool(text[end:start].strip(" \t\u3000;；,，。、"))


def _bracket_before(text: str, at: int) -> bool:
    """Whether the label at ``at`` opens a bracket: （牵头单位：… or （…牵头单位：… within one bracket."""
    depth = 0
    for char in reversed(text[max(0, at - 80) : at]):
        if char in _CLOSERS:
            depth += 1
        elif char in _OPENERS:
            if depth == 0:
                return True
            depth -= 1
        elif char in "\n。":
            return False
    return False


def _value(text: str, start: int, limit: int, kind: str, bracketed: bool) -> tuple[str, int, bool]:
    """The text of a label's value, where it ends, and whether a closing bracket ended it."""
    end, depth, closed = start, 0, False
    while end < limit:
        char = text[end]
        if char in "\n\t":
            break
        if char in _OPENERS:
            if kind != DEADLINE and _GLUED_HEADING_RE.match(text, end):
                break
            depth += 1
        elif char in _CLOSERS:
            if depth == 0:
                closed = bracketed
                break
            depth -= 1
        elif kind == DEADLINE and char in "；;，,":
            break
        elif char in _SENTENCE_END:
            if kind == DEADLINE or not _unit_tail(text, end + 1, limit):
                break
        elif kind != DEADLINE and end > start and _GLUED_HEADING_RE.match(text, end):
            break
        end += 1
    raw = text[start:end]
    if kind == DEADLINE:
        return raw.strip(" \u3000;；,，"), end, closed
    return raw.replace("。", "、"), end, closed


def _unit_tail(text: str, at: int, limit: int) -> bool:
    """After a 。 in a unit list, whether what follows up to the line's end is one more short unit
    (…责任单位:市教育局。各县(市)区 at a task's end) rather than the next sentence."""
    rest = text[at:limit].split("\n", 1)[0]
    stop = _GLUED_HEADING_RE.search(rest, 1)
    rest = rest[: stop.start()] if stop else rest
    return bool(rest.strip()) and len(rest.strip()) <= 12 and not any(c in rest for c in "，,。；;")


def _assignment(fields: dict) -> Assignment:
    return Assignment(
        split_units(str(fields.get(LEAD, ""))),
        split_units(str(fields.get(RESPONSIBLE, ""))),
        str(fields.get(DEADLINE, "")),
        int(fields["start"]),
        int(fields["end"]),
        bool(fields["bracketed"]),
    )


def _postfix(text: str) -> list[Assignment]:
    """（A牵头，B、C配合）: a bracket holding only who leads and who helps, at an item's end or inside it."""
    out = []
    for start, end in _brackets(text):
        inner = text[start + 1 : end]
        match = _POSTFIX_RE.fullmatch(inner)
        if not match or _LABEL_RE.search(inner):
            continue
        lead = split_units(match.group("lead").strip().removeprefix("由"))
        if not lead or any(len(u) > 20 for u in lead):
            continue
        rest = split_units(match.group("rest") or "")
        out.append(Assignment(lead, rest, "", start, end + 1, True))
    return out


def _brackets(text: str) -> list[tuple[int, int]]:
    """(open, close) offsets of outermost bracket pairs."""
    pairs, stack = [], []
    for i, char in enumerate(text):
        if char in _OPENERS:
            stack.append(i)
        elif char in _CLOSERS and stack:
            opened = stack.pop()
            if not stack:
                pairs.append((opened, i))
    return pairs


# ---- tables ----------------------------------------------------------------------------------------


def table_header(line: str) -> dict[str, int] | None:
    """Columns of a task table's header row (cells split by tabs), or None when it is none."""
    cells = [c.strip() for c in line.split("\t")]
    if len(cells) < 2:
        return None
    columns = {}
    for i, cell in enumerate(cells):
        kind = _header_kind(cell)
        if kind and kind not in columns:
            columns[kind] = i
    return {**columns, "cells": len(cells)} if LEAD in columns or RESPONSIBLE in columns else None


def _header_kind(cell: str) -> str:
    """The kind of a header cell: a label, maybe with a short note (牵头单位（部门）, 责任单位：)."""
    cell = re.sub(r"\s+", "", cell)
    for label in sorted(_KIND, key=len, reverse=True):
        if cell.startswith(label) and len(cell) <= len(label) + 6:
            return _KIND[label]
    return ""


def read_table_rows(text: str, header: dict[str, int] | None) -> tuple[list[Assignment], dict | None]:
    """Assignments of the rows of ``text`` under a task table's header (found in it or carried from
    an earlier clause), and the header in force after it."""
    out, offset = [], 0
    for line in text.split("\n"):
        found = table_header(line)
        cells = line.split("\t")
        if found:
            header = found
        elif header and len(cells) == header["cells"]:
            row = Assignment(
                split_units(cells[header[LEAD]]) if LEAD in header else (),
                split_units(cells[header[RESPONSIBLE]]) if RESPONSIBLE in header else (),
                cells[header[DEADLINE]].strip() if DEADLINE in header else "",
                offset,
                offset + len(line),
                True,
            )
            if row:
                out.append(row)
        elif header and line.strip() and len(cells) < 2:
            header = None  # the table ended
        offset += len(line) + 1
    return out, header


# ---- a document's clauses --------------------------------------------------------------------------


def merge(assignments: list[Assignment]) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """(lead units, responsible units, deadline) of several assignments: units once each, in order."""
    lead = tuple(dict.fromkeys(u for a in assignments for u in a.lead_units))
    responsible = tuple(dict.fromkeys(u for a in assignments for u in a.responsible_units))
    deadline = "；".join(dict.fromkeys(a.deadline for a in assignments if a.deadline))
    return lead, responsible, deadline


def assign_tasks(clauses: list[Clause]) -> list[Clause]:
    """The document's clauses (in order) with lead_units, responsible_units and deadline filled.

    A clause's own assignments are its fields. One more rule, for plans that close a section with a
    line of units after its last item (seed 002: ``…五是…。牵头单位:市教育局;责任单位:…`` ends 二（一）):
    an unbracketed assignment at the very end of the last clause of a section, where no other clause of
    that section has one, covers the whole section. A bracketed one belongs to its item alone.
    """
    read: list[list[Assignment]] = []
    header = None
    for clause in clauses:
        rows, header = read_table_rows(clause.text, header)
        read.append(read_assignments(clause.text) + rows)
    read = _share_across_parts(clauses, read)
    fields = [merge(found) for found in read]
    for i, found in enumerate(read):
        if found and _closes_section(clauses[i].text, found):
            members = _section_members(clauses, i)
            if len(members) > 1 and not any(
                read[j] for j in members if clauses[j].address != clauses[i].address
            ):
                for j in members:
                    fields[j] = fields[i]
    return [
        replace(c, lead_units=lead, responsible_units=resp, deadline=deadline)
        for c, (lead, resp, deadline) in zip(clauses, fields, strict=True)
    ]


def _share_across_parts(clauses: list[Clause], read: list[list[Assignment]]) -> list[list[Assignment]]:
    """The parts of one split item share the assignments any of them holds."""
    by_item: dict[tuple, list[Assignment]] = {}
    for clause, found in zip(clauses, read, strict=True):
        if clause.part:
            by_item.setdefault((clause.address, clause.path[:-1]), []).extend(found)
    return [
        by_item[(c.address, c.path[:-1])] if c.part else found for c, found in zip(clauses, read, strict=True)
    ]


def _closes_section(text: str, found: list[Assignment]) -> bool:
    last = found[-1]
    return not last.bracketed and not text[last.end :].strip(" \t\n\u3000。;；")


def _section_members(clauses: list[Clause], at: int) -> list[int]:
    """Indexes of the clauses of the section that clause ``at`` is the last of (its parent heading's
    own clause and every clause under it), or [] when it is not the section's last."""
    parents = clauses[at].path[:-1]
    if not parents:
        return []
    inside = [i for i, c in enumerate(clauses) if c.path[: len(parents)] == parents]
    if not inside or inside[-1] != at:
        return []
    return inside


@dataclass(frozen=True)
class Task:
    """A run of clauses sharing one assignment: where it starts, its heading, who leads, who helps."""

    address: str
    heading: str
    lead_units: tuple[str, ...]
    responsible_units: tuple[str, ...]
    deadline: str
    clauses: tuple[Clause, ...]


def plan_tasks(clauses: list[Clause]) -> list[Task]:
    """The document's tasks, in order: consecutive clauses with the same units and deadline are one."""
    tasks: list[Task] = []
    for clause in clauses:
        key = (clause.lead_units, clause.responsible_units, clause.deadline)
        if not any(key):
            continue
        last = tasks[-1] if tasks else None
        if (
            last
            and (last.lead_units, last.responsible_units, last.deadline) == key
            and _adjacent(last, clause)
        ):
            tasks[-1] = replace(last, clauses=(*last.clauses, clause))
            continue
        heading = clause.path[-1] if clause.path else clause.address
        tasks.append(Task(clause.address, heading, *key, (clause,)))
    return tasks


def _adjacent(task: Task, clause: Clause) -> bool:
    return clause.seq == task.clauses[-1].seq + 1


def tasks_by_lead(tasks: list[Task]) -> dict[str, list[Task]]:
    """Tasks listed under each lead unit (a task led by two units under both); "" for tasks naming
    only responsible units."""
    grouped: dict[str, list[Task]] = {}
    for task in tasks:
        for unit in task.lead_units or ("",):
            grouped.setdefault(unit, []).append(task)
    return grouped
