"""policy-search web app: a Gradio research interface over the library (search, census, cited answers,
precedent wording, documents and uploads).

    python app.py [--index index] [--corpus corpus] [--uploads uploads] [--host 127.0.0.1] [--port 7860]

Each tab is a thin layer: parse inputs, call the library, render with search.app_views (which escapes all
document text). The model loads in a background thread while the server starts, so the page answers
quickly and the first query waits only for whatever is left of the model load.
"""

import argparse
import os
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from functools import wraps
from pathlib import Path

from search.config import DEFAULT_CORPUS, DEFAULT_INDEX, PROJECT_ROOT, apply_offline_env

apply_offline_env()
STARTED = time.perf_counter()

DEFAULT_UPLOADS = PROJECT_ROOT / "uploads"
READY_TIMEOUT_S = 600
CENSUS_CSV_MAX_AGE_S = 3600  # census downloads older than this are deleted when the next one is written


class Engine:
    """The live Searcher: loaded in the background, used under a lock, swapped after a rebuild.

    The lock runs one library call at a time: on two cores the encoder already uses both, so parallel
    calls would only contend (bench/load_app.py), and a swap after an upload never lands mid-query.
    Uploads, deletions and rebuilds (self.library) build outside it, so searches keep answering from the
    live generation until the new one is swapped in (bench/search_during_upload.py).
    """

    def __init__(self, index_dir: Path, corpus: Path, uploads: Path, read_only: bool = False) -> None:
        from search.uploads import Library

        self.index_dir, self.corpus, self.uploads = Path(index_dir), Path(corpus), Path(uploads)
        self.library = Library(self.index_dir, self.corpus, self.uploads, read_only)
        self._searcher = None
        self._error: str | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self.ready_at: float | None = None

    def start(self) -> None:
        threading.Thread(target=self._load, name="load-index", daemon=True).start()

    def _load(self) -> None:
        try:
            from search.retrieve import Searcher

            if not (self.index_dir / "CURRENT").exists():
                self._first_build()
            self._searcher = Searcher.open(self.index_dir)
            self.ready_at = time.perf_counter()
            print(
                f"index ready: {self._searcher.n_docs} documents "
                f"({self.ready_at - STARTED:.1f}s after start)",
                file=sys.stderr,
                flush=True,
            )
            threading.Thread(target=self._warm, name="load-model", daemon=True).start()
        except Exception as err:  # shown in the page instead of a dead app
            from search.errors import UserError

            self._error = str(err) if isinstance(err, UserError) else f"{type(err).__name__}: {err}"
            print(f"error: {self._error}", file=sys.stderr, flush=True)
        finally:
            self._ready.set()

    def _warm(self) -> None:
        """Load the query encoder now, so the first search does not wait for it (census never needs it)."""
        try:
            self._searcher.encoder  # noqa: B018 (the property loads the model)
            loaded = time.perf_counter() - STARTED
            print(f"model ready ({loaded:.1f}s after start)", file=sys.stderr, flush=True)
        except Exception as err:  # the first search reports it to the user
            print(f"model not loaded: {err}", file=sys.stderr, flush=True)

    def _first_build(self) -> None:
        from search.build import build_index
        from search.encoder import load_encoder

        if not self.corpus.exists():
            from search.errors import UserError

            raise UserError(
                f"no index in {self.index_dir} and no corpus at {self.corpus}: "
                f"build one with 'policy-search build CORPUS --index {self.index_dir}'"
            )
        print(
            f"no index in {self.index_dir}: building it from {self.corpus} (one-time)",
            file=sys.stderr,
            flush=True,
        )
        build_index(self.roots(), self.index_dir, load_encoder(), progress=True)

    def roots(self) -> list[Path]:
        return self.library.roots()

    def searcher(self):
        if not self._ready.wait(READY_TIMEOUT_S):
            raise RuntimeError("the index is still loading")
        if self._error:
            from search.errors import UserError

            raise UserError(f"索引不可用 index unavailable: {self._error}")
        return self._searcher

    @contextmanager
    def use(self):
        searcher = self.searcher()
        with self._lock:
            yield self._searcher or searcher

    def swap(self, searcher) -> None:
        with self._lock:
            self._searcher = searcher


ENGINE: Engine | None = None

