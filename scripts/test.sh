#!/usr/bin/env bash
# The whole test suite: sets up .venv, builds Caddy (scripts/caddy.sh, cached), starts a real Elasticsearch node for the ES
# contract tests, runs pytest, stops the node. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/venv.sh
bash scripts/browser_deps.sh  # Debian chromium for the browser tests (never a browser download)
# Caddy (the docker-compose proxy) built once from the Go module proxy, for tests/reliability/test_proxy.py
set +e
bash scripts/caddy.sh >/dev/null
caddy_rc=$?
set -e
if [ "$caddy_rc" -eq 3 ] && [ "${NW_REQUIRE_ES:-0}" != "1" ]; then
  echo "test.sh: no Go here, the reverse proxy tests will be skipped" >&2
elif [ "$caddy_rc" -ne 0 ]; then
  echo "test.sh: could not build Caddy (exit $caddy_rc)" >&2
  exit 1
fi
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
