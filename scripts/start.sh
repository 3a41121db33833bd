#!/usr/bin/env bash
# One command from a fresh clone to a running assistant: install, index the bundled guide, open the chat.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh llm
.venv/bin/assistant ingest
exec .venv/bin/assistant serve "$@"
