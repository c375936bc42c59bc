#!/usr/bin/env bash
# Every benchmark in one command, against a real Elasticsearch node started here and SQLite. Figures are printed
# as tables; each script writes JSON under bench/results/ (git-ignored); a full run then copies them to
# bench/published/ (committed: the JSON behind the README's Performance figures). The full sizes take hours on
# 2 cores (the API and memory benchmarks ingest through the whole system, alert engine included).
#   bash bench/run.sh                 # the sizes the issue asks for (search at 100k and 1M posts, memory over 1M)
#   BENCH_QUICK=1 bash bench/run.sh   # small sizes, a few minutes; not published unless BENCH_PUBLISH=1
#   BENCH_ONLY="ingest api" bash bench/run.sh   # a subset: classify ingest alerts api search memory workers events ratelimit
# ES_PORT / ES_TRANSPORT_PORT (default 9211 / 9311) choose the node's ports. Needs only Python 3.11 and, for the
# Elasticsearch figures, a JDK 17+ and Maven (installed with apt-get when missing and possible; without them the
# SQLite figures still run and the Elasticsearch ones are skipped, said loudly). The API load generator is Python.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/venv.sh
export ES_PORT="${ES_PORT:-9211}" ES_TRANSPORT_PORT="${ES_TRANSPORT_PORT:-9311}"
py=.venv/bin/python
only="${BENCH_ONLY:-classify ingest alerts matcher collectors api search memory body_limit workers events ratelimit}"
want() { [[ " $only " == *" $1 "* ]]; }
if [ "${BENCH_QUICK:-0}" = 1 ]; then
  sizes="20000"; mem=50000; every=10000; api_posts=20000; api_seconds=10; ingest=5000; alerts=20; per_feed=150
  publish="${BENCH_PUBLISH:-0}"
else
  sizes="100000 1000000"; mem=1000000; every=100000; api_posts=100000; api_seconds=60; ingest=20000; alerts=100
  per_feed=2500
  publish="${BENCH_PUBLISH:-1}"
fi

es_args=()
if want ingest || want search || want workers || want events || want ratelimit; then
  if ! { command -v java && command -v javac && command -v mvn; } >/dev/null 2>&1 && command -v apt-get >/dev/null; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo -n"
    { $sudo apt-get update -q && $sudo apt-get install -y -q default-jdk-headless maven; } >/dev/null 2>&1 || true
  fi
  es_base="$PWD/.es-bench"
  rm -rf "$es_base"
  if bash scripts/es_node.sh start "$es_base"; then
    trap 'bash scripts/es_node.sh stop "$es_base"' EXIT
    es_args=(--es-url "http://127.0.0.1:$ES_PORT")
  else
    echo "!!! Elasticsearch node did not start (see above): Elasticsearch figures SKIPPED, SQLite only" >&2
  fi
fi

rm -f bench/results/*.json
want classify && $py -m bench.bench_classify
want ingest && $py -m bench.bench_ingest --n "$ingest" --repeats 3 "${es_args[@]}"
want alerts && $py -m bench.bench_alerts --alerts "$alerts"
want matcher && $py -m bench.bench_matcher
want collectors && $py -m bench.bench_collectors
want api && $py -m bench.bench_api --posts "$api_posts" --seconds "$api_seconds" --connections 100
want search && $py -m bench.bench_search --sizes $sizes "${es_args[@]}"
want memory && $py -m bench.bench_memory --n "$mem" --every "$every"
want body_limit && $py -m bench.bench_body_limit --mb 52 --parallel 8
[ ${#es_args[@]} -gt 0 ] && want workers && $py -m bench.bench_workers --posts-per-feed "$per_feed" "${es_args[@]}"
want events && $py -m bench.bench_events --events 200 --rate 20 "${es_args[@]}"
want ratelimit && $py -m bench.bench_ratelimit "${es_args[@]}"
if [ "$publish" = 1 ]; then
  mkdir -p bench/published
  cp bench/results/*.json bench/published/
  echo "published: $(cd bench/results && ls *.json | tr '\n' ' ')-> bench/published/"
fi
