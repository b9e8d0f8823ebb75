"""Where the project keeps its caches, and the offline settings every entry point applies.

Caches (assembled model, Hugging Face home, jieba's dictionary cache, Gradio's temp files) live in a
project-owned folder rather than /tmp or ~/.cache, so a run never depends on what another user left
behind and the whole state can be removed with one ``rm -rf``.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INDEX = PROJECT_ROOT / "index"
DEFAULT_CORPUS = PROJECT_ROOT / "corpus"
DEFAULT_UPLOADS = PROJECT_ROOT / "uploads"  # the app saves uploads here, never into the corpus


def cache_root() -> Path:
    """The cache folder: ``$POLICY_SEARCH_CACHE`` or ``.cache/`` beside the package."""
    return Path(os.environ.get("POLICY_SEARCH_CACHE", PROJECT_ROOT / ".cache"))


def apply_offline_env() -> None:
    """Set offline defaults before heavy libraries import; values the user already set win."""
    root = cache_root()
    defaults = {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HOME": str(root / "hf"),
        "GRADIO_TEMP_DIR": str(root / "gradio"),
        "TOKENIZERS_PARALLELISM": "false",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",  # no "Loading weights" bars on every model load
        "TRANSFORMERS_VERBOSITY": "error",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
