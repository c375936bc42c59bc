#!/usr/bin/env bash
# One command for a newcomer: set up, load the shipped demo corpus into the embedded SQLite store, serve the API.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/venv.sh
export NW_DATA_DIR="${NW_DATA_DIR:-var/demo}" NW_CONFIG_FILE="${NW_CONFIG_FILE:-demo/campaigns.yaml}"
.venv/bin/narrawatch init
.venv/bin/narrawatch ingest demo/posts.jsonl
.venv/bin/narrawatch search vaksin --limit 5
exec .venv/bin/narrawatch serve --host "${NW_HOST:-127.0.0.1}" --port "${NW_PORT:-8000}"