# Clicking a [data-copy] button copies its text; clicking a [n] citation opens and shows its clause;
# clicking a cited law (a.cite-link) opens it in the documents tab (through the hidden #open-doc box).
PAGE_JS = """
element.addEventListener('click', (event) => {
  const link = event.target.closest('a.cite-link');
  if (link) {
    event.preventDefault();
    const box = document.querySelector('#open-doc textarea, #open-doc input');
    const button = document.querySelector('#open-doc-btn');
    if (box && button) {
      box.value = link.dataset.doc + '\\n' + (link.dataset.clause || '');
      box.dispatchEvent(new Event('input', {bubbles: true}));
      setTimeout(() => button.click(), 50);
    }
    return;
  }
  const ref = event.target.closest('a[data-cite]');
  if (ref) {
    event.preventDefault();
    const target = element.querySelector('#' + ref.dataset.cite);
    if (target) { target.open = true; target.scrollIntoView({block: 'nearest', behavior: 'smooth'}); }
    return;
  }
  const button = event.target.closest('button[data-copy]');
  if (!button) return;
  const text = button.getAttribute('data-copy');
  const done = () => {
    const label = button.textContent;
    button.textContent = '已复制 ✓';
    setTimeout(() => { button.textContent = label; }, 1200);
  };
  const fallback = () => {
    const area = document.createElement('textarea');
    area.value = text;
    document.body.appendChild(area);
    area.select();
    try { document.execCommand('copy'); done(); } finally { area.remove(); }
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, fallback);
  } else {
    fallback();
  }
});
"""

CSS = """
.gradio-container { max-width: 1280px !important; }
#app-title h1 { font-size: 1.45rem; margin: 0; }
#app-title p { margin: .2rem 0 0; color: var(--body-text-color-subdued); }
#status { font-size: .85rem; color: var(--body-text-color-subdued); }
.summary { margin: .2rem 0 .6rem; color: var(--body-text-color-subdued); font-size: .9rem; }
.empty { padding: 1rem; border: 1px dashed var(--border-color-primary); border-radius: 8px;
         color: var(--body-text-color-subdued); }
.hit-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .75rem .9rem;
            margin-bottom: .7rem; background: var(--background-fill-primary); }
.hit-head { display: flex; gap: .6rem; align-items: baseline; }
.hit-n { font-weight: 700; color: var(--color-accent); min-width: 1.4rem; }
.hit-cite { font-weight: 600; flex: 1; }
.hit-path { color: var(--body-text-color-subdued); font-size: .85rem; margin: .25rem 0 .35rem; }
.hit-text { line-height: 1.75; white-space: pre-wrap; }
.hit-foot { display: flex; gap: 1rem; font-size: .78rem; color: var(--body-text-color-subdued);
            margin-top: .4rem; }
mark { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
mark.shared { background: #bfdbfe; }
mark.used { background: #d9f99d; }
.copy-btn { font-size: .75rem; padding: .1rem .5rem; border: 1px solid var(--border-color-primary);
            border-radius: 4px; background: var(--background-fill-secondary); cursor: pointer;
            white-space: nowrap; }
.copy-btn:hover { border-color: var(--color-accent); }
details.ctx { margin-top: .4rem; font-size: .9rem; }
details.ctx summary { cursor: pointer; color: var(--color-accent); }
.ctx-clause { padding: .25rem .5rem; border-left: 3px solid var(--border-color-primary); margin: .25rem 0;
              color: var(--body-text-color-subdued); white-space: pre-wrap; }
.ctx-clause.own { border-left-color: var(--color-accent); color: var(--body-text-color); }
.addr { font-weight: 600; margin-right: .4rem; color: var(--body-text-color); white-space: nowrap; }
.tree-clause .addr { min-width: 6.5em; }
#census-chart { overflow-x: auto; }
.bar-chart { max-width: 100%; height: auto; font-family: inherit; }
.bar-chart rect { fill: #2563eb; }
.bar-chart .grid { stroke: #e5e7eb; }
.bar-chart .tick, .bar-chart .docs { font-size: 11px; fill: #6b7280; }
.bar-chart .val { font-size: 12px; fill: #111827; font-weight: 600; }
.bar-chart .yr { font-size: 12px; fill: #374151; }
.answer-mode { font-size: .75rem; color: var(--body-text-color-subdued); }
.answer-text { font-size: 1.05rem; line-height: 1.9; }
.cite-ref { text-decoration: none; font-weight: 600; }
.cite-head { margin-top: .6rem; font-weight: 600; }
.cite-list { padding-left: 1.2rem; }
details.cite { margin: .3rem 0; }
details.cite summary { cursor: pointer; }
details.cite[open] { background: var(--background-fill-secondary); border-radius: 6px; padding: .4rem .6rem; }
.cite-tools { display: flex; gap: .8rem; align-items: center; font-size: .78rem; margin-top: .3rem; }
.note { font-size: .85rem; color: #b45309; }
.timeline { border-left: 2px solid var(--border-color-primary); margin-left: 2.6rem; }
.prec-doc { display: flex; gap: 1rem; margin: 0 0 1rem -2.6rem; }
.prec-year { width: 4.6rem; text-align: right; font-weight: 700; color: var(--color-accent); flex: none; }
.prec-body { flex: 1; }
.prec-title { font-weight: 600; margin-bottom: .3rem; }
.prec-clause { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: .5rem .7rem;
               margin-bottom: .4rem; }
.prec-meta { display: flex; gap: .7rem; align-items: baseline; font-size: .85rem; flex-wrap: wrap; }
.shared-n { color: #1d4ed8; }
.doc-meta th { text-align: left; padding-right: 1rem; color: var(--body-text-color-subdued);
               font-weight: 500; }
.prov { font-size: .7rem; color: var(--body-text-color-subdued);
        border: 1px solid var(--border-color-primary); border-radius: 3px; padding: 0 .25rem; }
.tree { margin-top: .6rem; font-size: .9rem; }
.tree-head { padding-left: calc(var(--depth) * 1.3rem); font-weight: 600; margin-top: .35rem; }
.tree-clause { padding-left: calc(var(--depth) * 1.3rem); display: flex; gap: .5rem; line-height: 1.6; }
.tree-own { color: var(--body-text-color); font-weight: 600; }
.tree-text { color: var(--body-text-color-subdued); overflow: hidden; text-overflow: ellipsis;
             white-space: nowrap; }
.problems { color: #b45309; }
.hit-units, .hit-cites { font-size: .85rem; margin-top: .3rem; color: var(--body-text-color-subdued); }
.cite-link { color: var(--color-accent); text-decoration: underline; cursor: pointer; }
.cited-by, .tasks { margin-top: .9rem; font-size: .9rem; }
.cited-by ul, .tasks ul { margin: .2rem 0 .4rem 1.2rem; padding: 0; }
.task-lead { font-weight: 600; margin-top: .4rem; }
.task-units { color: var(--body-text-color-subdued); font-size: .8rem; }
.tree-clause.focus { background: #fef3c7; border-radius: 4px; }
"""

