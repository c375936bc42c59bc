"""Alert benchmark.

1. Latency from ingest to the signed webhook arriving at a receiver on 127.0.0.1, on the real system
   (bench/system.py: the shipped classifier chain, the store, the alert engine with one rule of each kind per
   campaign plus the measured keyword rule, cooldown 0): p50/p95 over N alerts, one post ingested at a time (each
   alert is resolved before the next post so a new one fires).
2. Rule-matching throughput (posts/s) with R keyword rules: Python matcher; with --es-url also the matcher an
   Elasticsearch store would use there (the percolator if the node has it, else Python; printed).

    .venv/bin/python bench/bench_alerts.py [--alerts 100] [--rules 200] [--posts 5000] [--es-url http://127.0.0.1:9201]
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import system  # noqa: E402
from service.alerts.matcher import PythonMatcher, make_matcher  # noqa: E402
from service.alerts.rules import Rule, RuleQuery  # noqa: E402
from service.domain import Post  # noqa: E402
from tests.alerts.receivers import receiver  # noqa: E402
from tests.factories import T0  # noqa: E402

WORDS = ("vaksin chip ktt asean banjir jalan tol listrik padam demo mahasiswa harga beras naik bansos "
         "pemilu curang hoaks cek fakta delegasi bandara hotel macet polisi aman lancar").split()


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def bench_latency(n: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="nwbench-"))
    rule = {"id": "latency", "name": "chip", "query": {"any": ["vaksin chip"]}, "cooldown_minutes": 0}
    with receiver() as hook:
        ctx = system.context(tmp, extra_rules=[rule], alerts={
            "allow_private_targets": True, "webhooks": [{"url": hook.url, "secret": "k"}],
            "delivery_poll_seconds": 0.5})
        engine, lat, seen = ctx.alerts, [], 0
        # steady state, like a running worker: the first batch pays the lazy model/tokeniser set-up
        ctx.pipeline.process([Post(source="bench", native_id="warm-up", text="Warga membahas KTT ASEAN di Jakarta",
                                   created_at=T0 - timedelta(days=1))])
        for i in range(n):
            post = Post(source="bench", native_id=str(i), text=f"Awas vaksin chip di KTT ASEAN nomor {i}",
                        author=f"u{i}", created_at=T0 + timedelta(minutes=i))
            t0 = time.perf_counter()
            ctx.pipeline.process([post])
            while True:  # other rules may fire too: wait for this post's alert of the measured rule
                hook.wait(seen + 1, timeout=10)
                seen += 1
                alert = json.loads(hook.requests[seen - 1]["body"])["alert"]
                if alert["rule"] == "latency" and post.id in alert["post_ids"]:
                    break
            lat.append((hook.received_at[seen - 1] - t0) * 1000)
            assert post.classification.sentiment is not None, "the real classifier did not run"
            for a in engine.alerts.list_alerts(status="open"):
                engine.alerts.transition(a.id, "bench", "resolve", status="resolved")
        engine.close()
    return {"alerts": n, "webhooks_received": seen, "classifier": type(ctx.pipeline.classifier).__name__,
            "rules": len(engine.rules), "p50_ms": round(pct(lat, 0.5), 2), "p95_ms": round(pct(lat, 0.95), 2),
            "max_ms": round(max(lat), 2)}


def make_rules(n: int, rng: random.Random) -> list[Rule]:
    return [Rule(id=f"r{i}", name=f"r{i}", query=RuleQuery(any=[" ".join(rng.sample(WORDS, 2)) for _ in range(3)],
                                                           none=[rng.choice(WORDS)] if i % 4 == 0 else []))
            for i in range(n)]


def make_posts(n: int, rng: random.Random) -> list[Post]:
    return [Post(source="bench", native_id=str(i), text=" ".join(rng.choices(WORDS, k=30)), campaigns=["asean"],
                 created_at=T0) for i in range(n)]


def bench_matcher(matcher, rules, posts, batch=500) -> dict:
    matcher.load(rules)
    t0 = time.perf_counter()
    hits = 0
    for i in range(0, len(posts), batch):
        hits += sum(len(m) for m in matcher.match(posts[i:i + batch]))
    dt = time.perf_counter() - t0
    return {"matcher": matcher.name, "rules": len(rules), "posts": len(posts), "seconds": round(dt, 3),
            "posts_per_s": round(len(posts) / dt), "matches": hits}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alerts", type=int, default=100)
    ap.add_argument("--rules", type=int, default=200)
    ap.add_argument("--posts", type=int, default=5000)
    ap.add_argument("--es-url")
    args = ap.parse_args()
    rng = random.Random(7)
    latency = bench_latency(args.alerts)
    print("latency ingest->webhook:", latency)
    system.write_result("alert_latency", latency)
    rules, posts = make_rules(args.rules, rng), make_posts(args.posts, rng)
    py = bench_matcher(PythonMatcher(), rules, posts)
    print("matching (python):", py)
    if args.es_url:
        from service.store.elastic import ElasticStore

        store = ElasticStore(args.es_url, index="nwbench")
        matcher = make_matcher(store)
        es = bench_matcher(matcher, rules, posts)
        print(f"matching on Elasticsearch store ({'percolator' if matcher.name == 'percolator' else 'percolator unavailable: python matcher'}):", es)
        if matcher.name == "percolator":
            assert es["matches"] == py["matches"], "percolator and python matcher disagree"
            store.es.indices.delete(index=matcher.index, ignore_unavailable=True)


if __name__ == "__main__":
    main()
