"""Per-request cost of the rate limit shared by API replicas (service/api/ratelimit.py SharedLimit) against the
in-process token bucket it replaced, in the same run: warmed, repeats interleaved, 8 threads (as the API's thread
pool) spending for 20 keys.

    .venv/bin/python -m bench.bench_ratelimit [--calls 6000] [--repeats 3] [--es-url http://127.0.0.1:9200]

Shipped operating point: NW_RATE_LIMIT_BURST=120 per 6 s window, so a replica takes 6 requests per store write
(chunk = burst // 20); `chunk 1` (one store write per request, what a burst under 20 gets) is the worst case. The
limit is raised far above the load (same window and chunk) so every call is allowed: the figure is the cost of an
allowed request. Runs on SQLite (state.db) and, given --es-url, on Elasticsearch; writes bench/results/ratelimit.json.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

from bench.system import write_result
from service.api.ratelimit import SharedLimit, TokenBucket
from service.config import Settings

THREADS, KEYS = 8, 20
WINDOW = 6.0  # seconds: the shipped 120 requests per 6 s (20/s)


def run(limiter, calls: int) -> list[float]:
    """Per-call latency (µs) of `calls` take()s spread over THREADS threads and KEYS keys."""
    out: list[float] = []
    lock, barrier = threading.Lock(), threading.Barrier(THREADS)

    def work(t: int) -> None:
        mine = []
        barrier.wait()
        for i in range(calls // THREADS):
            start = time.perf_counter()
            wait = limiter.take(f"key{(t * 7 + i) % KEYS}")
            mine.append((time.perf_counter() - start) * 1e6)
            assert wait == 0, "the bench limit must allow every call"
        with lock:
            out.extend(mine)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return out


def shared(settings: Settings, chunk: int) -> SharedLimit:
    big = 10_000_000  # never reached: measures allowed requests only
    return SharedLimit.open(settings, f"bench{chunk}-{uuid.uuid4().hex[:6]}", big / WINDOW, big, chunk=chunk)


def summary(lat: list[float]) -> dict:
    q = statistics.quantiles(lat, n=100)
    return {"calls": len(lat), "mean_us": round(statistics.fmean(lat), 1), "p50_us": round(q[49], 1),
            "p95_us": round(q[94], 1), "p99_us": round(q[98], 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=6000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--es-url", default=None)
    args = parser.parse_args()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        backends = {"sqlite": Settings(data_dir=Path(tmp), store="sqlite", config_file=None)}
        index = f"bench-rl-{uuid.uuid4().hex[:8]}"
        if args.es_url:
            backends["elasticsearch"] = Settings(data_dir=Path(tmp), store="elasticsearch", es_url=args.es_url,
                                                 es_index=index, config_file=None)
        variants = {"in-process token bucket (before)": lambda: TokenBucket(1e9, 1e9)}
        for name, s in backends.items():
            variants[f"{name}, chunk 6 (shipped)"] = lambda s=s: shared(s, 6)
            variants[f"{name}, chunk 1 (worst)"] = lambda s=s: shared(s, 1)
        limiters = {name: make() for name, make in variants.items()}
        for limiter in limiters.values():  # warm: tables/indices created, connections open
            run(limiter, THREADS * 20)
        lat: dict[str, list[float]] = {name: [] for name in limiters}
        for _ in range(args.repeats):  # interleaved, so load drift hits every variant alike
            for name, limiter in limiters.items():
                lat[name] += run(limiter, args.calls // args.repeats)
        base = statistics.fmean(lat["in-process token bucket (before)"])
        for name, values in lat.items():
            results[name] = {**summary(values), "overhead_us_vs_bucket": round(statistics.fmean(values) - base, 1)}
        if args.es_url:
            from service.store.documents import es_client

            es_client(args.es_url).options(ignore_status=404).indices.delete(index=f"{index}-state-rate_limits")
    print(f"{'limiter':42} {'mean µs':>9} {'p50':>8} {'p95':>8} {'p99':>8} {'+µs/req':>8}")
    for name, r in results.items():
        print(f"{name:42} {r['mean_us']:9.1f} {r['p50_us']:8.1f} {r['p95_us']:8.1f} {r['p99_us']:8.1f} "
              f"{r['overhead_us_vs_bucket']:8.1f}")
    print("->", write_result("ratelimit", {"threads": THREADS, "keys": KEYS, "window_s": WINDOW,
                                            "repeats": args.repeats, "results": results}))


if __name__ == "__main__":
    main()
