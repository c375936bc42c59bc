"""Ingest throughput: the whole pipeline (tag + classify + index) against a raw bulk write of the same documents.

    .venv/bin/python -m bench.bench_ingest --n 20000 [--repeats 3] [--es-url http://127.0.0.1:9201]

Fair by construction: one untimed warm-up round of each side first (JIT/JVM, page cache, imports, models), then
--repeats timed rounds interleaved raw/pipeline in ABBA order, each into a fresh index/database with the same
mapping; on Elasticsearch both timings include the refresh that makes the writes searchable. The figure is the
median of each side and the ratio of the medians (pipeline / raw); every sample is kept in the results
(bench/results/ingest.json). Texts are real (../shared/data).
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from bench import system
from bench.corpus import generate
from classifiers import load_default
from service.pipeline import Pipeline
from service.spool import Spool
from service.store.sqlite import SQLiteStore, _ts


CLASSIFIER = load_default()


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def pipeline_seconds(store, posts, tmp: Path) -> float:
    store.init()
    pipe = Pipeline(store, CLASSIFIER, Spool(tmp / f"spool-{uuid.uuid4().hex[:6]}"), batch_size=500)
    stats = {}

    def run():
        stats["s"] = pipe.process(posts)
        if hasattr(store, "es"):  # near-real-time: timed like the raw side's refresh
            store.es.indices.refresh(index=store.index)
    seconds = timed(run)
    assert stats["s"].spooled == 0, f"store refused batches during the benchmark: {stats['s'].errors[:1]}"
    assert store.count() == len(posts), "pipeline lost posts"
    return seconds


def raw_sqlite_seconds(posts, path: Path) -> float:
    store = SQLiteStore(path)
    store.init()
    db = store.db
    rows = [(p.id, _ts(p.created_at), p.platform, p.lang, None, 0, p.author, p.source, p.engagement.total,
             p.model_dump_json()) for p in posts]

    def write():
        for start in range(0, len(rows), 500):
            chunk = rows[start:start + 500]
            db.execute("BEGIN")
            db.executemany("INSERT INTO posts (id, created_at, platform, lang, sentiment, hoax, author, source, "
                           "engagement, doc) VALUES (?,?,?,?,?,?,?,?,?,?)", chunk)
            db.executemany("INSERT INTO posts_search (stems, words) VALUES (?, ?)",  # the text, unanalysed
                           [(posts[start + i].text, "") for i in range(len(chunk))])
            db.execute("COMMIT")
    seconds = timed(write)
    store.close()
    return seconds


def raw_es_seconds(posts, url: str) -> float:
    from elasticsearch import Elasticsearch, helpers

    from service.store.elastic import ElasticStore

    raw = ElasticStore(url, index=f"bench-raw-{uuid.uuid4().hex[:6]}")
    raw.init()
    es = Elasticsearch(url, request_timeout=120)
    actions = [{"_index": raw.index, "_id": p.id, "_source": {**p.model_dump(mode="json"),
                                                              "engagement_total": p.engagement.total}}
               for p in posts]

    def write():
        helpers.bulk(es, actions, chunk_size=500)
        es.indices.refresh(index=raw.index)
    seconds = timed(write)
    assert raw.count() == len(posts)
    raw.drop()
    return seconds


def es_pipeline_seconds(posts, url: str, tmp: Path) -> float:
    from service.store.elastic import ElasticStore

    store = ElasticStore(url, index=f"bench-pipe-{uuid.uuid4().hex[:6]}")
    store.es = store.es.options(request_timeout=120)
    try:
        return pipeline_seconds(store, posts, tmp)
    finally:
        store.drop()


def compare(raw, pipe, repeats: int, n: int) -> dict:
    """One warm-up of each side, then `repeats` timed rounds in ABBA order (raw, pipe, pipe, raw, ...)."""
    raw(), pipe()
    samples = {"raw": [], "pipeline": []}
    for k in range(repeats):
        order = [("raw", raw), ("pipeline", pipe)]
        for name, fn in (order if k % 2 == 0 else order[::-1]):
            samples[name].append(fn())
    raw_s, pipe_s = statistics.median(samples["raw"]), statistics.median(samples["pipeline"])
    return {"pipeline_posts_s": n / pipe_s, "raw_posts_s": n / raw_s, "ratio": raw_s / pipe_s,
            "seconds": {k: [round(x, 3) for x in v] for k, v in samples.items()}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--es-url", default=None, help="also measure a real Elasticsearch node")
    args = parser.parse_args()
    posts = list(generate(args.n))
    rows = []
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)

        def fresh(name: str) -> Path:
            return tmp / f"{name}-{uuid.uuid4().hex[:6]}.db"
        rows.append({"backend": "sqlite", **compare(
            lambda: raw_sqlite_seconds(posts, fresh("raw")),
            lambda: pipeline_seconds(SQLiteStore(fresh("pipe")), posts, tmp), args.repeats, args.n)})
        if args.es_url:
            rows.append({"backend": "elasticsearch", **compare(
                lambda: raw_es_seconds(posts, args.es_url),
                lambda: es_pipeline_seconds(posts, args.es_url, tmp), args.repeats, args.n)})
    print(f"ingest of {args.n} posts (full classify chain: language, normalise, sentiment, hoax+claims, entities); "
          f"median of {args.repeats} interleaved rounds after a warm-up, refresh included on Elasticsearch")
    print(f"{'backend':<14}{'pipeline/s':>12}{'raw/s':>12}{'ratio':>8}")
    for r in rows:
        print(f"{r['backend']:<14}{r['pipeline_posts_s']:>12.0f}{r['raw_posts_s']:>12.0f}{r['ratio']:>8.2f}")
    system.write_result("ingest", {"n": args.n, "repeats": args.repeats, "warmup_rounds": 1, "rows": rows})


if __name__ == "__main__":
    main()
