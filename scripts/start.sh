#!/usr/bin/env bash
# One command from a fresh clone to a running assistant: install, index the bundled guide, open the chat.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh llm
.venv/bin/assistant ingest
.venv/bin/assistant ask "Who should lead digital change in a council?"