EXAMPLES_SEARCH = ["积极发展普惠性学前教育", "落实“双减”政策，减轻学生作业负担", "教师队伍建设 师德师风"]
EXAMPLES_ASK = ["襄阳市2017年计划新建、改扩建多少所幼儿园？", "如何推进义务教育优质均衡发展？"]


def _views():
    from search import app_views

    return app_views


def friendly(*defaults):
    """Show a user error (bad query, bad filter, unavailable index) as a warning toast, keep the page."""

    def wrap(func):
        @wraps(func)
        def inner(*args, **kwargs):
            import gradio as gr

            from search.errors import UserError

            try:
                return func(*args, **kwargs)
            except UserError as err:
                gr.Warning(str(err))
                return defaults[0] if len(defaults) == 1 else defaults

        return inner

    return wrap


def make_filters(year_from, year_to, issuer, level, source, lead=""):
    from search.filters import Filters

    return Filters.parse(
        _views().year_filter_text(year_from, year_to), issuer or "", level or "", source or "", lead or ""
    )


# ---- handlers --------------------------------------------------------------------------------------


@friendly("", "")
def do_search(query, k, context, by_plan, year_from, year_to, issuer, level, source, lead=""):
    v = _views()
    filters = make_filters(year_from, year_to, issuer, level, source, lead)
    if by_plan:
        from search.plans import plan_view

        with ENGINE.use() as searcher:
            rows = plan_view(searcher, query, k=int(k), filters=filters)
        hits = [h for row in rows for h in row.hits]
        return v.plan_rows_html(query.strip(), rows, v.filters_label(filters)), v.citations_text(hits)
    with ENGINE.use() as searcher:
        hits = searcher.search(query, k=int(k), filters=filters, context=int(context))
    return v.results_html(query.strip(), hits, v.filters_label(filters)), v.citations_text(hits)


