"""A shared deployment: ``--auth`` guards the page and the HTTP API alike, and ``--read-only`` leaves no
control or endpoint that changes the index (a direct call to the upload handler is refused).

One app process serves both, started with ``--read-only --auth`` over a copy of the browser tier's index.
"""

from __future__ import annotations

import shutil
from contextlib import closing

import httpx
import pytest
from benchmod import bench_module
from conftest import READY_TEXT, START_TIMEOUT_S

pytestmark = pytest.mark.browser

USER, PASSWORD = "reader", "pa:ss word"  # a colon and a space in the password: both allowed
NO_FILTERS = ("", "", None, "", "", "", "")  # years, issuer, level, document, lead unit, kind
WAIT_MS = 90_000


@pytest.fixture(scope="module")
def locked_app(app_server, tmp_path_factory):
    root = tmp_path_factory.mktemp("locked")
    shutil.copytree(app_server.index, root / "index")
    uploads = root / "uploads"
    uploads.mkdir()
    (uploads / "kept.txt").write_text("乙县2025年教育工作要点\n1、推进校园足球。\n", encoding="utf-8")
    load_app = bench_module("load_app.py")
    extra = ["--read-only", "--auth", f"{USER}:{PASSWORD}"]
    try:
        with load_app.running_app(
            root / "index", root, START_TIMEOUT_S, corpus=app_server.corpus, uploads=uploads, extra=extra
        ) as app:
            yield app[0], uploads
    except load_app.AppStartError as err:
        pytest.fail(str(err))


def login(url: str, password: str = PASSWORD) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    client.post("login", data={"username": USER, "password": password})
    return client


def test_the_http_api_needs_a_login(locked_app):
    url, _ = locked_app
    with httpx.Client(base_url=url, timeout=60) as anonymous:
        refused = anonymous.post("gradio_api/call/do_census", json={"data": ["双减", *NO_FILTERS]})
        assert refused.status_code in (401, 403)
        assert anonymous.get("config").status_code in (401, 403)
    with closing(login(url, "wrong")) as stranger:
        wrong = stranger.post("gradio_api/call/do_census", json={"data": ["双减", *NO_FILTERS]})
        assert wrong.status_code in (401, 403)
    with closing(login(url)) as member:
        accepted = member.post("gradio_api/call/do_census", json={"data": ["双减", *NO_FILTERS]})
        assert accepted.status_code == 200 and accepted.json()["event_id"]


def test_gradio_client_with_the_login_searches(locked_app):
    from gradio_client import Client

    url, _ = locked_app
    client = Client(url, auth=(USER, PASSWORD), verbose=False, download_files=False)
    try:
        summary, *_ = client.predict("双减", *NO_FILTERS, api_name="/do_census")
        assert "见于" in summary
        cards, _ = client.predict("双减", 5, 0, False, *NO_FILTERS, api_name="/do_search")  # unlisted
        assert 'class="hit-card"' in cards
        for name in ("/on_upload", "/on_rebuild", "/on_delete"):  # read-only: none registered
            with pytest.raises(Exception):  # noqa: B017 (the client raises its own error types)
                client.predict([], api_name=name)
    finally:
        client.close()


def test_a_direct_call_to_the_upload_handler_is_refused(locked_app):
    url, uploads = locked_app
    with closing(login(url)) as member:
        for name in ("on_upload", "on_rebuild", "on_delete"):
            try:
                status = member.post(f"gradio_api/call/{name}", json={"data": [None]}).status_code
            except httpx.TransportError:  # Gradio drops a call to an endpoint it does not have
                status = None
            assert status is None or status >= 400, name  # a registered handler would answer 200
    assert sorted(p.name for p in uploads.iterdir()) == ["kept.txt"]


def test_the_read_only_page_has_no_upload_delete_or_rebuild_controls(browser, locked_app):
    url, _ = locked_app
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(url)
        page.fill("input[name=username], input[type=text]", USER)
        page.fill("input[type=password]", PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_selector(f"#status:has-text('{READY_TEXT}')", timeout=START_TIMEOUT_S * 1000)
        page.get_by_role("tab", name="文档 Documents").click()
        page.wait_for_function("() => document.querySelectorAll('#docs-table [role=row]').length > 1")
        for control in ("#upload-files", "#upload-btn", "#rebuild-btn", "#delete-pick", "#delete-btn"):
            assert page.locator(control).count() == 0, control
        assert page.get_by_text("添加文件 Add documents").count() == 0
        assert not errors
    finally:
        context.close()
