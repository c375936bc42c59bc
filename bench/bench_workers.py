"""Ingest throughput with 1 and 2 `narrawatch worker` processes into the same Elasticsearch node, in one run.

The real system: worker processes (shipped classifier chain, alert engine, leases in the store) collect from FEEDS
news feeds on 127.0.0.1 (bench/feeds.py) that hold nothing until every worker of the round holds its share of the
sources; then each feed publishes all its items at once and the clock runs until every post is in the index
(counted with a refresh). Worker start-up (model loading) is outside the timing. Rounds alternate 1, 2, 2, 1 workers
(ABBA) into fresh indexes; the figure is posts/s of the median round per setting and their ratio.

    .venv/bin/python -m bench.bench_workers --es-url http://127.0.0.1:9200 [--posts-per-feed 250] [--feeds 4]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from elasticsearch import Elasticsearch

from bench import system
from bench.feeds import Feed, serving_feeds
from service.config import Settings
from service.store.leases import Leases

WORKER = Path(sys.executable).with_name("narrawatch")


def one_round(es_url: str, workers: int, feeds_n: int, per_feed: int, tmp: Path) -> dict:
    index = f"nwbench-workers-{uuid.uuid4().hex[:8]}"
    es = Elasticsearch(es_url, request_timeout=60)
    feeds = {f"f{i}": Feed(f"f{i}", per_feed, per_feed, paused=True) for i in range(feeds_n)}
    names = [f"rss:{name}" for name in feeds]
    procs: list[subprocess.Popen] = []
    try:
        with serving_feeds(feeds) as url:
            cfg = tmp / f"{index}.yaml"
            cfg.write_text("campaigns:\n  - {id: ktt, name: KTT, keywords: [ktt asean]}\nsources:\n" + "".join(
                f"  - {{type: rss, name: 'rss:{name}', url: '{url}/{name}.xml', interval_seconds: 1, "
                f"respect_robots: false}}\n" for name in feeds), encoding="utf-8")
            for n in range(workers):  # a data directory each, as on separate machines
                env = {**os.environ, "NW_STORE": "elasticsearch", "NW_ES_URL": es_url, "NW_ES_INDEX": index,
                       "NW_DATA_DIR": str(tmp / f"{index}-{n}"), "NW_CONFIG_FILE": str(cfg)}
                procs.append(subprocess.Popen([str(WORKER), "worker"], env=env, stdout=subprocess.DEVNULL,
                                              stderr=(tmp / f"{index}-{n}.log").open("wb")))
            leases = Leases.open(Settings(store="elasticsearch", es_url=es_url, es_index=index, config_file=None))
            deadline = time.monotonic() + 600
            while True:  # every worker up and holding its share
                owners = {(doc.body["owner"] if doc and doc.body["expires_at"] > time.time() else None)
                          for doc in (leases.docs.get(f"source:{name}") for name in names)}
                if None not in owners and len(owners) == workers:
                    break
                if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                    raise RuntimeError(f"workers did not split the sources ({owners})")
                time.sleep(0.2)
            total = feeds_n * per_feed
            t0 = time.perf_counter()
            for feed in feeds.values():
                feed.growing.set()
            stored = 0
            while stored < total:
                time.sleep(0.25)
                if es.indices.exists(index=index):
                    es.indices.refresh(index=index)
                    stored = es.count(index=index)["count"]
                if time.perf_counter() - t0 > 1800:
                    raise RuntimeError(f"only {stored} of {total} posts stored")
            elapsed = time.perf_counter() - t0
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(60)
        for name in es.indices.get(index=f"{index}*", expand_wildcards="all"):
            es.indices.delete(index=name)
    return {"workers": workers, "posts": total, "seconds": round(elapsed, 2), "posts_per_s": round(total / elapsed, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--es-url", default="http://127.0.0.1:9200")
    ap.add_argument("--feeds", type=int, default=4)
    ap.add_argument("--posts-per-feed", type=int, default=250)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="nwbench-workers-"))
    rounds = [one_round(args.es_url, w, args.feeds, args.posts_per_feed, tmp) for w in (1, 2, 2, 1)]
    for r in rounds:
        print(r)
    rate = {w: round(statistics.median(r["posts_per_s"] for r in rounds if r["workers"] == w), 1) for w in (1, 2)}
    doc = {"feeds": args.feeds, "posts": args.feeds * args.posts_per_feed, "rounds": rounds,
           "posts_per_s_1_worker": rate[1], "posts_per_s_2_workers": rate[2],
           "ratio_2_to_1": round(rate[2] / rate[1], 2)}
    print(f"1 worker {rate[1]} posts/s, 2 workers {rate[2]} posts/s: ratio {doc['ratio_2_to_1']}")
    system.write_result("workers", doc)


if __name__ == "__main__":
    main()
