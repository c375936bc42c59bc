"""Search latency of typical analyst queries at growing corpus sizes, on SQLite and (optionally) Elasticsearch.

    .venv/bin/python -m bench.bench_search --sizes 100000 1000000 [--es-url http://127.0.0.1:9201]

Posts are real texts from ../shared/data with generated dates, campaigns, platforms, sentiment and hoax flags
(bench/corpus.py). Each query kind runs --repeat times with varied words; p50/p95/p99 in milliseconds.
"""
from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from bench import system
from bench.corpus import CAMPAIGNS, generate
from core.domain import Classification
from service.store.base import Page, PostQuery, Store

WORDS = ["harga", "vaksin", "jokowi", "pemilu", "beras", "hoax", "makanan", "pelayanan", "covid", "presiden",
         "enak", "kecewa", "banjir", "listrik", "sekolah"]


def corpus(n: int):
    rng = random.Random(3)
    for post in generate(n, seed=2):
        post.classification = Classification(sentiment=rng.choice(["positive", "neutral", "negative"]),
                                             hoax=rng.random() < 0.1)
        yield post


def load(store: Store, n: int, already: int) -> None:
    batch = []
    for i, post in enumerate(corpus(n)):
        if i < already:
            continue
        batch.append(post)
        if len(batch) == 5000:
            store.upsert(batch)
            batch = []
    if batch:
        store.upsert(batch)


def queries(rng: random.Random, end):
    """Typical analyst questions: what is said about X in campaign Y this week, negative posts, hoaxes, trends."""
    week = (end - timedelta(days=7), end)
    return {
        "text+campaign+week": lambda s: s.search(PostQuery(text=rng.choice(WORDS), campaign=rng.choice(CAMPAIGNS),
                                                           since=week[0], until=week[1]), Page(limit=20)),
        "negative in campaign": lambda s: s.search(PostQuery(campaign=rng.choice(CAMPAIGNS), sentiment="negative"),
                                                   Page(limit=20)),
        "text+hoax, by engagement": lambda s: s.search(PostQuery(text=rng.choice(WORDS), hoax=True),
                                                       Page(limit=20, sort="engagement")),
        "daily volume of campaign": lambda s: s.histogram(PostQuery(campaign=rng.choice(CAMPAIGNS)), "day"),
        "platform split of a word": lambda s: s.terms(PostQuery(text=rng.choice(WORDS)), "platform"),
    }


def measure(store: Store, repeat: int, end) -> dict[str, dict[str, float]]:
    rng = random.Random(11)
    out = {}
    for name, run in queries(rng, end).items():
        run(store)  # warm caches once, as a running service would be
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            run(store)
            times.append((time.perf_counter() - start) * 1000)
        q = statistics.quantiles(times, n=100)
        out[name] = {"p50": q[49], "p95": q[94], "p99": q[98]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--es-url", default=None)
    args = parser.parse_args()
    end = max(p.created_at for p in generate(1000, seed=2))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        from service.store.sqlite import SQLiteStore

        backends: list[tuple[str, Store]] = [("sqlite", SQLiteStore(Path(tmp) / "bench.db"))]
        if args.es_url:
            from service.store.elastic import ElasticStore

            backends.append(("elasticsearch", ElasticStore(args.es_url, index=f"bench-search-{uuid.uuid4().hex[:6]}")))
        for name, store in backends:
            store.init()
            loaded = 0
            for size in sorted(args.sizes):
                start = time.perf_counter()
                load(store, size, loaded)
                if name == "elasticsearch":
                    store.es.indices.refresh(index=store.index)
                    store.es.options(request_timeout=900).indices.forcemerge(index=store.index, max_num_segments=1)
                print(f"{name}: loaded {size} posts ({size - loaded} new in {time.perf_counter() - start:.0f} s)",
                      flush=True)
                loaded = size
                for query, q in measure(store, args.repeat, end).items():
                    results.append({"backend": name, "size": size, "query": query, **q})
                    print(f"  {query:<28} p50 {q['p50']:7.1f}  p95 {q['p95']:7.1f}  p99 {q['p99']:7.1f} ms", flush=True)
            if name == "elasticsearch":
                store.drop()
    system.write_result("search", {"sizes": sorted(args.sizes), "repeat": args.repeat, "rows": results})


if __name__ == "__main__":
    main()