def _empty_table(headers):
    import pandas as pd

    return pd.DataFrame(columns=headers)


def do_census(term, year_from, year_to, issuer, level, source, lead=""):
    import gradio as gr
    import pandas as pd

    from search.census import census
    from search.errors import UserError

    v = _views()
    try:
        filters = make_filters(year_from, year_to, issuer, level, source, lead)
        with ENGINE.use() as searcher:
            result = census(searcher, term, filters)
            in_scope = searcher.documents(filters, with_text=False)
    except UserError as err:
        gr.Warning(str(err))
        return "", "", _empty_table(v.CENSUS_HEADERS), gr.update(visible=False)
    summary = v.census_summary_html(result, len(in_scope), v.filters_label(filters))
    chart = v.bar_chart_svg(
        result.mentions_per_year,
        result.documents_per_year,
        years=[d.year for d in in_scope if d.year],
        title=f"“{result.term}” 每年提及次数",
    )
    table = pd.DataFrame(v.census_rows(result), columns=v.CENSUS_HEADERS)
    downloads = Path(os.environ["GRADIO_TEMP_DIR"]) / "census"
    v.prune_folders(downloads, CENSUS_CSV_MAX_AGE_S)
    path = v.write_census_csv(result, downloads / uuid.uuid4().hex[:12])
    return summary, chart, table, gr.update(value=str(path), visible=bool(result.mentions))


@friendly("")
def do_ask(question, k, year_from, year_to, issuer, level, source, lead=""):
    from search.answer import ask

    filters = make_filters(year_from, year_to, issuer, level, source, lead)
    with ENGINE.use() as searcher:
        answer = ask(searcher, question, k=int(k), filters=filters)
    return _views().answer_html(answer)


@friendly("")
def do_similar(draft, k, year_from, year_to, issuer, level, source, lead=""):
    from search.wording import similar

    filters = make_filters(year_from, year_to, issuer, level, source, lead)
    with ENGINE.use() as searcher:
        precedents = similar(searcher, draft, k=int(k), filters=filters)
    return _views().precedents_html(precedents, draft)


@friendly("")
def show_document(source, focus=""):
    """A document's page: 被引用 (for a law), its tasks by lead unit (for a plan), its clause tree with
    the clause ``focus`` (a cited article) marked."""
    if not source:
        return (
            '<div class="empty">在上方选择一份文件查看条款结构。Pick a document to see its clause tree.</div>'
        )
    from search import link_views
    from search.errors import UserError
    from search.links import cited_by
    from search.tasks import plan_tasks

    with ENGINE.use() as searcher:
        try:
            document = searcher.document(source)
        except UserError:
            return '<div class="empty">文件不在索引中。Not in the index.</div>'
        clauses = searcher.clauses_of(source)
        citing = cited_by(searcher, source)
    tasks = link_views.tasks_html(plan_tasks(clauses))
    tree = _views().clause_tree_html(document, clauses, focus=focus or "")
    return link_views.cited_by_html(citing) + tasks + tree


def open_cited(target):
    """A click on a cited document's link (on a card), ``source\\nclause_id``: open the document in the
    documents tab with the cited article marked."""
    import gradio as gr

    source, _, clause_id = (target or "").partition("\n")
    if not source.strip():
        return gr.update(), gr.update(), gr.update()
    return gr.update(value=source.strip()), clause_id.strip(), gr.Tabs(selected="documents")


