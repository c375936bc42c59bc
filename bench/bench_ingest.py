"""Ingest throughput: the whole pipeline (tag + classify + index) against a raw bulk write of the same documents.

    .venv/bin/python -m bench.bench_ingest --n 20000 [--es-url http://127.0.0.1:9201]

Both figures are measured in the same run on the same corpus (real texts from ../shared/data); the ratio is
pipeline / raw. Results are printed as a table and written to bench/results/ingest.json.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from pathlib import Path

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


def pipeline_rate(store, posts, tmp: Path) -> float:
    store.init()
    pipe = Pipeline(store, CLASSIFIER, Spool(tmp / f"spool-{uuid.uuid4().hex[:6]}"), batch_size=500)
    stats = {}
    seconds = timed(lambda: stats.setdefault("s", pipe.process(posts)))
    assert stats["s"].spooled == 0, f"store refused batches during the benchmark: {stats['s'].errors[:1]}"
    if hasattr(store, "es"):  # Elasticsearch is near-real-time: make the writes visible before counting
        store.es.indices.refresh(index=store.index)
    assert store.count() == len(posts), "pipeline lost posts"
    return len(posts) / seconds


def raw_sqlite_rate(posts, path: Path) -> float:
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
            db.executemany("INSERT INTO posts_fts (title, text) VALUES (?, ?)",
                           [("", posts[start + i].text) for i in range(len(chunk))])
            db.execute("COMMIT")
    return len(rows) / timed(write)


def raw_es_rate(posts, url: str) -> float:
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
        es.indices.refresh(index=raw.index)  # the pipeline's writes are made visible the same way, once
    seconds = timed(write)
    assert raw.count() == len(posts)
    raw.drop()
    return len(posts) / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--es-url", default=None, help="also measure a real Elasticsearch node")
    args = parser.parse_args()
    posts = list(generate(args.n))
    rows = []
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        raw = raw_sqlite_rate(posts, tmp / "raw.db")
        full = pipeline_rate(SQLiteStore(tmp / "pipe.db"), posts, tmp)
        rows.append({"backend": "sqlite", "pipeline_posts_s": full, "raw_posts_s": raw, "ratio": full / raw})
        if args.es_url:
            from service.store.elastic import ElasticStore

            raw = raw_es_rate(posts, args.es_url)
            store = ElasticStore(args.es_url, index=f"bench-pipe-{uuid.uuid4().hex[:6]}")
            store.es = store.es.options(request_timeout=120)
            full = pipeline_rate(store, posts, tmp)
            store.drop()
            rows.append({"backend": "elasticsearch", "pipeline_posts_s": full, "raw_posts_s": raw,
                         "ratio": full / raw})
    print(f"ingest of {args.n} posts (full classify chain: language, normalise, sentiment, hoax+claims, entities)")
    print(f"{'backend':<14}{'pipeline/s':>12}{'raw/s':>12}{'ratio':>8}")
    for r in rows:
        print(f"{r['backend']:<14}{r['pipeline_posts_s']:>12.0f}{r['raw_posts_s']:>12.0f}{r['ratio']:>8.2f}")
    out = Path(__file__).parent / "results" / "ingest.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"n": args.n, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
