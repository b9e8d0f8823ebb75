#!/usr/bin/env bash
# Install what is missing, (re)build the index of the shipped corpus, then open the app.
# Extra arguments go to app.py (e.g. --port 7861).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
.venv/bin/policy-search build corpus uploads --index index
exec .venv/bin/python app.py --index index --corpus corpus --uploads uploads "$@"
