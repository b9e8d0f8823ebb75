"""policy-search web app: a Gradio research interface over the library (search, census, cited answers,
precedent wording, documents and uploads).

    python app.py [--index index] [--corpus corpus] [--uploads uploads] [--host 127.0.0.1] [--port 7860]
                  [--no-mcp] [--auth USER:PASSWORD]… [--auth-file FILE] [--read-only]
                  [--backend local|milvus --milvus-uri URI]

The same app starts with `policy-search app [options]`. This file only parses the options: the engine
(search.engine), the page (search.app_ui, search.app_handlers) and the launch (search.app_server) live
in the library, so an installed package serves the same app.
"""

import time

STARTED = time.perf_counter()  # the start-up log lines count from here

import click  # noqa: E402

from search.app_server import app_options, serve  # noqa: E402
from search.config import apply_offline_env  # noqa: E402

apply_offline_env()


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@app_options
def main(**options) -> None:
    """policy-search web app (Gradio): search, census, cited answers, wording and documents."""
    serve(**options, started=STARTED)


if __name__ == "__main__":
    main()
