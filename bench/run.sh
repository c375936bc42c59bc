#!/usr/bin/env bash
# Every benchmark in one command, against a real Elasticsearch node started here (127.0.0.1:9211) and SQLite.
# Figures are printed as tables; each script also writes JSON under bench/results/. Full run: about 30-40 min.
#   bash bench/run.sh            # the sizes the issue asks for (search at 100k and 1M posts, memory over 1M)
#   BENCH_QUICK=1 bash bench/run.sh   # small sizes, a few minutes
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/venv.sh
export ES_PORT=9211 ES_TRANSPORT_PORT=9311
es_base="$PWD/.es-bench"
rm -rf "$es_base"
bash scripts/es_node.sh start "$es_base"
trap 'bash scripts/es_node.sh stop "$es_base"' EXIT
es="http://127.0.0.1:$ES_PORT"
py=.venv/bin/python
if [ "${BENCH_QUICK:-0}" = 1 ]; then
  sizes="20000"; mem=50000; every=10000; api_posts=20000; api_seconds=10
else
  sizes="100000 1000000"; mem=1000000; every=100000; api_posts=100000; api_seconds=60
fi
$py -m bench.bench_classify
$py -m bench.bench_ingest --n 20000 --es-url "$es"
$py -m bench.bench_alerts
$py -m bench.bench_matcher
$py -m bench.bench_api --posts "$api_posts" --seconds "$api_seconds" --connections 100
$py -m bench.bench_search --sizes $sizes --es-url "$es"
$py -m bench.bench_memory --n "$mem" --every "$every"
$py -m bench.bench_body_limit --mb 52 --parallel 8
