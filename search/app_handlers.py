"""The web page's handlers, bound to one Engine: parse a tab's inputs, call the library on the engine's
live Searcher, render with the pure views (search.app_views, search.app_documents).

Why a class: the page and its handlers serve the engine the entry point made (app.py, `policy-search
app`), never a module-global one, so two apps or two tests never share an index by accident. The
method names are the page's event names (``/do_search``, ``/do_census``, … for gradio_client and
bench/load_app.py).
"""

from __future__ import annotations

import os
import uuid
from functools import wraps
from pathlib import Path

from . import app_documents as docs
from . import app_views as v
from .engine import Engine
from .errors import UserError
from .filters import Filters

NO_DOCUMENT = "在上方选择一份文件查看条款结构。Pick a document to see its clause tree."
CENSUS_CSV_MAX_AGE_S = 3600  # census downloads older than this are deleted when the next one is written


def friendly(*defaults):
    """Show a user error (bad query, bad filter, unavailable index) as a warning toast, keep the page."""

    def wrap(func):
        @wraps(func)
        def inner(*args, **kwargs):
            import gradio as gr

            try:
                return func(*args, **kwargs)
            except UserError as err:
                gr.Warning(str(err))
                return defaults[0] if len(defaults) == 1 else defaults

        return inner

    return wrap


def make_filters(year_from, year_to, issuer, level, source, lead="", kind="") -> Filters:
    year = v.year_filter_text(year_from, year_to)
    return Filters.parse(year, issuer or "", level or "", source or "", lead or "", kind or "")