def catalog_updates():
    """Everything that lists the indexed documents: status line, filter choices (years, issuers,
    documents), the documents table and the document picker."""
    import gradio as gr
    import pandas as pd

    from search.errors import UserError
    from search.filters import lead_units
    from search.link_views import lead_choices
    from search.pipeline import outdated_reader

    v = _views()
    try:
        with ENGINE.use() as searcher:
            documents = searcher.documents(with_text=False)
            units = lead_units(searcher.store.db)
            counts = searcher.clause_counts()
            model = searcher.store.manifest.get("model", "")
            outdated = outdated_reader(searcher.store.manifest, ENGINE.index_dir)
    except UserError as err:
        status = f'<span class="problems">{v.esc(err)}</span>'
        return status, *[gr.update()] * 7
    low, high = v.year_bounds(documents)
    years = f"{low}–{high}" if low else "—"
    status = (
        f"索引 Index：{len(documents)} 份文件 · {sum(counts.values())} 条条款 · 年份 {years} · "
        f"模型 {v.esc(model)} · 索引目录 <code>{v.esc(ENGINE.index_dir)}</code>"
    )
    if outdated:
        status += f'<br><span class="problems">索引需重建 {v.esc(outdated)}</span>'
    doc_choices = [("全部文件 All", ""), *v.document_choices(documents)]
    table = pd.DataFrame(v.documents_rows(documents, counts), columns=v.DOC_HEADERS)
    years = [("不限", ""), *[(str(y), str(y)) for y in sorted({d.year for d in documents if d.year})]]
    return (
        status,
        gr.update(choices=years),
        gr.update(choices=years),
        gr.update(choices=v.issuer_choices(documents)),
        gr.update(choices=doc_choices),
        gr.update(choices=[("全部", ""), *lead_choices(units)]),
        table,
        gr.update(choices=v.document_choices(documents)),
    )


def pick_from_table(event_data=None):
    """Clicking a row of the documents table opens that document (source is the last column)."""
    import gradio as gr

    row = getattr(event_data, "row_value", None)
    return gr.update(value=row[-1]) if row else gr.update()


def add_documents(files, progress=None):
    """Check, save (never overwriting) and index uploaded files, then serve the new index."""
    import gradio as gr

    v = _views()
    if not files:
        ENGINE.library.check_writable()
        gr.Warning("请先选择要上传的文件。Choose files first.")
        return (v.build_report_html(None, [], [], []), gr.update(), *catalog_updates())
    pairs = [(Path(getattr(item, "name", item)), Path(getattr(item, "name", item)).name) for item in files]
    encoder = ENGINE.searcher().encoder
    added = ENGINE.library.add(pairs, encoder, lambda: _publish(encoder), progress)
    html = v.build_report_html(added.report, [p.name for p in added.saved], added.rejected, added.dropped)
    return (html, gr.update(value=None), *catalog_updates())


def rebuild_index(progress=None):
    """Read every file of the corpus and the uploads again into a new index, then reload: what an index
    read by an older reader needs (the status line says so). Stored vectors of unchanged clauses are
    reused, so only the reading and the keyword indexes cost time."""
    v = _views()
    encoder = ENGINE.searcher().encoder
    report = ENGINE.library.rebuild(encoder, lambda: _publish(encoder), progress)
    html = v.build_report_html(report, [], [], [str(problem) for problem in report.problems])
    return (html, *catalog_updates())


def delete_upload(source, progress=None):
    """Move an uploaded file to the trash folder and serve an index without it (vectors reused)."""
    v = _views()
    encoder = ENGINE.searcher().encoder
    deleted = ENGINE.library.delete(source, encoder, lambda: _publish(encoder), progress)
    trashed = deleted.trashed.relative_to(ENGINE.uploads).as_posix()
    html = (
        f"<p>已删除 Deleted <code>{v.esc(deleted.source)}</code>，文件移到 moved to "
        f"<code>{v.esc(ENGINE.uploads.name)}/{v.esc(trashed)}</code>。</p>"
        + v.build_report_html(deleted.report, [], [], [])
    )
    return (html, *catalog_updates())


def upload_choices():
    """The uploaded files the delete picker offers (shipped corpus files are never offered)."""
    import gradio as gr

    return gr.update(choices=ENGINE.library.upload_sources(), value=None)


def _publish(encoder) -> None:
    """Serve the generation just written (called by the library under its build lock)."""
    from search.retrieve import Searcher

    ENGINE.swap(Searcher.open(ENGINE.index_dir, encoder=encoder))


# ---- layout ----------------------------------------------------------------------------------------


