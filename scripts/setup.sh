#!/usr/bin/env bash
# Create .venv and install the project and the .doc readers; idempotent. `--test` adds test tools and Debian's
# Chromium.
# torch is pinned and installed first: an unpinned torch (or sentence-transformers first) pulls a
# multi-GB CUDA build, while torch==2.13.0 resolves to the CPU build.
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0
[ "${1:-}" = "--test" ] && want_test=1
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
stamp=.venv/.installed
extras=""
[ $want_test = 1 ] && extras="[test]"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
if [ ! -f "$stamp$extras" ] || [ pyproject.toml -nt "$stamp$extras" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q "torch==2.13.0"
  .venv/bin/python -m pip install -q -e ".$extras"
  touch "$stamp$extras"
fi
# Debian packages, installed only when missing: antiword (catdoc for very short files) reads .doc and
# .wps; Chromium and the CJK fonts drive the browser tests and print the test PDFs.
apt_want=()
command -v antiword >/dev/null || apt_want+=(antiword)
command -v catdoc >/dev/null || apt_want+=(catdoc)
if [ $want_test = 1 ]; then
  [ -x /usr/bin/chromium ] || apt_want+=(chromium chromium-driver)
  fc-list 2>/dev/null | grep -qi "noto sans cjk" || apt_want+=(fonts-noto-cjk)
fi
if [ ${#apt_want[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${apt_want[@]}" >/dev/null
fi
