"""Pure view builders for citations and tasks: a card's cites as links, a law's 被引用 list, a plan's tasks
by lead unit. Kept beside app_views (which is long already) under the same rule: every string from a
document goes through :func:`esc`.

A resolved citation is an ``<a class="cite-link" data-doc=… data-clause=…>``; the page script
(app_static/app.js) turns a click on it into opening that document in the documents tab.
"""

from __future__ import annotations

from collections.abc import Sequence

from .app_views import clause_address, esc, snippet
from .records import Cite, Clause
from .tasks import Task, tasks_by_lead


def cite_label(cite: Cite) -> str:
    """《title》article, as cited."""
    return f"《{cite.title}》{cite.article}"


def cite_html(cite: Cite) -> str:
    """A resolved citation as a link to its document (and article); an unresolved one as text."""
    label = esc(cite_label(cite))
    if not cite.source:
        return f'<span class="cite-plain">{label}</span>'
    where = f"{cite.source} {cite.address}".strip()
    return (
        f'<a class="cite-link" href="#" data-doc="{esc(cite.source)}" data-clause="{esc(cite.clause_id)}" '
        f'title="{esc(where)}">{label}</a>'
    )


def cites_html(clause: Clause) -> str:
    """The clause's citations on one line ("" when it cites nothing)."""
    if not clause.cites:
        return ""
    return f'<div class="hit-cites">引用 Cites：{"、".join(cite_html(c) for c in clause.cites)}</div>'


def units_html(clause: Clause) -> str:
    """A clause's lead and responsible units and deadline on one line ("" when it names none)."""
    parts = []
    if clause.lead_units:
        parts.append(f"牵头 {esc('、'.join(clause.lead_units))}")
    if clause.responsible_units:
        parts.append(f"责任 {esc('、'.join(clause.responsible_units))}")
    if clause.deadline:
        parts.append(f"时限 {esc(clause.deadline)}")
    return f'<div class="hit-units">{" · ".join(parts)}</div>' if parts else ""


def cited_by_html(citing: Sequence) -> str:
    """A law's 被引用 list: each citing clause with its plan, address and the article it cites
    (``citing``: search.links.Citing items). "" when nothing cites it."""
    if not citing:
        return ""
    items = []
    for item in citing:
        d, c = item.document, item.clause
        article = f"（{esc(item.cite.address or item.cite.article)}）" if item.cite.article else ""
        items.append(
            f'<li class="cited-item" data-source="{esc(d.source)}" data-clause="{esc(c.clause_id)}">'
            f'<span class="cited-doc">{esc(d.year or "—")} · {esc(d.title)}</span> '
            f'<span class="addr">{esc(clause_address(c))}</span>{article} '
            f'<span class="tree-text">{esc(snippet(c.text, 80))}</span></li>'
        )
    return (
        f'<section class="cited-by"><div class="cite-head">被引用 Cited by（{len(citing)} 处）</div>'
        f"<ul>{''.join(items)}</ul></section>"
    )


def tasks_html(tasks: Sequence[Task]) -> str:
    """A plan's tasks grouped by lead unit (a task led jointly is listed under each). "" without tasks."""
    if not tasks:
        return ""
    groups = []
    for unit, led in tasks_by_lead(list(tasks)).items():
        rows = "".join(
            f'<li class="task" data-clause="{esc(t.clauses[0].clause_id)}">'
            f'<span class="addr">{esc(t.address or "—")}</span>{esc(snippet(t.heading, 40))}'
            + (
                f' <span class="task-units">责任 {esc("、".join(t.responsible_units))}</span>'
                if t.responsible_units
                else ""
            )
            + (f' <span class="task-units">时限 {esc(t.deadline)}</span>' if t.deadline else "")
            + "</li>"
            for t in led
        )
        name = esc(unit) if unit else "未列牵头单位"
        groups.append(
            f'<div class="task-group"><div class="task-lead">{name}（{len(led)}）</div><ul>{rows}</ul></div>'
        )
    return (
        f'<section class="tasks"><div class="cite-head">任务分工 Tasks by lead unit（{len(tasks)} 项）</div>'
        f"{''.join(groups)}</section>"
    )


def lead_choices(units: Sequence[tuple[str, int]]) -> list[tuple[str, str]]:
    """Choices for the lead-unit filter: (label with its clause count, unit), commonest first."""
    return [(f"{unit}（{n}）", unit) for unit, n in units]
