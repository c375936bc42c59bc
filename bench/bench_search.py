"""Search latency of the search language's query table, SQLite against Elasticsearch in the same run.

    .venv/bin/python -m bench.bench_search --sizes 100000 1000000 [--es-url http://127.0.0.1:9201] [--keep DIR]

Posts are real texts from ../shared/data with generated dates, campaigns, platforms, authors, sentiment, hoax flags
and links (bench/corpus.py); hashtags come from the texts (the shared extractor). Every query of QUERIES runs as
`GET /posts?q=` does (total + first page of 20, newest first), once unscoped (a `*` key) and once scoped to a
two-campaign workspace. Both stores are warmed first, then repeats are interleaved query by query between the
backends, so load from other processes hits both alike. p50/p95/p99 in milliseconds, per query and over the table.
`--keep DIR` keeps the SQLite file and the Elasticsearch index (named after the size) to measure again without
reloading.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from functools import lru_cache
from unittest.mock import patch

from bench import system
from bench.corpus import CAMPAIGNS, generate
from core.domain import Classification
from core.textrefs import extract_hashtags
from service.store import analysis, elastic as elastic_module, sqlite as sqlite_module
from service.store.base import Page, PostQuery, Store

DOMAINS = ["kompas.com", "news.detik.com", "turnbackhoax.id", "youtube.com", "t.me", "cnnindonesia.com"]
# The failing examples first, then the other operators over words the real texts use.
QUERIES = ["hotel -gratis", "vaksin OR vaccine", "hotel NOT gratis", "microchip AND hoaks", "vaksin*", "vaksin",
           '"harga naik"', "(jokowi OR presiden) -hoax", "makanan enak -mahal", "pelayan*", "author:acct42",
           "platform:telegram harga", "campaign:pemilu pemilu", "hashtag:cekfakta", "domain:kompas.com",
           "lang:id kecewa", "banjir OR listrik OR sekolah"]
WORKSPACE = ["pemilu", "vaksin"]


def corpus(n: int, skip: int = 0):
    """(i, post i) for i from `skip` on; post i is always the same post."""
    rng = random.Random(3)
    posts = generate(n, seed=2, skip=skip)
    for i in range(n):
        sentiment, hoax = rng.choice(["positive", "neutral", "negative"]), rng.random() < 0.1
        link = rng.random() < 0.2 and f"https://{rng.choice(DOMAINS)}/read/{rng.randrange(10**6)}"
        if i < skip:
            continue
        post = next(posts)
        post.classification = Classification(sentiment=sentiment, hoax=hoax)
        post.hashtags, post.lang = extract_hashtags(post.text), "id"
        post.links = [link] if link else []
        yield i, post


def load(stores: dict[str, Store], n: int) -> dict[str, int]:
    """Fill every store to n posts through Store.upsert (each resumes from what it holds), generating each post once
    for all of them. The corpus repeats its ~19k real texts, so the loader memoizes their analysis (the same
    function, the same tokens) to reach 1M posts in the time a loaded 2-core machine allows; Elasticsearch takes the
    initial load the usual way (no refresh, async translog), restored before anything is measured."""
    for name, store in stores.items():  # an earlier load may have left Elasticsearch unrefreshed
        if name == "elasticsearch":
            store.es.indices.refresh(index=store.index)
    have = {name: store.count() for name, store in stores.items()}
    for name, count in have.items():
        if count > n:
            raise SystemExit(f"{name} already holds {count} posts, more than {n}: use another --keep")
    bulk = {name: s for name, s in stores.items() if name == "elasticsearch" and have[name] < n}
    for store in bulk.values():
        store.es.indices.put_settings(index=store.index, settings={"index": {
            "refresh_interval": "-1", "translog": {"durability": "async"}}})
    memo = lru_cache(maxsize=None)(analysis.indexed)
    with patch.object(sqlite_module, "indexed", memo), patch.object(elastic_module, "indexed", memo):
        batch: list = []
        for i, post in corpus(n, skip=min(have.values())):
            batch.append((i, post))
            if len(batch) == 5000 or i == n - 1:
                for name, store in stores.items():
                    todo = [p for j, p in batch if j >= have[name]]
                    if todo:
                        store.upsert(todo)
                batch = []
    for name, store in stores.items():  # also after an earlier load was stopped midway
        if name == "elasticsearch":
            store.es.indices.put_settings(index=store.index, settings={"index": {
                "refresh_interval": "1s", "translog": {"durability": "request"}}})
    return have


def ask(store: Store, text: str, scoped: bool):
    return store.search(PostQuery(text=text, campaigns=WORKSPACE if scoped else None), Page(limit=20))


def measure(stores: dict[str, Store], repeat: int) -> tuple[list[dict], dict[str, dict]]:
    cases = [(q, scoped) for q in QUERIES for scoped in (False, True)]
    times = {(name, q, s): [] for name in stores for q, s in cases}
    totals = {}
    for name, store in stores.items():  # warm: each query once on each side, as a running service would be
        for q, s in cases:
            totals[(name, q, s)] = ask(store, q, s).total
    for _ in range(repeat):
        for q, s in cases:
            for name, store in stores.items():
                start = time.perf_counter()
                ask(store, q, s)
                times[(name, q, s)].append((time.perf_counter() - start) * 1000)
    rows = []
    for (name, q, s), t in times.items():
        pct = statistics.quantiles(t, n=100)
        rows.append({"backend": name, "query": q, "scoped": s, "total": totals[(name, q, s)],
                     "p50": pct[49], "p95": pct[94], "p99": pct[98]})
    overall = {}
    for name in stores:
        every = [x for (n, _, _), t in times.items() if n == name for x in t]
        pct = statistics.quantiles(every, n=100)
        overall[name] = {"p50": pct[49], "p95": pct[94], "p99": pct[98],
                         "worst_query_p95": max(r["p95"] for r in rows if r["backend"] == name)}
    return rows, overall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--es-url", default=None)
    parser.add_argument("--keep", type=Path, default=None, help="keep (and reuse) the stores in this directory")
    parser.add_argument("--load-only", action="store_true", help="fill the stores, measure nothing (with --keep)")
    args = parser.parse_args()
    results, loads = [], []
    with tempfile.TemporaryDirectory() as tmp:
        from service.store.sqlite import SQLiteStore

        home = args.keep or Path(tmp)
        home.mkdir(parents=True, exist_ok=True)
        stores: dict[str, Store] = {"sqlite": SQLiteStore(home / "bench-search.db")}
        if args.es_url:
            from service.store.elastic import ElasticStore

            stores["elasticsearch"] = ElasticStore(args.es_url, index=f"bench-{home.name.lower()}")
        for store in stores.values():
            store.init()
        for size in sorted(args.sizes):
            start = time.perf_counter()
            had = load(stores, size)
            if "elasticsearch" in stores:
                es = stores["elasticsearch"]
                es.es.indices.refresh(index=es.index)
                es.es.options(request_timeout=1800).indices.forcemerge(index=es.index, max_num_segments=1)
            seconds = time.perf_counter() - start
            loads.append({"size": size, "new_posts": {n: size - h for n, h in had.items()}, "seconds": round(seconds)})
            print(f"{', '.join(stores)}: {size} posts ({had} held before; {seconds:.0f} s)", flush=True)
            if args.load_only:
                continue
            load_avg = os.getloadavg()
            rows, overall = measure(stores, args.repeat)
            for row in rows:
                results.append({"size": size, **row})
                print(f"  {row['backend']:<13} {'ws ' if row['scoped'] else '*  '}{row['query']:<30} "
                      f"n={row['total']:<7} p50 {row['p50']:6.1f}  p95 {row['p95']:6.1f} ms", flush=True)
            for name, o in overall.items():
                results.append({"size": size, "backend": name, "query": "ALL", **o})
                print(f"  {name}: the whole table p50 {o['p50']:.1f}  p95 {o['p95']:.1f}  p99 {o['p99']:.1f} ms, "
                      f"worst query p95 {o['worst_query_p95']:.1f} ms", flush=True)
            results.append({"size": size, "load_average_before": [round(x, 2) for x in load_avg],
                            "load_average_after": [round(x, 2) for x in os.getloadavg()]})
            system.write_result("search", {"sizes": sorted(args.sizes), "measured": size, "repeat": args.repeat,
                                           "queries": QUERIES, "workspace": WORKSPACE, "loads": loads,
                                           "rows": results})  # after each size: a long run can be stopped
        if not args.keep and "elasticsearch" in stores:
            stores["elasticsearch"].drop()


if __name__ == "__main__":
    main()
