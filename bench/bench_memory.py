"""Worker memory over volume: RSS while the full pipeline (classify + store) ingests N posts.

    .venv/bin/python -m bench.bench_memory --n 1000000 [--store sqlite|elasticsearch --es-url URL]

Prints RSS every --every posts and the growth between the first checkpoint and the end (goal: flat).
"""
from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
import uuid
from pathlib import Path

from bench.corpus import generate
from classifiers import load_default
from service.pipeline import Pipeline
from service.spool import Spool


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
        if args.store == "sqlite":
            from service.store.sqlite import SQLiteStore

            store = SQLiteStore(Path(tmp) / "mem.db")
        else:
            from service.store.elastic import ElasticStore

            store = ElasticStore(args.es_url, index=f"bench-mem-{uuid.uuid4().hex[:6]}")
        store.init()
        pipe = Pipeline(store, load_default(), Spool(Path(tmp) / "spool"), campaigns=lambda: [], batch_size=500)
        points, done, start = [], 0, time.perf_counter()

        def progress(k: int) -> None:
            nonlocal done
            before, done = done, done + k
            if done // args.every > before // args.every:
                points.append({"posts": done, "rss_mb": rss_mb(), "seconds": time.perf_counter() - start})
                print(f"{done:>9} posts  RSS {points[-1]['rss_mb']:7.1f} MB  {points[-1]['seconds']:6.0f} s", flush=True)

        pipe.process(generate(args.n, seed=5), progress=progress)
        assert store.count() == args.n
        if args.store == "elasticsearch":
            store.drop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    growth = points[-1]["rss_mb"] - points[0]["rss_mb"]
    print(f"peak RSS {peak:.0f} MB; growth from {points[0]['posts']} to {points[-1]['posts']} posts: {growth:+.1f} MB")
    out = Path(__file__).parent / "results" / "memory.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"n": args.n, "store": args.store, "points": points, "peak_rss_mb": peak,
                               "growth_mb": growth}, indent=2))


if __name__ == "__main__":
    main()
