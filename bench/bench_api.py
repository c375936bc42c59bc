"""API under load on 127.0.0.1: wrk, 100 connections, bounded duration, on search and alerts endpoints.

    .venv/bin/python -m bench.bench_api --posts 100000 --seconds 60 --connections 100

Serves `narrawatch serve` (one uvicorn process) over an embedded SQLite store holding --posts posts built from real
texts, with an admin key. The per-key rate limit is raised for the run (it is a configuration, NW_RATE_LIMIT_RPS).
GET /health (no store, no auth) is measured in the same run as the baseline. Needs wrk (Debian package `wrk`).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.bench_search import WORDS, load
from bench.corpus import CAMPAIGNS
from service.config import Settings
from service.store.sqlite import SQLiteStore

LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1], {["X-API-Key"] = os.getenv("NW_BENCH_KEY")})
end
"""

ENDPOINTS = {
    "health (baseline)": ["/health"],
    "search": [f"/posts?q={w}&campaign={c}&limit=20" for w in WORDS[:6] for c in CAMPAIGNS],
    "alerts": [f"/alerts?campaign={c}&limit=20" for c in CAMPAIGNS] + ["/alerts?status=open"],
}


def parse_wrk(out: str) -> dict:
    def seconds(v: str, unit: str) -> float:
        return float(v) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]

    lat = {p: seconds(v, u) for p, v, u in re.findall(r"^\s+(50|90|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)", out, re.M)}
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"requests": requests, "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50_ms": lat.get("50"), "p90_ms": lat.get("90"), "p99_ms": lat.get("99"),
            "errors": (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, sock.groups())) if sock else 0)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        store = SQLiteStore(settings.sqlite_path)
        store.init()
        load(store, args.posts, 0)
        from service.api.auth import create_key

        key = create_key(settings, "bench", "admin", "*")
        env = {**os.environ, "NW_DATA_DIR": tmp, "NW_RATE_LIMIT_RPS": "1000000", "NW_RATE_LIMIT_BURST": "1000000",
               "NW_BENCH_KEY": key}
        server = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(args.port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{args.port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            rows = []
            for name, paths in ENDPOINTS.items():
                script = Path(tmp) / f"{name.split()[0]}.lua"
                script.write_text(LUA % ", ".join(json.dumps(p) for p in paths))
                out = subprocess.run(["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--latency",
                                      "--timeout", "10s", "-s", str(script), base], env=env, capture_output=True,
                                     text=True, timeout=args.seconds + 60).stdout
                rows.append({"endpoint": name, **parse_wrk(out)})
        finally:
            server.terminate()
            server.wait(30)
    print(f"API load: {args.posts} posts in SQLite, {args.connections} connections, {args.seconds} s per endpoint")
    print(f"{'endpoint':<20}{'req/s':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'errors':>8}{'vs health':>11}")
    for r in rows:
        print(f"{r['endpoint']:<20}{r['rps']:>9.0f}{r['p50_ms']:>9.1f}{r['p90_ms']:>9.1f}{r['p99_ms']:>9.1f}"
              f"{r['errors']:>8}{r['rps'] / rows[0]['rps']:>11.2f}")
    out = Path(__file__).parent / "results" / "api.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"posts": args.posts, "connections": args.connections, "seconds": args.seconds,
                               "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
