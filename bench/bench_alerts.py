"""Alert benchmark: latency from ingest to the signed webhook arriving at a receiver on 127.0.0.1, on the real system
(bench/system.py: the shipped classifier chain, the store, the alert engine with one rule of each kind per campaign
plus the measured keyword rule, cooldown 0): p50/p95 over N alerts, one post ingested at a time (each alert is
resolved before the next post so a new one fires). Rule-matching throughput is bench/bench_matcher.py (the same
in-process matcher runs whatever the store).

    .venv/bin/python bench/bench_alerts.py [--alerts 100]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import system  # noqa: E402
from core.domain import Post  # noqa: E402
from bench.loopback import receiver  # noqa: E402



T0 = datetime(2024, 11, 1, 8, 0, tzinfo=timezone.utc)


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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alerts", type=int, default=100)
    args = ap.parse_args()
    latency = bench_latency(args.alerts)
    print("latency ingest->webhook:", latency)
    system.write_result("alert_latency", latency)


if __name__ == "__main__":
    main()
