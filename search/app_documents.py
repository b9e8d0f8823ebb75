"""Pure views of the documents tab: the documents table and pickers, a document's metadata and clause
tree, and what an upload, a rebuild or a deletion did.

Pure, as search.app_views (whose escaping they use): text in, escaped HTML or table rows out; the files
themselves are saved, moved and indexed by search.uploads through search.engine.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .app_views import clause_address, esc, snippet
from .records import Clause, Document

# ---- 文档 documents ------------------------------------------------------------------------------

DOC_HEADERS = [
    "年份 Year",
    "级别 Level",
    "地区 Region",
    "发文机关 Issuer",
    "标题 Title",
    "文号 No.",
    "日期 Date",
    "条款 Clauses",
    "来源 Source",
]


def documents_rows(documents: Sequence[Document], clause_counts: dict[str, int] | None = None) -> list[list]:
    counts = clause_counts or {}
    return [
        [
            d.year or "—",
            d.level or "—",
            d.region or "—",
            d.issuer or "—",
            d.title,
            d.doc_number or "—",
            d.date or "—",
            counts.get(d.source, ""),
            d.source,
        ]
        for d in documents
    ]


def document_label(d: Document) -> str:
    return f"{d.year or '—'} · {d.title} · {d.issuer or d.region or '—'}"


def document_choices(documents: Sequence[Document]) -> list[tuple[str, str]]:
    """Dropdown choices (label, source), newest first."""
    ordered = sorted(documents, key=lambda d: (-(d.year or 0), d.title))
    return [(document_label(d), d.source) for d in ordered]


def issuer_choices(documents: Sequence[Document]) -> list[str]:
    """Distinct issuers and regions, for the issuer/region filter (a substring filter)."""
    names = {x for d in documents for x in (d.issuer, d.region) if x}
    return sorted(names)


def year_bounds(documents: Sequence[Document]) -> tuple[int | None, int | None]:
    years = [d.year for d in documents if d.year]
    return (min(years), max(years)) if years else (None, None)


def document_meta_html(d: Document, n_clauses: int) -> str:
    fields = [
        ("标题 Title", d.title),
        ("发文机关 Issuer", d.issuer),
        ("地区 Region", d.region),
        ("级别 Level", d.level),
        ("年份 Year", d.year or ""),
        ("文号 No.", d.doc_number),
        ("日期 Date", d.date),
        ("来源 Source", d.source),
    ]
    names = {
        "标题 Title": "title",
        "发文机关 Issuer": "issuer",
        "地区 Region": "region",
        "级别 Level": "level",
        "年份 Year": "year",
        "文号 No.": "doc_number",
        "日期 Date": "date",
    }
    rows = []
    for label, value in fields:
        how = d.provenance.get(names.get(label, ""), "")
        badge = {"read": "从正文读取", "given": "目录给定"}.get(how, "")
        tag = f' <span class="prov">{esc(badge)}</span>' if badge and value else ""
        rows.append(f"<tr><th>{esc(label)}</th><td>{esc(value) or '—'}{tag}</td></tr>")
    return (
        f'<table class="doc-meta">{"".join(rows)}<tr><th>条款 Clauses</th><td>{n_clauses}</td></tr></table>'
    )


def clause_tree_html(
    document: Document, clauses: Sequence[Clause], preview: int = 60, focus: str = ""
) -> str:
    """The document's clause tree: headings as they open, then each clause (address, heading, first chars);
    the clause whose id is ``focus`` (a cited article) is marked."""
    out = [document_meta_html(document, len(clauses)), '<div class="tree">']
    open_path: tuple[str, ...] = ()
    for c in clauses:
        parents = tuple(c.path[:-1])
        common = 0
        while common < min(len(parents), len(open_path)) and parents[common] == open_path[common]:
            common += 1
        for depth in range(common, len(parents)):
            out.append(f'<div class="tree-head" style="--depth:{depth}">{esc(parents[depth])}</div>')
        open_path = parents
        depth = len(parents)
        flat = re.sub(r"\s+", " ", c.text).strip()
        own = (c.path[-1] if c.path else "").rstrip("…")
        cut = len(own) if own and flat.startswith(own) else 0  # the item's own heading, shown bold
        shown = snippet(flat, max(preview, cut + 20))
        css = "tree-clause focus" if focus and c.clause_id == focus else "tree-clause"
        out.append(
            f'<div class="{css}" style="--depth:{depth}" data-clause="{esc(c.clause_id)}">'
            f'<span class="addr">{esc(clause_address(c))}</span><span class="tree-text">'
            f'<b class="tree-own">{esc(shown[:cut])}</b>{esc(shown[cut:])}</span></div>'
        )
    if not clauses:
        out.append('<div class="empty">这份文件没有切分出条款。No clauses.</div>')
    out.append("</div>")
    return "".join(out)


# ---- uploads, rebuilds, deletions --------------------------------------------------------------


def build_report_html(report, saved: Sequence[str], rejected: Sequence[str], dropped: Sequence[str]) -> str:
    """What an upload or a rebuild did: files saved, files refused, and the build's counts and problems."""
    parts = []
    if saved:
        parts.append("<p>已保存 Saved：" + "、".join(f"<code>{esc(s)}</code>" for s in saved) + "</p>")
    if report is not None:
        parts.append(
            f"<p>索引已更新 Index rebuilt：{report.n_documents} 份文件，{report.n_clauses} 条条款"
            f"（新嵌入 {report.embedded}，复用 {report.reused}），用时 {report.seconds:.1f} 秒。</p>"
        )
    if rejected or dropped:
        items = "".join(f"<li>{esc(r)}</li>" for r in [*rejected, *dropped])
        parts.append(f'<div class="problems"><p>未编入索引 Not indexed：</p><ul>{items}</ul></div>')
    return '<div class="upload-report">' + "".join(parts) + "</div>"


def deleted_html(source: str, trashed: str, report) -> str:
    """What a deletion did: the upload named ``source`` moved to ``trashed`` (shown as given), the build."""
    return (
        f"<p>已删除 Deleted <code>{esc(source)}</code>，文件移到 moved to <code>{esc(trashed)}</code>。</p>"
        + build_report_html(report, [], [], [])
    )
