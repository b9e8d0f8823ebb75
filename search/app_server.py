"""Starting the web app: its command-line options (one set, used by app.py and by `policy-search app`) and
:func:`serve`, which makes the Engine, builds the page around it and launches Gradio.

The model and index load in a background thread while the server starts, so the page answers quickly
and the first query waits only for whatever is left of the model load.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import click

from .config import DEFAULT_CORPUS, DEFAULT_INDEX, DEFAULT_UPLOADS

PATH = click.Path(path_type=Path)


def app_options(func: Callable) -> Callable:
    """The app's options, for a click command whose function takes them as keyword arguments."""
    options = [
        click.option("--index", type=PATH, default=DEFAULT_INDEX, show_default=True, help="Index folder."),
        click.option(
            "--corpus", type=PATH, default=DEFAULT_CORPUS, show_default=True, help="Corpus folder, read-only."
        ),
        click.option(
            "--uploads",
            type=PATH,
            default=DEFAULT_UPLOADS,
            show_default=True,
            help="Where uploads are saved.",
        ),
        click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind."),
        click.option("--port", type=int, default=7860, show_default=True, help="Port."),
        click.option(
            "--mcp/--no-mcp",
            default=True,
            show_default=True,
            help="Serve the data API as MCP tools at /gradio_api/mcp/ (docs/python-api.md).",
        ),
        click.option("--auth", multiple=True, metavar="USER:PASSWORD", help="Ask for a login (repeatable)."),
        click.option(
            "--auth-file", type=PATH, default=None, help="A file of logins, one user:password a line."
        ),
        click.option(
            "--read-only", is_flag=True, help="Search only: no upload, deletion or rebuild (docs/deploy.md)."
        ),
        click.option(
            "--backend",
            type=click.Choice(["local", "milvus"]),
            default="local",
            show_default=True,
            help="Where the index's legs are served from (docs/scale-out.md).",
        ),
        click.option("--milvus-uri", default=None, help="milvus-lite file (*.db) or http://host:19530."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def serve(
    index: Path = DEFAULT_INDEX,
    corpus: Path = DEFAULT_CORPUS,
    uploads: Path = DEFAULT_UPLOADS,
    host: str = "127.0.0.1",
    port: int = 7860,
    mcp: bool = True,
    auth: Sequence[str] = (),
    auth_file: Path | None = None,
    read_only: bool = False,
    backend: str = "local",
    milvus_uri: str | None = None,
    started: float | None = None,
) -> None:
    """Serve the app until interrupted; a bad login setting exits with one line on stderr."""
    from .access import access_from_args, exposure_warning, mcp_setting
    from .engine import Engine
    from .errors import UserError

    started = time.perf_counter() if started is None else started
    try:
        access = access_from_args(auth, auth_file, read_only)
    except UserError as err:
        sys.exit(f"error: {err}")
    mcp, mcp_note = mcp_setting(access, mcp)
    for warning in (exposure_warning(host, access), mcp_note):
        if warning:
            print(warning, file=sys.stderr, flush=True)
    folders = (Path(index).resolve(), Path(corpus).resolve(), Path(uploads).resolve())
    engine = Engine(*folders, access.read_only, started, backend=(backend, milvus_uri))
    import gradio  # noqa: F401  (first, so the page answers as soon as possible)

    engine.start()  # the model and index load in the background while the server starts
    demo = launch(engine, host, port, access.auth, mcp)
    print(
        f"app answering on http://{host}:{port} ({time.perf_counter() - started:.1f}s after start)",
        file=sys.stderr,
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        demo.close()


def launch(engine, host: str, port: int, auth, mcp: bool):
    """The page and the data API over ``engine``, launched without blocking; returns the Blocks."""
    from .app_api import register
    from .app_ui import build_ui, page_css, theme
    from .uploads import MAX_UPLOAD_BYTES

    demo = build_ui(engine)
    register(demo, engine)  # the data API (search, census, ask, …): the only listed endpoints, and MCP tools
    demo.queue(default_concurrency_limit=4)
    demo.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        theme=theme(),
        css=page_css(),
        show_error=False,
        max_file_size=MAX_UPLOAD_BYTES,
        ssr_mode=False,
        footer_links=["api", "settings"],
        run_history=False,
        quiet=True,
        prevent_thread_lock=True,
        mcp_server=mcp,  # Gradio prints the MCP URL: http://HOST:PORT/gradio_api/mcp/
    )
    return demo
