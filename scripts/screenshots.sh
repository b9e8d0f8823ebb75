#!/usr/bin/env bash
# Refresh docs/screenshots/*.png: the browser tests, saving their screenshots there instead of a
# temporary folder (a plain test run never writes into the checkout).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False POLICY_SEARCH_SCREENSHOTS=docs/screenshots
.venv/bin/python -m pytest -q tests/browser "$@"
