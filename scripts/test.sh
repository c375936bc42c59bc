#!/usr/bin/env bash
# The whole test suite: sets up .venv, starts a real Elasticsearch node for the ES contract tests, runs pytest,
# stops the node. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/venv.sh
bash scripts/browser_deps.sh  # Debian chromium for the browser tests (never a browser download)
es_base="${NW_ES_BASE:-$PWD/.es-test}"
rm -rf "$es_base"
set +e
bash scripts/es_node.sh start "$es_base"
es_rc=$?
set -e
if [ "$es_rc" -eq 0 ]; then
  trap 'bash scripts/es_node.sh stop "$es_base"' EXIT
  export NW_TEST_ES_URL="http://127.0.0.1:${ES_PORT:-9201}" NW_ES_BASE="$es_base"
elif [ "$es_rc" -eq 3 ] && [ "${NW_REQUIRE_ES:-0}" != "1" ]; then
  echo "test.sh: no Java here, Elasticsearch tests will be skipped (they fail instead when NW_REQUIRE_ES=1)" >&2
else
  echo "test.sh: could not start Elasticsearch (exit $es_rc)" >&2
  exit 1
fi
# two processes (NW_TEST_WORKERS): most of the wall time is waiting on subprocesses, Elasticsearch and sleeps
.venv/bin/python -m pytest -p no:cacheprovider -ra --durations=30 -n "${NW_TEST_WORKERS:-2}" --dist loadgroup "$@"
