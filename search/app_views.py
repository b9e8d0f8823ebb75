"""Pure view functions for the app: library results → escaped HTML, table rows, chart SVG.

Pure: each function returns text built from its arguments and nothing else; none reads or writes files,
the index or the clock (the census CSV files are written by search.exports, the documents tab's views
are in search.app_documents). The page's handlers (search.app_handlers) call the library and hand the
results here.

Document text is untrusted (a plan can contain ``<script>`` or ``<img onerror>``), so every string that
comes from a document or a user goes through :func:`esc` before it is placed in HTML, and highlight
spans are applied to the *raw* text segment by segment, each segment escaped on its own, so offsets
stay right and no markup from the text survives.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence

from .records import Clause, Document, Hit, citation

# ---- escaping and highlighting -------------------------------------------------------------------


def esc(text: object) -> str:
    """HTML-escape any value (quotes too, so the result is safe inside attribute values)."""
    return html.escape("" if text is None else str(text), quote=True)


def merge_spans(spans: Iterable[Sequence[int]], length: int) -> list[tuple[int, int]]:
    """Spans clipped to [0, length], empty ones dropped, sorted, overlapping or touching ones merged."""
    clipped = sorted((max(0, int(a)), min(length, int(b))) for a, b in spans)
    merged: list[tuple[int, int]] = []
    for a, b in clipped:
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def highlight(text: str, spans: Iterable[Sequence[int]], css_class: str = "") -> str:
    """``text`` escaped, with each span (offsets into the raw text) wrapped in ``<mark>``."""
    text = text or ""
    opening = f'<mark class="{esc(css_class)}">' if css_class else "<mark>"
    out, pos = [], 0
    for a, b in merge_spans(spans, len(text)):
        out.append(esc(text[pos:a]))
        out.append(f"{opening}{esc(text[a:b])}</mark>")
        pos = b
    out.append(esc(text[pos:]))
    return "".join(out)


def snippet(text: str, limit: int = 60) -> str:
    """The first ``limit`` characters of ``text`` on one line (raw text: escape it where it is shown)."""
    flat = re.sub(r"\s+", " ", text or "").strip()
    return flat if len(flat) <= limit else flat[:limit] + "…"


# ---- citations -----------------------------------------------------------------------------------


def citation_text(document: Document, clause: Clause) -> str:
    """Plain citation for copying: title · issuer · year · address (the library's own format)."""
    return citation(document, clause)


def heading_path(clause: Clause) -> str:
    return " › ".join(p for p in clause.path if p)


def clause_address(clause: Clause) -> str:
    return (clause.address or "—") + (f" 之{clause.part}" if clause.part else "")


def copy_button(text: str, label: str = "复制引用") -> str:
    """A button the page script copies ``data-copy`` from (search/app_static/app.js)."""
    return (
        f'<button type="button" class="copy-btn" data-copy="{esc(text)}" title="Copy citation">'
        f"{esc(label)}</button>"
    )


def citations_text(hits: Sequence[Hit]) -> str:
    """All citations of a result list, numbered, one a line (for the copyable text box)."""
    return "\n".join(f"[{i}] {h.citation}" for i, h in enumerate(hits, 1))


# ---- 检索 search ---------------------------------------------------------------------------------


def filters_label(filters) -> str:
    """Human description of active filters, e.g. 2019–2021 · 襄阳 · 市级 (raw text)."""
    parts = []
    if filters.year_from or filters.year_to:
        a, b = filters.year_from, filters.year_to
        parts.append(str(a) if a == b else f"{a or '…'}–{b or '…'}")
    if filters.issuer:
        parts.append(filters.issuer)
    if filters.level:
        parts.append(f"{filters.level}级")
    if filters.source:
        parts.append(filters.source)
    if filters.lead:
        parts.append(f"牵头 {filters.lead}")
    return " · ".join(parts) if parts else "全部文件"


def year_filter_text(year_from: object, year_to: object) -> str:
    """Text for Filters.parse from two optional year inputs (None, '', a number or a numeric string)."""

    def clean(value: object) -> str:
        if value in (None, ""):
            return ""
        try:
            return str(int(float(value)))
        except (TypeError, ValueError):
            return str(value).strip()

    a, b = clean(year_from), clean(year_to)
    if not a and not b:
        return ""
    if a and b and a == b:
        return a
    return f"{a}-{b}"


def _context_html(hit: Hit, n: int) -> str:
    if not hit.context:
        return ""
    before = [c for c in hit.context if c.seq < hit.clause.seq]
    after = [c for c in hit.context if c.seq > hit.clause.seq]

    def line(c: Clause, own: bool = False) -> str:
        cls = "ctx-clause own" if own else "ctx-clause"
        body = highlight(c.text, hit.highlights) if own else esc(c.text)
        return f'<div class="{cls}"><span class="addr">{esc(clause_address(c))}</span> {body}</div>'

    rows = [line(c) for c in before] + [line(hit.clause, True)] + [line(c) for c in after]
    return (
        f'<details class="ctx" id="ctx-{n}"><summary>'
        f"上下文 Context（前 {len(before)} 条 · 后 {len(after)} 条）</summary>{''.join(rows)}</details>"
    )


def hit_card(hit: Hit, n: object, more: Sequence[Hit] | None = None, css: str = "hit-card") -> str:
    """One result: citation line, heading path, highlighted clause text, its units and citations (links to
    the cited documents), context, copy button, and "该文件更多 N 条".

    ``more``: None shows the plan's count of further clauses as a note; the plan's further hits expand in
    place under the card (:func:`more_hits_html`); an empty sequence shows neither (the plan's count is
    on another card of it, or this card is itself a further hit)."""
    from .link_views import cites_html, units_html  # link_views builds on this module's helpers

    d, c = hit.document, hit.clause
    meta = " · ".join(esc(x) for x in (d.title, d.issuer, d.year or "", clause_address(c)) if x)
    note = _more_html(hit) if more is None else ""
    return (
        f'<article class="{css}" data-source="{esc(d.source)}" data-clause="{esc(c.clause_id)}">'
        f'<header class="hit-head"><span class="hit-n">{n}</span><span class="hit-cite">{meta}</span>'
        f"{copy_button(hit.citation)}</header>"
        f'<div class="hit-path">{esc(heading_path(c))}</div>'
        f'<div class="hit-text">{highlight(c.text, hit.highlights)}</div>'
        f"{units_html(c)}{cites_html(c)}"
        f"{_context_html(hit, n)}"
        '<footer class="hit-foot">'
        f'<span class="score" title="fused score">相关度 {hit.score:.2f}</span>'
        f'<span class="src">{esc(d.source)}</span>{note}</footer>'
        f"{more_hits_html(d.source, hit.plan_more, more or (), n)}"
        "</article>"
    )


def _more_html(hit: Hit) -> str:
    """ "该文件更多 N 条" as a note, where the further hits are not at hand: choosing the plan in the
    文件 filter lists them all (a query inside one plan is not spread over plans)."""
    if not hit.plan_more:
        return ""
    return (
        f'<span class="plan-more" data-source="{esc(hit.document.source)}" '
        f'title="在「文件 Document」筛选中选择此文件可展开全部">该文件更多 {hit.plan_more} 条</span>'
    )


def more_hits_html(source: str, total: int, further: Sequence[Hit], n: object) -> str:
    """ "该文件更多 N 条" that opens in place: the plan's ``further`` hits (best first) as cards in a
    closed <details>, and how many of its ``total`` further clauses are not shown. "" without hits."""
    if not further or not total:
        return ""
    cards = "".join(hit_card(h, f"{n}+{j}", (), "more-card") for j, h in enumerate(further, 1))
    left = total - len(further)
    note = (
        f'<div class="more-note">另有 {left} 条：在「文件 Document」筛选中选择此文件可查看全部。</div>'
        if left > 0
        else ""
    )
    return (
        f'<details class="more-hits" data-source="{esc(source)}"><summary class="plan-more">'
        f"该文件更多 {total} 条</summary>{cards}{note}</details>"
    )


def plan_rows_html(query: str, rows: Sequence, scope: str = "全部文件") -> str:
    """The plan view (按文件): one row per plan, ranked by its best clause, with that clause and the
    next best and their citations; the plan's further clauses open in place under them."""
    if not rows:
        return results_html(query, [], scope)
    head = f'<div class="summary">「{esc(query)}」· {len(rows)} 个文件 plans · 范围 scope：{esc(scope)}</div>'
    out = []
    for n, row in enumerate(rows, 1):
        d = row.document
        title = " · ".join(esc(x) for x in (d.title, d.issuer, d.year or "") if x)
        expand = more_hits_html(d.source, row.more, row.further, n)
        note = f'<span class="plan-more">该文件更多 {row.more} 条</span>' if row.more and not expand else ""
        cards = "".join(hit_card(h, f"{n}.{i}", ()) for i, h in enumerate(row.hits, 1))
        out.append(
            f'<section class="plan-row" data-source="{esc(d.source)}">'
            f'<header class="plan-head"><span class="hit-n">{n}</span>{title}{note}</header>{cards}{expand}'
            "</section>"
        )
    return head + "".join(out)


def results_html(
    query: str,
    hits: Sequence[Hit],
    scope: str = "全部文件",
    further: Mapping[str, Sequence[Hit]] | None = None,
) -> str:
    """The result cards. With ``further`` (source → that plan's further hits, search.plans.further_by_plan)
    the last card of each plan opens them in place; without it each card notes its plan's count."""
    if not hits:
        return (
            f'<div class="empty">在「{esc(scope)}」范围内没有找到与「{esc(query)}」相关的条款。'
            "No matching clauses: widen the filters or rephrase.</div>"
        )
    head = (
        f'<div class="summary">「{esc(query)}」· {len(hits)} 条结果 results · 范围 scope：{esc(scope)}</div>'
    )
    last = {h.document.source: i for i, h in enumerate(hits)}

    def more(i: int, hit: Hit) -> Sequence[Hit] | None:
        if further is None:
            return None
        if last[hit.document.source] != i:
            return ()
        return further.get(hit.document.source) or None

    return head + "".join(hit_card(h, i, more(i - 1, h)) for i, h in enumerate(hits, 1))


# ---- 提及 census ---------------------------------------------------------------------------------

CENSUS_HEADERS = ["年份 Year", "发文机关 Issuer", "标题 Title", "次数 Count", "首次出现 First clause"]


def census_rows(result) -> list[list]:
    """One row per plan that mentions the term: year, issuer, title, count, first clause."""
    rows = []
    for m in result.mentions:
        d = m.document
        if m.clauses:
            first = m.clauses[0]
            where = f"{clause_address(first)}  {snippet(first.text, 50)}"
        else:
            where = "（仅见于标题或未编号正文）"
        rows.append([d.year or "—", d.issuer or d.region or "—", d.title, m.count, where])
    return rows


def bar_chart_svg(
    per_year: dict[int, int],
    docs_per_year: dict[int, int] | None = None,
    years: Iterable[int] | None = None,
    title: str = "",
) -> str:
    """An inline SVG bar chart of counts per year; ``years`` adds zero bars for years with no mention.

    Year 0 (unknown) is shown as 未知 at the end. No scripts, no external resources.
    """
    docs_per_year = docs_per_year or {}
    keys = {int(y) for y in per_year} | {int(y) for y in (years or []) if y}
    known = sorted(y for y in keys if y)
    if known:
        known = list(range(known[0], known[-1] + 1))
    order = known + ([0] if 0 in keys else [])
    if not order:
        return '<div class="chart-empty">无数据 No data</div>'
    top = max([per_year.get(y, 0) for y in order] + [1])
    bar_w, gap, left, chart_h, top_pad, bottom = 44, 18, 36, 180, 30, 40
    width = left + len(order) * (bar_w + gap) + gap
    height = top_pad + chart_h + bottom
    parts = [
        f'<svg class="bar-chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{esc(title or "每年提及次数")}</title>'
    ]
    for tick in sorted({0, top // 2, top}):
        y = top_pad + chart_h - chart_h * tick / top
        parts.append(
            f'<line x1="{left}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{tick}</text>'
        )
    for i, year in enumerate(order):
        value = per_year.get(year, 0)
        h = chart_h * value / top
        x = left + gap + i * (bar_w + gap)
        mid = x + bar_w / 2
        y = top_pad + chart_h - h
        base = top_pad + chart_h
        label = str(year) if year else "未知"
        n_docs = docs_per_year.get(year, 0)
        tip = f"{label}: {value} 次 mentions, {n_docs} 份 plans"
        bar = [
            f'<g class="bar" data-year="{esc(label)}" data-value="{value}"><title>{esc(tip)}</title>',
            f'<rect x="{x}" y="{y:.1f}" width="{bar_w}" height="{max(h, 0):.1f}" rx="3"/>',
            f'<text x="{mid}" y="{base + 18}" text-anchor="middle" class="yr">{esc(label)}</text>',
        ]
        if value:
            bar.append(f'<text x="{mid}" y="{y - 6:.1f}" text-anchor="middle" class="val">{value}</text>')
        if n_docs:
            bar.append(f'<text x="{mid}" y="{base + 33}" text-anchor="middle" class="docs">{n_docs}份</text>')
        parts.append("".join(bar) + "</g>")
    parts.append("</svg>")
    return "".join(parts)


def census_summary_html(result, n_documents: int, scope: str = "全部文件") -> str:
    total = sum(m.count for m in result.mentions)
    if not result.mentions:
        return (
            f'<div class="empty">在「{esc(scope)}」的 {n_documents} 份文件中，'
            f"没有文件提到「{esc(result.term)}」。"
            "No plan mentions this term.</div>"
        )
    return (
        f'<div class="summary">「{esc(result.term)}」见于 {len(result.mentions)} / {n_documents} 份文件，'
        f"共 {total} 次 · 范围 scope：{esc(scope)}</div>"
    )


# ---- 问答 ask ------------------------------------------------------------------------------------


def _sentence_spans(text: str, sentences: Iterable[str]) -> list[tuple[int, int]]:
    spans = []
    for s in sentences:
        start = text.find(s)
        if s and start >= 0:
            spans.append((start, start + len(s)))
    return spans


def answer_html(answer) -> str:
    """Answer text with [n] links; each citation a <details> opening its clause (path + text)."""
    if answer.mode == "none" or not answer.citations:
        note = f'<div class="note">{esc(answer.note)}</div>' if answer.note else ""
        return (
            '<div class="answer none"><p><strong>语料中没有能回答这个问题的条款。</strong> '
            "Nothing in the indexed plans answers this question.</p>"
            "<p>可以换个问法，或到「检索」页直接检索相关条款。</p>" + note + "</div>"
        )
    n_cites = len(answer.citations)

    def ref(match: re.Match) -> str:
        n = int(match.group(1))
        if not 1 <= n <= n_cites:
            return match.group(0)
        return f'<sup><a class="cite-ref" href="#ans-cite-{n}" data-cite="ans-cite-{n}">[{n}]</a></sup>'

    body = re.sub(r"\[(\d+)\]", ref, esc(answer.answer))
    used: dict[int, list[str]] = {}
    for sentence, n in answer.sentences:
        used.setdefault(n, []).append(sentence)
    items = []
    for n, hit in enumerate(answer.citations, 1):
        spans = _sentence_spans(hit.clause.text, used.get(n, []))
        items.append(
            f'<li><details class="cite" id="ans-cite-{n}"><summary><span class="cite-n">[{n}]</span> '
            f"{esc(hit.citation)}</summary>"
            f'<div class="hit-path">{esc(heading_path(hit.clause))}</div>'
            f'<div class="hit-text">{highlight(hit.clause.text, spans, "used")}</div>'
            f'<div class="cite-tools">{copy_button(hit.citation)}'
            f'<span class="src">{esc(hit.document.source)}</span></div>'
            "</details></li>"
        )
    mode = "大模型整理 LLM" if answer.mode == "llm" else "原文摘录 extractive"
    note = f'<div class="note">{esc(answer.note)}</div>' if answer.note else ""
    return (
        f'<div class="answer"><div class="answer-mode">{mode}</div><p class="answer-text">{body}</p>{note}'
        '<div class="cite-head">出处 Sources（点击展开条款）</div>'
        f'<ol class="cite-list">{"".join(items)}</ol></div>'
    )


# ---- 措辞 precedent wording ----------------------------------------------------------------------


def precedents_html(precedents: Sequence, draft: str) -> str:
    """Plans with similar clauses, oldest first; the wording each clause shares with the draft marked."""
    if not precedents:
        return '<div class="empty">没有找到相似的条款。No similar clauses found.</div>'
    groups = []
    for p in precedents:
        d = p.document
        rows = []
        for hit, spans in zip(p.hits, p.shared, strict=True):
            shared = sum(b - a for a, b in merge_spans(spans, len(hit.clause.text)))
            share = shared / max(1, len(hit.clause.text))
            rows.append(
                '<div class="prec-clause"><div class="prec-meta">'
                f'<span class="addr">{esc(clause_address(hit.clause))}</span>'
                f'<span class="hit-path">{esc(heading_path(hit.clause))}</span>'
                '<span class="shared-n" title="characters shared with the draft">'
                f"相同措辞 {shared} 字（{share:.0%}）</span>"
                f"{copy_button(hit.citation)}</div>"
                f'<div class="hit-text">{highlight(hit.clause.text, spans, "shared")}</div></div>'
            )
        groups.append(
            f'<section class="prec-doc" data-source="{esc(d.source)}">'
            f'<div class="prec-year">{esc(d.year or "未知")}</div><div class="prec-body">'
            f'<div class="prec-title">{esc(d.title)} · {esc(d.issuer or d.region)}</div>'
            f"{''.join(rows)}</div></section>"
        )
    n = sum(len(p.hits) for p in precedents)
    head = f'<div class="summary">{len(precedents)} 份文件中的 {n} 条相似条款，按年份排列（oldest first）。'
    head += "</div>"
    return head + '<div class="timeline">' + "".join(groups) + "</div>"
