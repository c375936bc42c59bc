"""Worker memory over volume: RSS while the real system ingests N posts (bench/system.py: campaign tagging, the
shipped classifier chain, the store, then the alert engine with one rule of each kind per campaign, as in the worker).

    .venv/bin/python -m bench.bench_memory --n 1000000 [--store sqlite|elasticsearch --es-url URL]

Prints RSS every --every posts and the growth between the first checkpoint and the end (goal: flat).
"""
from __future__ import annotations

import argparse
import resource
import tempfile
import time
import uuid
from pathlib import Path

from bench import system
from bench.corpus import generate


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=100_000)
    parser.add_argument("--store", default="sqlite", choices=["sqlite", "elasticsearch"])
    parser.add_argument("--es-url", default="http://127.0.0.1:9201")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ctx = system.context(Path(tmp), store=args.store, es_url=args.es_url,
                             es_index=f"bench-mem-{uuid.uuid4().hex[:6]}")
        store, pipe = ctx.store, ctx.pipeline
        points, done, start = [], 0, time.perf_counter()

        def progress(k: int) -> None:
            nonlocal done
            before, done = done, done + k
            if done // args.every > before // args.every:
                points.append({"posts": done, "rss_mb": rss_mb(), "seconds": time.perf_counter() - start})
                print(f"{done:>9} posts  RSS {points[-1]['rss_mb']:7.1f} MB  {points[-1]['seconds']:6.0f} s", flush=True)

        pipe.process(generate(args.n, seed=5), progress=progress)
        if args.store == "elasticsearch":
            store.es.indices.refresh(index=store.index)
        assert store.count() == args.n
        alerts = ctx.alerts.alerts.count_alerts()
        ctx.alerts.close()
        if args.store == "elasticsearch":
            store.drop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    growth = points[-1]["rss_mb"] - points[0]["rss_mb"]
    print(f"peak RSS {peak:.0f} MB; growth from {points[0]['posts']} to {points[-1]['posts']} posts: {growth:+.1f} MB;"
          f" {alerts} alerts raised")
    system.write_result("memory", {"n": args.n, "store": args.store, "alert_rules": len(system.rules()),
                                   "alerts": alerts, "points": points, "peak_rss_mb": peak, "growth_mb": growth})


if __name__ == "__main__":
    main()
