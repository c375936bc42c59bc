#!/usr/bin/env bash
# One command for a newcomer: set up, load a demo corpus dated relative to now into the embedded SQLite store,
# serve the API and dashboards, and replay a short tail of posts so alerts arrive live in the PR inbox (/ui/pr).
# The demo data dir is rebuilt on every run: the default var/demo, or an NW_DATA_DIR this script created before
# (it carries a marker file); any other non-empty directory is refused, never wiped.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/venv.sh
user_dir="${NW_DATA_DIR:+yes}"  # set by the caller: wiped only if it has our marker
export NW_DATA_DIR="${NW_DATA_DIR:-var/demo}" NW_CONFIG_FILE="${NW_CONFIG_FILE:-demo/campaigns.yaml}"
host="${NW_HOST:-127.0.0.1}" port="${NW_PORT:-8000}"
url="http://$host:$port"
nw=.venv/bin/narrawatch
marker="$NW_DATA_DIR/.narrawatch-demo"
if [ -n "$user_dir" ] && [ -e "$NW_DATA_DIR" ] && [ -n "$(ls -A "$NW_DATA_DIR")" ] && [ ! -f "$marker" ]; then
  echo "$NW_DATA_DIR exists and is not a demo data dir: refusing to wipe it (choose another NW_DATA_DIR)" >&2
  exit 1
fi
rm -rf "$NW_DATA_DIR" && mkdir -p "$NW_DATA_DIR" && touch "$marker"

.venv/bin/python demo/make_demo.py write --out "$NW_DATA_DIR/input" --data-dir "$NW_DATA_DIR"
$nw init
$nw ingest "$NW_DATA_DIR/input/posts.jsonl"  # two malformed lines are reported and quarantined on purpose
$nw search vaksin --limit 5
key="$($nw keys create --name demo --role admin --workspace '*')"

server=""
replayer=""
cleanup() {  # the replay never outlives the server, and neither outlives this script
  [ -n "$replayer" ] && kill "$replayer" 2>/dev/null || true
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
$nw serve --host "$host" --port "$port" &
server=$!
for _ in $(seq 1 120); do  # the classifiers load at start-up: wait for /health
  .venv/bin/python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$url/health" \
    2>/dev/null && break
  kill -0 "$server" 2>/dev/null || exit 1
  sleep 0.5
done

cat <<EOF

  narrawatch demo is running at $url
  1. open $url/ui and log in with this local demo key (admin, all workspaces):
       $key
  2. open the PR inbox ($url/ui/pr): in a few seconds ~20 posts arrive live and alerts appear
     (a hoax matching a seeded debunk, a coordinated burst, traffic complaints).
  Other keys: $nw keys create --name <who> --role analyst|pr|leadership|admin --workspace kemlu|kemkes|'*'
  List/revoke: $nw keys list ; $nw keys revoke <id or name>        Stop: Ctrl-C

EOF
sleep 5  # time to open the inbox before the first alert
NW_DEMO_KEY="$key" .venv/bin/python demo/make_demo.py replay --url "$url" "$NW_DATA_DIR/input/replay.jsonl" &
replayer=$!
wait "$server"
