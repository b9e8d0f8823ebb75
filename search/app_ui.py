"""The web page's layout: Gradio components for each tab, wired to the handlers of one Engine.

``build_ui(engine)`` returns the Blocks (not launched); search.app_server launches it. The page's styles
and script are files beside this module (app_static/app.css, app.js), read when the page is built.
No ``from __future__ import annotations`` here: Gradio reads the event-data annotation of a handler
defined inside build_ui, which a postponed (string) annotation would hide from it.
"""

from functools import cache
from pathlib import Path

from .app_handlers import Handlers, friendly
from .engine import Engine

STATIC = Path(__file__).resolve().parent / "app_static"
EXAMPLES_SEARCH = ["积极发展普惠性学前教育", "落实“双减”政策，减轻学生作业负担", "教师队伍建设 师德师风"]
SEARCH_HINT = "例如：积极发展普惠性学前教育；用引号要求原文出现，如 “双减”"
TERM_HINT = "例如：双减、集团化办学、课后服务"
ASK_HINT = "例如：襄阳市2017年计划新建多少所幼儿园？"
EXAMPLES_ASK = ["襄阳市2017年计划新建、改扩建多少所幼儿园？", "如何推进义务教育优质均衡发展？"]


@cache
def static_text(name: str) -> str:
    """A file of app_static/ (package data, so an installed package finds it too)."""
    return (STATIC / name).read_text(encoding="utf-8")


def page_css() -> str:
    return static_text("app.css")


def page_js() -> str:
    """The script each result box runs on load (copy buttons, [n] citations, cited-law links)."""
    return static_text("app.js")


def build_ui(engine: Engine):
    import gradio as gr

    from .app_documents import DOC_HEADERS
    from .app_views import CENSUS_HEADERS
    from .uploads import MAX_UPLOAD_BYTES, UPLOAD_TYPES

    h = Handlers(engine)
    script = page_js()

    def html(**kwargs):
        return gr.HTML(js_on_load=script, **kwargs)

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
            kind = gr.Dropdown(
                label="类型 Kind",
                value="",
                min_width=120,
                choices=[("全部", ""), ("规划 Plans", "plan"), ("法律法规 Laws", "law")],
                elem_id="kind-filter",
            )
        filters = [year_from, year_to, issuer, level, source, lead, kind]
        open_doc = gr.Textbox(visible="hidden", elem_id="open-doc")
        open_doc_btn = gr.Button(visible="hidden", elem_id="open-doc-btn")

        with gr.Tabs() as tabs:
            with gr.Tab("检索 Search", id="search"):
                query, search_btn = ask_row("检索词 Query", SEARCH_HINT, "search", "检索 Search")
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
                term, census_btn = ask_row("词语 Term", TERM_HINT, "census", "统计 Count", box="census-term")
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
                question, ask_btn = ask_row("问题 Question", ASK_HINT, "ask", "提问 Ask", box="ask-question")
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
                writable = not engine.read_only  # read-only: no controls, no events to call
                if writable:
                    with gr.Accordion("添加文件 Add documents", open=False):
                        gr.Markdown(
                            f"支持 {' '.join(UPLOAD_TYPES)}，每个不超过 {MAX_UPLOAD_BYTES // 2**20} MB。"
                            f"文件保存到 `{engine.uploads}`（不会写入语料目录，同名文件自动改名），"
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
        gr.on([search_btn.click, query.submit], h.do_search, search_inputs, [results, cites])
        gr.on(
            [census_btn.click, term.submit],
            h.do_census,
            [term, *filters],
            [census_summary, census_chart, census_table, csv_btn],
        )
        gr.on([ask_btn.click, question.submit], h.do_ask, [question, ask_k, *filters], answer)
        wording_btn.click(h.do_similar, [draft, wording_k, *filters], precedents)
        focus = gr.State("")
        doc_pick.change(h.show_document, [doc_pick, focus], tree)
        open_doc_btn.click(h.open_cited, open_doc, [doc_pick, focus, tabs])

        def on_table_select(evt: gr.SelectData):  # the annotation, evaluated, asks Gradio for the row
            return h.pick_from_table(evt)

        docs_table.select(on_table_select, None, doc_pick)

        if writable:

            def on_upload(files, progress=gr.Progress(track_tqdm=True)):  # noqa: B008 (Gradio's injection idiom)
                return h.add_documents(files, progress)

            def on_rebuild(progress=gr.Progress(track_tqdm=True)):  # noqa: B008
                return h.rebuild_index(progress)

            def on_delete(source, progress=gr.Progress()):  # noqa: B008
                return h.delete_upload(source, progress)

            builds = (
                (on_upload, upload_btn, uploads, [upload_report, uploads], upload_report),
                (on_rebuild, rebuild_btn, None, [rebuild_report], rebuild_report),
                (on_delete, delete_btn, delete_pick, [delete_report], delete_report),
            )
            for handler, button, inputs, shown, report in builds:
                outputs = [*shown, *catalog_outputs]
                button.click(
                    friendly(*[gr.update()] * len(outputs))(handler),
                    inputs,
                    outputs,
                    concurrency_limit=1,
                    concurrency_id="build",  # one build at a time: a second one waits its turn
                    show_progress_on=[report],
                ).then(h.upload_choices, None, delete_pick)
            demo.load(h.upload_choices, None, delete_pick)
        demo.load(h.catalog_updates, None, catalog_outputs)
    return demo


def ask_row(label: str, placeholder: str, name: str, button: str, box: str = ""):
    """A tab's text box and its button on one row (ids ``box`` or NAME-query, and NAME-btn)."""
    import gradio as gr

    with gr.Row():
        text = gr.Textbox(label=label, placeholder=placeholder, scale=5, elem_id=box or f"{name}-query")
        go = gr.Button(button, variant="primary", scale=1, elem_id=f"{name}-btn")
    return text, go


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