class Handlers:
    """Every event of the page, on ``engine``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ---- the search tabs --------------------------------------------------------------------------
    @friendly("", "")
    def do_search(
        self, query, k, context, by_plan, year_from, year_to, issuer, level, source, lead="", kind=""
    ):
        """Result cards (or one row per plan) and the citations; each plan's further hits open in place."""
        from .plans import plan_view, search_with_further

        filters = make_filters(year_from, year_to, issuer, level, source, lead, kind)
        if by_plan:
            with self.engine.use() as searcher:
                rows = plan_view(searcher, query, k=int(k), filters=filters)
            hits = [h for row in rows for h in row.hits]
            return v.plan_rows_html(query.strip(), rows, v.filters_label(filters)), v.citations_text(hits)
        with self.engine.use() as searcher:
            hits, further = search_with_further(searcher, query, int(k), filters, int(context))
        return v.results_html(query.strip(), hits, v.filters_label(filters), further), v.citations_text(hits)

    def do_census(self, term, year_from, year_to, issuer, level, source, lead="", kind=""):
        import gradio as gr
        import pandas as pd

        from .census import census
        from .exports import prune_folders, write_census_csv

        try:
            filters = make_filters(year_from, year_to, issuer, level, source, lead, kind)
            with self.engine.use() as searcher:
                result = census(searcher, term, filters)
                in_scope = searcher.documents(filters, with_text=False)
        except UserError as err:
            gr.Warning(str(err))
            return "", "", pd.DataFrame(columns=v.CENSUS_HEADERS), gr.update(visible=False)
        summary = v.census_summary_html(result, len(in_scope), v.filters_label(filters))
        chart = v.bar_chart_svg(
            result.mentions_per_year,
            result.documents_per_year,
            years=[d.year for d in in_scope if d.year],
            title=f"“{result.term}” 每年提及次数",
        )
        table = pd.DataFrame(v.census_rows(result), columns=v.CENSUS_HEADERS)
        downloads = Path(os.environ["GRADIO_TEMP_DIR"]) / "census"
        prune_folders(downloads, CENSUS_CSV_MAX_AGE_S)
        path = write_census_csv(result, downloads / uuid.uuid4().hex[:12])
        return summary, chart, table, gr.update(value=str(path), visible=bool(result.mentions))

    @friendly("")
    def do_ask(self, question, k, year_from, year_to, issuer, level, source, lead="", kind=""):
        from .answer import ask

        filters = make_filters(year_from, year_to, issuer, level, source, lead, kind)
        with self.engine.use() as searcher:
            answer = ask(searcher, question, k=int(k), filters=filters)
        return v.answer_html(answer)

    @friendly("")
    def do_similar(self, draft, k, year_from, year_to, issuer, level, source, lead="", kind=""):
        from .wording import similar

        filters = make_filters(year_from, year_to, issuer, level, source, lead, kind)
        with self.engine.use() as searcher:
            precedents = similar(searcher, draft, k=int(k), filters=filters)
        return v.precedents_html(precedents, draft)

    # ---- the documents tab ------------------------------------------------------------------------
    @friendly("")
    def show_document(self, source, focus=""):
        """A document's page: 被引用 (for a law), its tasks by lead unit (for a plan), its clause tree with
        the clause ``focus`` (a cited article) marked."""
        if not source:
            return f'<div class="empty">{NO_DOCUMENT}</div>'
        from . import link_views
        from .links import cited_by
        from .tasks import plan_tasks

        with self.engine.use() as searcher:
            try:
                document = searcher.document(source)
            except UserError:
                return '<div class="empty">文件不在索引中。Not in the index.</div>'
            clauses = searcher.clauses_of(source)
            citing = cited_by(searcher, source)
        tasks = link_views.tasks_html(plan_tasks(clauses))
        tree = docs.clause_tree_html(document, clauses, focus=focus or "")
        return link_views.cited_by_html(citing) + tasks + tree

    @staticmethod
    def open_cited(target):
        """A click on a cited document's link (on a card), ``source\\nclause_id``: open the document in the
        documents tab with the cited article marked."""
        import gradio as gr

        source, _, clause_id = (target or "").partition("\n")
        if not source.strip():
            return gr.update(), gr.update(), gr.update()
        return gr.update(value=source.strip()), clause_id.strip(), gr.Tabs(selected="documents")

    def catalog_updates(self):
        """Everything that lists the indexed documents: status line, filter choices (years, issuers,
        documents, lead units), the documents table and the document picker."""
        import gradio as gr
        import pandas as pd

        from .link_views import lead_choices
        from .pipeline import outdated_reader

        engine = self.engine
        try:
            with engine.use() as searcher:
                documents = searcher.documents(with_text=False)
                units = searcher.catalogue.lead_units()
                counts = searcher.clause_counts()
                model = searcher.store.manifest.get("model", "")
                outdated = outdated_reader(searcher.store.manifest, engine.index_dir)
        except UserError as err:
            return f'<span class="problems">{v.esc(err)}</span>', *[gr.update()] * 7
        low, high = docs.year_bounds(documents)
        status = (
            f"索引 Index：{len(documents)} 份文件 · {sum(counts.values())} 条条款 · "
            f"年份 {f'{low}–{high}' if low else '—'} · "
            f"模型 {v.esc(model)} · 索引目录 <code>{v.esc(engine.index_dir)}</code>"
        )
        if outdated:
            status += f'<br><span class="problems">索引需重建 {v.esc(outdated)}</span>'
        years = [("不限", ""), *[(str(y), str(y)) for y in sorted({d.year for d in documents if d.year})]]
        return (
            status,
            gr.update(choices=years),
            gr.update(choices=years),
            gr.update(choices=docs.issuer_choices(documents)),
            gr.update(choices=[("全部文件 All", ""), *docs.document_choices(documents)]),
            gr.update(choices=[("全部", ""), *lead_choices(units)]),
            pd.DataFrame(docs.documents_rows(documents, counts), columns=docs.DOC_HEADERS),
            gr.update(choices=docs.document_choices(documents)),
        )

    @staticmethod
    def pick_from_table(event_data=None):
        """Clicking a row of the documents table opens that document (source is the last column)."""
        import gradio as gr

        row = getattr(event_data, "row_value", None)
        return gr.update(value=row[-1]) if row else gr.update()

    # ---- uploads, rebuilds, deletions (the engine builds and swaps; these report) ------------------
    def add_documents(self, files, progress=None):
        """Check, save (never overwriting) and index uploaded files, then serve the new index."""
        import gradio as gr

        if not files:
            self.engine.check_writable()
            gr.Warning("请先选择要上传的文件。Choose files first.")
            return (docs.build_report_html(None, [], [], []), gr.update(), *self.catalog_updates())
        paths = [Path(getattr(item, "name", item)) for item in files]
        added = self.engine.add([(path, path.name) for path in paths], progress)
        html = docs.build_report_html(
            added.report, [p.name for p in added.saved], added.rejected, added.dropped
        )
        return (html, gr.update(value=None), *self.catalog_updates())

    def rebuild_index(self, progress=None):
        """Read every file of the corpus and the uploads again into a new index, then serve it: what an
        index read by an older reader needs (the status line says so)."""
        report = self.engine.rebuild(progress)
        html = docs.build_report_html(report, [], [], [str(problem) for problem in report.problems])
        return (html, *self.catalog_updates())

    def delete_upload(self, source, progress=None):
        """Move an uploaded file to the trash folder and serve an index without it (vectors reused)."""
        deleted = self.engine.delete(source, progress)
        uploads = self.engine.uploads
        trashed = f"{uploads.name}/{deleted.trashed.relative_to(uploads).as_posix()}"
        return (docs.deleted_html(deleted.source, trashed, deleted.report), *self.catalog_updates())

    def upload_choices(self):
        """The uploaded files the delete picker offers (shipped corpus files are never offered)."""
        import gradio as gr

        return gr.update(choices=self.engine.upload_sources(), value=None)
