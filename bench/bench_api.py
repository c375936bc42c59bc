"""API under load on 127.0.0.1: a Python load generator (bench/loadgen.py), 100 connections, bounded duration.

    .venv/bin/python -m bench.bench_api --posts 100000 --seconds 60 --connections 100

Serves `narrawatch serve` (one uvicorn process) over an embedded SQLite store. The data is made by the real system
(bench/system.py): --posts posts built from real texts go through the pipeline (classifiers, then the alert engine
with one rule of each kind per campaign), so `/alerts` answers from the alerts that ingest really raised (their
number is in the results). Admin key; the per-key rate limit is raised for the run (NW_RATE_LIMIT_RPS). GET /health
(no store, no auth) is measured in the same run as the baseline. The load generator shares the machine's cores
with the server, so req/s are a floor for the server alone.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench import loadgen, system
from bench.bench_search import WORDS
from bench.corpus import CAMPAIGNS, generate

ENDPOINTS = {
    "health (baseline)": ["/health"],
    "search": [f"/posts?q={w}&campaign={c}&limit=20" for w in WORDS[:6] for c in CAMPAIGNS],
    "alerts": [f"/alerts?campaign={c}&limit=20" for c in CAMPAIGNS] + ["/alerts?status=open&limit=20"],
}


def answer_size(body) -> int:
    """Items in an answer: a JSON list (alerts), the `posts` of a search result; 1 for anything else."""
    if isinstance(body, dict) and isinstance(body.get("posts"), list):
        return len(body["posts"])
    return len(body) if isinstance(body, list) else 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--port", type=int, default=0, help="0: a free port on 127.0.0.1")
    args = parser.parse_args()
    if not args.port:
        from bench.loopback import free_port

        args.port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        ctx = system.context(Path(tmp))
        stats = ctx.pipeline.process(generate(args.posts, seed=2))
        assert stats.stored == args.posts, stats
        alerts = ctx.alerts.alerts.count_alerts()
        ctx.alerts.close()
        assert alerts > 0, "ingest raised no alert: /alerts would be measured empty"
        from service.api.auth import create_key

        key = create_key(ctx.settings, "bench", "admin", "*")
        env = {**os.environ, "NW_DATA_DIR": tmp, "NW_CONFIG_FILE": str(ctx.settings.config_file),
               "NW_RATE_LIMIT_RPS": "1000000", "NW_RATE_LIMIT_BURST": "1000000"}
        server = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(args.port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{args.port}"
        headers = {"X-API-Key": key}
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            # what each endpoint returns (not timed): /alerts must answer with real alerts
            items = {name: [answer_size(httpx.get(base + p, headers=headers, timeout=30).json()) for p in paths]
                     for name, paths in ENDPOINTS.items()}
            assert all(items["alerts"]), f"an /alerts query returned no alert: {items['alerts']}"
            rows = []
            for name, paths in ENDPOINTS.items():
                r = loadgen.run(args.port, paths, headers=headers, connections=args.connections, seconds=args.seconds)
                rows.append({"endpoint": name, "items_per_answer": items[name], **r})
        finally:
            server.terminate()
            server.wait(30)
    print(f"API load: {args.posts} posts in SQLite ({alerts} alerts raised by ingest), {args.connections} "
          f"connections, {args.seconds} s per endpoint, Python load generator")
    print(f"{'endpoint':<20}{'req/s':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'errors':>8}{'vs health':>11}")
    for r in rows:
        print(f"{r['endpoint']:<20}{r['rps']:>9.0f}{r['p50_ms']:>9.1f}{r['p90_ms']:>9.1f}{r['p99_ms']:>9.1f}"
              f"{r['errors']:>8}{r['rps'] / rows[0]['rps']:>11.2f}")
    system.write_result("api", {"posts": args.posts, "alerts": alerts, "connections": args.connections,
                                "seconds": args.seconds, "load_generator": "bench/loadgen.py", "rows": rows})


if __name__ == "__main__":
    main()
