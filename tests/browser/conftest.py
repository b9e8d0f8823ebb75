"""Browser-tier fixtures: the shipped corpus plus a hostile plan, indexed with the real default model, served
by app.py in a subprocess and driven with Debian's Chromium through Playwright.

The index is built in a temporary folder. When the project's own index/ exists it is copied there first,
so the build reuses its embeddings (the library re-embeds only new or changed clauses) and the suite
stays fast; without it the build embeds everything (about a minute on two cores).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from benchmod import bench_module
from shipped import copy_plans

from search.config import apply_offline_env

apply_offline_env()

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
START_TIMEOUT_S = 120
READY_TEXT = "份文件"  # the status line once the index is loaded

# A plan whose text tries every way of running script in the page; it must show as plain text.
HOSTILE_NAME = "hostile_2024.txt"
HOSTILE_TEXT = """测试县2024年教育工作要点
测试县教育局
一、校园安全<b onmouseover="window.__pwned=1">加粗</b>
（一）安全管理
1、加强校园安全管理<script>window.__pwned=1</script>，落实校园安全责任制，开展安全隐患排查整治。
2、开展网络安全教育<img src=x onerror="window.__pwned=1">，提升师生网络安全素养和防范意识。
3、完善安全评估机制${window.__pwned=1}，建立{{constructor.constructor('window.__pwned=1')()}}校园安全风险台账。
二、重点任务
（一）推进义务教育优质均衡发展
4、实施义务教育薄弱环节改善与能力提升工程，新建、改扩建中小学校舍3万平方米。
5、落实“双减”政策，规范校外培训机构，提升课后服务质量，课后服务覆盖率达到100%。
（二）加强教师队伍建设
6、开展师德师风专题教育，完成县级教师培训2000人次。
"""


@dataclass
class AppServer:
    url: str
    corpus: Path
    uploads: Path
    index: Path
    log: Path
    encoder: object
    hostile: str = HOSTILE_NAME  # source of the hostile plan

    def searcher(self):
        """A library Searcher over the app's current index (for expected values)."""
        from search.retrieve import Searcher

        return Searcher.open(self.index, encoder=self.encoder)


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    from search.build import build_index
    from search.encoder import load_encoder

    root = tmp_path_factory.mktemp("app")
    corpus, uploads, index = root / "corpus", root / "uploads", root / "index"
    copy_plans(corpus)  # the plans the browser tests judge (the laws beside them are tested apart)
    (corpus / HOSTILE_NAME).write_text(HOSTILE_TEXT, encoding="utf-8")
    if (ROOT / "index" / "CURRENT").is_file():
        shutil.copytree(ROOT / "index", index)  # embeddings to reuse; the build replaces the generation
    encoder = load_encoder()
    build_index([corpus, uploads], index, encoder)

    load_app = bench_module("load_app.py")  # the app process as the load test starts and stops it
    try:
        with load_app.running_app(index, root, START_TIMEOUT_S, corpus=corpus, uploads=uploads) as app:
            yield AppServer(app[0], corpus, uploads, index, root / "app.log", encoder)
    except load_app.AppStartError as err:  # only startup raises here: test failures stay in the test
        pytest.fail(str(err))


@pytest.fixture(scope="module")
def browser():
    """Chromium for one test module: Playwright's sync API runs an event loop in the main thread while it
    is open, so it is closed before other modules' tests (which may run asyncio) come."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run 'bash scripts/setup.sh --test' (apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, app_server):
    """A fresh page on the app, loaded and ready; fails the test if the browser logged any error.

    No console error is excused: the app loads nothing from outside (fonts are local, analytics off,
    Gradio serves its own favicon), so any error at all means something is broken. Warnings are not
    errors (Gradio's bundle logs "Method not implemented." as a warning) and are not collected.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_server.url.rstrip("/"))
    page = context.new_page()
    errors: list[str] = []

    def on_console(message) -> None:
        if message.type == "error":
            errors.append(f"console.error: {message.text} ({message.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.goto(app_server.url)
    page.wait_for_selector(f"#status:has-text('{READY_TEXT}')", timeout=START_TIMEOUT_S * 1000)
    yield page
    page.wait_for_timeout(200)  # let late console messages arrive
    context.close()
    assert not errors, "browser reported errors:\n" + "\n".join(errors)


SHOT_MAX_HEIGHT = 1500  # long result pages are cut here: enough to show the tab, small enough for git


def screenshot_dir(tmp_path_factory) -> Path:
    """Where screenshots go: a temporary folder, so a test run leaves the checkout as it found it, unless
    POLICY_SEARCH_SCREENSHOTS names a folder (relative to the checkout), as scripts/screenshots.sh does
    to refresh docs/screenshots/."""
    named = os.environ.get("POLICY_SEARCH_SCREENSHOTS")
    folder = ROOT / named if named else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def screenshot(tmp_path_factory):
    """``screenshot(page, name)`` saves the page (top SHOT_MAX_HEIGHT pixels) as NAME.png in
    :func:`screenshot_dir`."""
    folder = screenshot_dir(tmp_path_factory)

    def take(page, name: str) -> Path:
        height = min(SHOT_MAX_HEIGHT, page.evaluate("document.documentElement.scrollHeight"))
        path = folder / f"{name}.png"
        page.screenshot(path=path, full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": height})
        return path

    return take
