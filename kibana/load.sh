#!/bin/sh
# Import narrawatch's Kibana saved objects (data view, visualisations, dashboard). Idempotent (overwrite=true).
# Usage: KIBANA_URL=http://127.0.0.1:5601 sh kibana/load.sh   (POSIX sh + curl: runs in a curl image too)
set -eu
KIBANA_URL="${KIBANA_URL:-http://127.0.0.1:5601}"
FILE="${NW_KIBANA_OBJECTS:-$(dirname "$0")/narrawatch.ndjson}"
tries="${KIBANA_WAIT_TRIES:-60}"
until curl -fsS "$KIBANA_URL/api/status" 2>/dev/null | grep -q '"level":"available"'; do
  tries=$((tries - 1))
  if [ "$tries" -le 0 ]; then echo "load.sh: Kibana at $KIBANA_URL is not available" >&2; exit 1; fi
  sleep 5
done
out="$(curl -fsS -X POST "$KIBANA_URL/api/saved_objects/_import?overwrite=true" \
  -H "kbn-xsrf: narrawatch" ${KIBANA_AUTH:+-u "$KIBANA_AUTH"} --form "file=@$FILE")"
echo "$out"
echo "$out" | grep -q '"success":true'
