#!/usr/bin/env bash
# The project's test command (CI runs exactly this): install, lint, then every test tier.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
.venv/bin/ruff check search tests bench app.py
.venv/bin/python -m pytest -q -ra "$@"