def build_ui():
    import gradio as gr

    from search.app_views import CENSUS_HEADERS, DOC_HEADERS, MAX_UPLOAD_BYTES, UPLOAD_TYPES

    def html(**kwargs):
        return gr.HTML(js_on_load=PAGE_JS, **kwargs)

    with gr.Blocks(title="政策文件检索 policy-search") as demo:
        gr.HTML(
            "<h1>教育工作要点 · 政策文件检索</h1><p>Semantic search, term census and cited answers over "
            "Chinese education work plans. 每条结果均注明出处：标题 · 发文机关 · 年份 · 条款。</p>",
            elem_id="app-title",
            js_on_load=None,
        )
        status = gr.HTML(
            "正在加载索引和模型… Loading the index and model…", elem_id="status", js_on_load=None
        )
        with gr.Accordion("筛选范围 Filters（适用于检索、提及、问答、措辞）", open=True), gr.Row():
            year_from = gr.Dropdown(
                label="起始年份 From",
                choices=[("不限", "")],
                value="",
                allow_custom_value=True,
                min_width=120,
            )
            year_to = gr.Dropdown(
                label="截止年份 To", choices=[("不限", "")], value="", allow_custom_value=True, min_width=120
            )
            issuer = gr.Dropdown(
                label="发文机关/地区 Issuer or region",
                choices=[],
                value=None,
                allow_custom_value=True,
                info="可输入任意片段，如 襄阳",
                scale=2,
            )
            level = gr.Dropdown(
                label="级别 Level",
                value="",
                min_width=120,
                choices=[("全部", ""), ("国家级", "国家"), ("省级", "省"), ("市级", "市"), ("县级", "县")]
                + [("区级", "区")],
            )
            source = gr.Dropdown(label="文件 Document", choices=[("全部文件 All", "")], value="", scale=3)
            lead = gr.Dropdown(
                label="牵头单位 Lead unit",
                choices=[("全部", "")],
                value="",
                allow_custom_value=True,
                info="可输入片段，如 财政局",
                scale=2,
                elem_id="lead-filter",
            )
        filters = [year_from, year_to, issuer, level, source, lead]
        open_doc = gr.Textbox(visible="hidden", elem_id="open-doc")
        open_doc_btn = gr.Button(visible="hidden", elem_id="open-doc-btn")

        with gr.Tabs() as tabs:
            with gr.Tab("检索 Search", id="search"):
                with gr.Row():
                    query = gr.Textbox(
                        label="检索词 Query",
                        placeholder="例如：积极发展普惠性学前教育；用引号要求原文出现，如 “双减”",
                        scale=5,
                        elem_id="search-query",
                    )
                    search_btn = gr.Button("检索 Search", variant="primary", scale=1, elem_id="search-btn")
                with gr.Row():
                    k = gr.Slider(1, 50, value=10, step=1, label="结果数 Results (k)")
                    context = gr.Slider(0, 5, value=1, step=1, label="上下文 Context（前后各几条条款）")
                    by_plan = gr.Checkbox(value=False, label="按文件 By plan", elem_id="search-by-plan")
                gr.Examples(EXAMPLES_SEARCH, inputs=query, label="示例 Examples")
                results = html(elem_id="search-results")
                with gr.Accordion("引用列表 Citations（可复制）", open=False):
                    cites = gr.Textbox(
                        show_label=False, lines=4, buttons=["copy"], elem_id="search-citations"
                    )
            with gr.Tab("提及 Census", id="census"):
                with gr.Row():
                    term = gr.Textbox(
                        label="词语 Term",
                        placeholder="例如：双减、集团化办学、课后服务",
                        scale=5,
                        elem_id="census-term",
                    )
                    census_btn = gr.Button("统计 Count", variant="primary", scale=1, elem_id="census-btn")
                census_summary = html(elem_id="census-summary")
                census_chart = html(elem_id="census-chart")
                census_table = gr.Dataframe(
                    headers=CENSUS_HEADERS,
                    interactive=False,
                    wrap=True,
                    column_widths=["8%", "16%", "30%", "8%", "38%"],
                    label="提到该词的文件 Plans that mention it",
                    elem_id="census-table",
                )
                csv_btn = gr.DownloadButton("下载 CSV（含全部匹配条款）", visible=False, elem_id="census-csv")
            with gr.Tab("问答 Ask", id="ask"):
                with gr.Row():
                    question = gr.Textbox(
                        label="问题 Question",
                        placeholder="例如：襄阳市2017年计划新建多少所幼儿园？",
                        scale=5,
                        elem_id="ask-question",
                    )
                    ask_btn = gr.Button("提问 Ask", variant="primary", scale=1, elem_id="ask-btn")
                ask_k = gr.Slider(1, 20, value=6, step=1, label="参考条款数 Clauses to read (k)")
                gr.Examples(EXAMPLES_ASK, inputs=question, label="示例 Examples")
                answer = html(elem_id="ask-answer")
            with gr.Tab("措辞 Wording", id="wording"):
                draft = gr.Textbox(
                    label="草稿句子 Draft sentence",
                    lines=3,
                    elem_id="wording-draft",
                    placeholder="粘贴一句草拟的表述，查看各地各年的类似写法，例如：推动义务教育优质均衡发展",
                )
                with gr.Row():
                    wording_k = gr.Slider(1, 50, value=20, step=1, label="相似条款数 Clauses (k)", scale=4)
                    wording_btn = gr.Button(
                        "查找先例 Find precedents", variant="primary", scale=1, elem_id="wording-btn"
                    )
                precedents = html(elem_id="wording-results")
            with gr.Tab("文档 Documents", id="documents"):
                docs_table = gr.Dataframe(
                    headers=DOC_HEADERS,
                    interactive=False,
                    wrap=True,
                    column_widths=["6%", "5%", "8%", "11%", "25%", "12%", "9%", "6%", "18%"],
                    elem_id="docs-table",
                    label="已编入索引的文件 Indexed plans（点击一行查看条款）",
                )
                doc_pick = gr.Dropdown(
                    label="查看文件 Open a document", choices=[], value=None, elem_id="doc-pick"
                )
                tree = html(elem_id="doc-tree")
                writable = not ENGINE.library.read_only  # read-only: no controls, no events to call
                if writable:
                    with gr.Accordion("添加文件 Add documents", open=False):
                        gr.Markdown(
                            f"支持 {' '.join(UPLOAD_TYPES)}，每个不超过 {MAX_UPLOAD_BYTES // 2**20} MB。"
                            f"文件保存到 `{ENGINE.uploads}`（不会写入语料目录，同名文件自动改名），"
                            "随后增量更新索引（只嵌入新条款）。"
                        )
                        uploads = gr.File(
                            file_count="multiple",
                            file_types=list(UPLOAD_TYPES),
                            label="文件 Files",
                            elem_id="upload-files",
                        )
                        upload_btn = gr.Button(
                            "添加并索引 Add and index", variant="primary", elem_id="upload-btn"
                        )
                        upload_report = html(elem_id="upload-report")
                    with gr.Accordion("重建索引 Rebuild the index", open=False):
                        gr.Markdown(
                            "重新读取语料和上传目录中的全部文件（标题、年份、文号、条款按当前版本重新解析），"
                            "已有的向量复用。Re-reads every file; stored vectors are reused."
                        )
                        rebuild_btn = gr.Button("重建索引 Rebuild", elem_id="rebuild-btn")
                        rebuild_report = html(elem_id="rebuild-report")
                    with gr.Accordion("删除上传文件 Delete an upload", open=False):
                        gr.Markdown(
                            "只能删除上传的文件（随程序提供的语料不能删除）。文件移到上传目录的 `.trash/` "
                            "文件夹，不会被销毁；索引随即更新。Only uploads can be deleted; the file is "
                            "moved to `.trash/`, never destroyed."
                        )
                        delete_pick = gr.Dropdown(
                            label="上传的文件 Uploaded file", choices=[], value=None, elem_id="delete-pick"
                        )
                        delete_btn = gr.Button("删除 Delete", variant="stop", elem_id="delete-btn")
                        delete_report = html(elem_id="delete-report")

        catalog_outputs = [status, year_from, year_to, issuer, source, lead, docs_table, doc_pick]
        search_inputs = [query, k, context, by_plan, *filters]
        gr.on([search_btn.click, query.submit], do_search, search_inputs, [results, cites])
        gr.on(
            [census_btn.click, term.submit],
            do_census,
            [term, *filters],
            [census_summary, census_chart, census_table, csv_btn],
        )
        gr.on([ask_btn.click, question.submit], do_ask, [question, ask_k, *filters], answer)
        wording_btn.click(do_similar, [draft, wording_k, *filters], precedents)
        focus = gr.State("")
        doc_pick.change(show_document, [doc_pick, focus], tree)
        open_doc_btn.click(open_cited, open_doc, [doc_pick, focus, tabs])

        def on_table_select(evt: gr.SelectData):
            return pick_from_table(evt)

        docs_table.select(on_table_select, None, doc_pick)

        if writable:

            @friendly(*[gr.update()] * (2 + len(catalog_outputs)))
            def on_upload(files, progress=gr.Progress(track_tqdm=True)):  # noqa: B008 (Gradio's injection idiom)
                return add_documents(files, progress)

            upload_btn.click(
                on_upload,
                uploads,
                [upload_report, uploads, *catalog_outputs],
                concurrency_limit=1,
                concurrency_id="build",  # one build at a time: a second one waits its turn
                show_progress_on=[upload_report],
            ).then(upload_choices, None, delete_pick)

            @friendly(*[gr.update()] * (1 + len(catalog_outputs)))
            def on_rebuild(progress=gr.Progress(track_tqdm=True)):  # noqa: B008 (Gradio's injection idiom)
                return rebuild_index(progress)

            rebuild_btn.click(
                on_rebuild,
                None,
                [rebuild_report, *catalog_outputs],
                concurrency_limit=1,
                concurrency_id="build",
                show_progress_on=[rebuild_report],
            ).then(upload_choices, None, delete_pick)

            @friendly(*[gr.update()] * (1 + len(catalog_outputs)))
            def on_delete(source, progress=gr.Progress()):  # noqa: B008 (Gradio's injection idiom)
                return delete_upload(source, progress)

            delete_btn.click(
                on_delete,
                delete_pick,
                [delete_report, *catalog_outputs],
                concurrency_limit=1,
                concurrency_id="build",
                show_progress_on=[delete_report],
            ).then(upload_choices, None, delete_pick)
            demo.load(upload_choices, None, delete_pick)
        demo.load(catalog_updates, None, catalog_outputs)
    return demo


def theme():
    import gradio as gr

    cjk = [
        "Noto Sans CJK SC",
        "Source Han Sans SC",
        "PingFang SC",
        "Microsoft YaHei",
        "system-ui",
        "sans-serif",
    ]
    return gr.themes.Default(primary_hue="blue", neutral_hue="slate", font=cjk)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="policy-search web app (Gradio).")
    parser.add_argument(
        "--index", type=Path, default=DEFAULT_INDEX, help="index folder (default: %(default)s)"
    )
    parser.add_argument(
        "--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus folder, read-only (default: %(default)s)"
    )
    parser.add_argument(
        "--uploads", type=Path, default=DEFAULT_UPLOADS, help="where uploads are saved (default: %(default)s)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=7860, help="port (default: %(default)s)")
    parser.add_argument(
        "--mcp",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="serve the data API as MCP tools at /gradio_api/mcp/ (default: on; docs/python-api.md)",
    )
    parser.add_argument(
        "--auth", action="append", default=[], metavar="USER:PASSWORD", help="ask for a login (repeatable)"
    )
    parser.add_argument("--auth-file", type=Path, help="a file of logins, one user:password per line")
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="search only: no upload, deletion or rebuild (docs/deploy.md)",
    )
    return parser.parse_args(argv)


def main(argv=None) -> None:
    global ENGINE
    from search.access import access_from_args, exposure_warning, mcp_setting
    from search.errors import UserError

    args = parse_args(argv)
    try:
        access = access_from_args(args.auth, args.auth_file, args.read_only)
    except UserError as err:
        sys.exit(f"error: {err}")
    mcp, mcp_note = mcp_setting(access, args.mcp)
    for warning in (exposure_warning(args.host, access), mcp_note):
        if warning:
            print(warning, file=sys.stderr, flush=True)
    ENGINE = Engine(args.index.resolve(), args.corpus.resolve(), args.uploads.resolve(), access.read_only)
    import gradio  # noqa: F401  (first, so the page answers as soon as possible)

    ENGINE.start()  # the model and index load in the background while the server starts
    demo = build_ui()
    from search.app_api import register

    register(demo, ENGINE)  # the data API (search, census, ask, …): the only listed endpoints, and MCP tools
    demo.queue(default_concurrency_limit=4)
    demo.launch(
        server_name=args.host,
        server_port=args.port,
        auth=access.auth,
        theme=theme(),
        css=CSS,
        show_error=False,
        max_file_size=_views().MAX_UPLOAD_BYTES,
        ssr_mode=False,
        footer_links=["api", "settings"],
        run_history=False,
        quiet=True,
        prevent_thread_lock=True,
        mcp_server=mcp,  # Gradio prints the MCP URL: http://HOST:PORT/gradio_api/mcp/
    )
    print(
        f"app answering on http://{args.host}:{args.port} ({time.perf_counter() - STARTED:.1f}s after start)",
        file=sys.stderr,
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        demo.close()


if __name__ == "__main__":
    main()
